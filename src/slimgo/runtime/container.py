"""Run an image once: unpack it into a temporary bundle, write its runtime config, run it, remove everything."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path

from slimgo.errors import RunError
from slimgo.oci.image import StoredImage
from slimgo.runtime.runc import Runc, find_runc
from slimgo.runtime.spec import RunOptions, build_process, runtime_spec
from slimgo.runtime.unpack import Note, unpack_layers


def write_bundle(image: StoredImage, options: RunOptions, bundle: Path, note: Note) -> None:
    """Fill ``bundle`` with rootfs/ and config.json, as runc expects."""
    rootfs = bundle / "rootfs"
    unpack_layers(image.layers, rootfs, note)
    process = build_process(image.config, options, rootfs)
    spec = runtime_spec(process, options)
    (bundle / "config.json").write_text(json.dumps(spec, indent=2) + "\n")


def _remove(path: Path, note: Note) -> None:
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():
        note(f"could not remove {path}; remove it by hand")


def run_image(image: StoredImage, options: RunOptions, note: Note, runc_binary: str | None = None) -> int:
    """Run ``image`` with runc and return the container's exit code; the bundle goes unless ``options.keep``."""
    binary = runc_binary or find_runc()
    try:
        bundle = Path(tempfile.mkdtemp(prefix="slimgo-bundle-"))
        state = Path(tempfile.mkdtemp(prefix="slimgo-runc-"))
    except OSError as err:
        raise RunError(tempfile.gettempdir(), f"cannot create a bundle directory: {err.strerror or err}",
                       "point TMPDIR at a writable directory") from None
    container_id = f"slimgo-{secrets.token_hex(6)}"
    runc = Runc(binary, state)
    started = False
    try:
        write_bundle(image, options, bundle, note)
        started = True
        return runc.run(bundle, container_id, options.timeout)
    finally:
        if started:
            runc.delete(container_id)
        _remove(state, note)
        if started and options.keep:
            note(f"bundle kept at {bundle} (rerun it with: runc run --bundle {bundle} ID)")
        else:
            _remove(bundle, note)
