"""Run an image once: unpack it into a temporary bundle, write its runtime config, run it, remove everything."""

from __future__ import annotations

__all__ = ["run_image"]

import json
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from slimgo.errors import RunError
from slimgo.oci.image import StoredImage
from slimgo.runtime.runc import FORWARDED, Runc, find_runc
from slimgo.runtime.spec import RunOptions, build_process, runtime_spec
from slimgo.runtime.unpack import Note, unpack_layers


def write_bundle(image: StoredImage, options: RunOptions, bundle: Path, note: Note) -> None:
    """Fill ``bundle`` with rootfs/ and config.json, as runc expects."""
    rootfs = bundle / "rootfs"
    unpack_layers(image.layers, rootfs, note)
    process = build_process(image.config, options, rootfs)
    spec = runtime_spec(process, options)
    (bundle / "config.json").write_text(json.dumps(spec, indent=2) + "\n")


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM or SIGHUP while the bundle is prepared ends like Ctrl-C, so the cleanup below still runs."""
    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous[sig] = signal.signal(sig, _interrupt)
    except ValueError:  # not the main thread: signals cannot reach us here anyway
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold INT/TERM/HUP while cleaning up; one arriving now takes effect once the bundle is gone."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, set(FORWARDED))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _remove(path: Path, note: Note) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        note(f"could not remove {path}; remove it by hand")


def run_image(image: StoredImage, options: RunOptions, note: Note, runc_binary: str | None = None) -> int:
    """Run ``image`` with runc and return the container's exit code; the bundle goes unless ``options.keep``."""
    binary = runc_binary or find_runc()
    container_id = f"slimgo-{secrets.token_hex(6)}"
    started = False
    with _terminate_as_interrupt():
        try:
            bundle = Path(tempfile.mkdtemp(prefix="slimgo-bundle-"))
        except OSError as err:
            raise RunError(tempfile.gettempdir(), f"cannot create a bundle directory: {err.strerror or err}",
                           "point TMPDIR at a writable directory") from None
        state: Path | None = None
        try:
            state = Path(tempfile.mkdtemp(prefix="slimgo-runc-"))
            runc = Runc(binary, state)
            write_bundle(image, options, bundle, note)
            started = True
            return runc.run(bundle, container_id, options.timeout)
        finally:
            with _signals_held():
                if started:
                    runc.delete(container_id)
                if state is not None:
                    _remove(state, note)
                if started and options.keep:
                    note(f"bundle kept at {bundle} (rerun it with: runc run --bundle {bundle} ID)")
                else:
                    _remove(bundle, note)
