"""Timed container starts for `slimgo bench`: one bundle per image, then `runc run` to exit or to a good probe."""

from __future__ import annotations

__all__ = ["container_starts"]

import secrets
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from slimgo.errors import RunError
from slimgo.oci.image import StoredImage
from slimgo.runtime.container import write_bundle
from slimgo.runtime.runc import Runc, find_runc
from slimgo.runtime.spec import RunOptions


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=0.5) as answer:
            return 200 <= int(answer.status) < 400
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def container_starts(image: StoredImage, args: Sequence[str], env: Mapping[str, str], probe: str | None,
                     timeout: float) -> Iterator[Callable[[], float]]:
    """Unpack ``image`` into a bundle once; yield a function that starts it in runc (host network) and returns the
    milliseconds to the container's exit (or to the first good ``probe`` answer, after which it is killed)."""
    runc = Runc(find_runc(), Path(tempfile.mkdtemp(prefix="slimgo-bench-runc-")))
    bundle = Path(tempfile.mkdtemp(prefix="slimgo-bench-bundle-"))
    try:
        write_bundle(image, RunOptions(args=tuple(args), env=tuple(f"{k}={v}" for k, v in env.items()),
                                       network="host", timeout=timeout), bundle, lambda _msg: None)
        yield lambda: _start(runc, bundle, probe, timeout)
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.rmtree(runc.state, ignore_errors=True)


def _start(runc: Runc, bundle: Path, probe: str | None, timeout: float) -> float:
    container_id = f"slimgo-bench-{secrets.token_hex(4)}"
    codes: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            codes.append(runc.run(bundle, container_id, timeout, quiet=True))
        except Exception as err:  # handed to the caller's thread below
            failures.append(err)

    start = time.perf_counter()
    runner = threading.Thread(target=run)
    runner.start()
    try:
        if probe is None:
            runner.join(timeout + 10)
            elapsed = (time.perf_counter() - start) * 1000
            if failures:
                raise failures[0]
            if not codes or codes[0] == 124:
                raise RunError(f"runc run ({bundle})", f"the container did not exit within {timeout:g} s",
                               "pass --probe URL for a server, or raise --timeout")
            return elapsed
        deadline = start + timeout
        while time.perf_counter() < deadline and runner.is_alive():
            if _answers(probe):
                return (time.perf_counter() - start) * 1000
            time.sleep(0.002)
        raise RunError(f"runc run ({bundle})", f"{probe} did not answer within {timeout:g} s in the container"
                       + (f" (it exited with {codes[0]})" if codes else ""),
                       "check that --arg/--env make the program listen there, or raise --timeout")
    finally:
        if runner.is_alive():
            runc.kill(container_id, 9)
            runner.join(30)
        runc.delete(container_id)
