"""Timed container starts for `slimgo bench`: one bundle per image, then `runc run` to exit or to a good probe,
each in a cgroup of its own whose peak memory is read when the container is gone."""

from __future__ import annotations

__all__ = ["container_starts"]

import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from slimgo.errors import RunError
from slimgo.gobuild.processes import Started, probe_ok
from slimgo.oci.image import StoredImage
from slimgo.runtime.cgroups import PeakGroup, peak_group
from slimgo.runtime.container import write_bundle
from slimgo.runtime.runc import Runc, find_runc
from slimgo.runtime.spec import RunOptions


@contextmanager
def container_starts(image: StoredImage, args: Sequence[str], env: Mapping[str, str], probe: str | None,
                     timeout: float) -> Iterator[Callable[[], Started]]:
    """Unpack ``image`` into a bundle once; yield a function that starts it in runc (host network) and returns the
    milliseconds to the container's exit (or to the first good ``probe`` answer, after which it is killed) and the
    peak memory of the container's cgroup (None when this host has no memory controller to read it from)."""
    runc = Runc(find_runc(), Path(tempfile.mkdtemp(prefix="slimgo-bench-runc-")))
    bundle = Path(tempfile.mkdtemp(prefix="slimgo-bench-bundle-"))
    try:
        write_bundle(image, RunOptions(args=tuple(args), env=tuple(f"{k}={v}" for k, v in env.items()),
                                       network="host", timeout=timeout), bundle, lambda _msg: None)
        yield lambda: _start_measured(runc, bundle, probe, timeout)
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.rmtree(runc.state, ignore_errors=True)


def _start_measured(runc: Runc, bundle: Path, probe: str | None, timeout: float) -> Started:
    """One start in a cgroup made for it: its peak is read after the container (and runc's leaf cgroup) is gone."""
    with peak_group() as group:
        _place(bundle, group)
        ms, code = _start(runc, bundle, probe, timeout)
        return Started(ms, group.peak_bytes() if group else None, code)


def _place(bundle: Path, group: PeakGroup | None) -> None:
    """Point the bundle's linux.cgroupsPath at this start's cgroup (or back at runc's default without one)."""
    config_path = bundle / "config.json"
    spec = json.loads(config_path.read_text())
    if group is None:
        spec["linux"].pop("cgroupsPath", None)
    else:
        spec["linux"]["cgroupsPath"] = group.cgroups_path
    config_path.write_text(json.dumps(spec, indent=2) + "\n")


def _start(runc: Runc, bundle: Path, probe: str | None, timeout: float) -> tuple[float, int | None]:
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
            return elapsed, codes[0]
        deadline = start + timeout
        while time.perf_counter() < deadline and runner.is_alive():
            if probe_ok(probe):
                return (time.perf_counter() - start) * 1000, None
            time.sleep(0.002)
        raise RunError(f"runc run ({bundle})", f"{probe} did not answer within {timeout:g} s in the container"
                       + (f" (it exited with {codes[0]})" if codes else ""),
                       "check that --arg/--env make the program listen there, or raise --timeout")
    finally:
        if runner.is_alive():
            runc.kill(container_id, 9)
            runner.join(30)
        if (runc.state / container_id).exists():  # `runc run` removes what it made when it returns; else this does
            runc.delete(container_id)
