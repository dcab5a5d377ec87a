"""The vulnerability gate of `slimgo build --vuln`: scan the images just built, refuse them before they are written
when an advisory not ignored is present."""

from __future__ import annotations

__all__ = ["check_images"]

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.errors import SlimgoError
from slimgo.vuln import ignores as ignore_list
from slimgo.vuln.database import open_database
from slimgo.vuln.match import Finding
from slimgo.vuln.scan import apply_ignores, failing, scan_image

if TYPE_CHECKING:
    from slimgo.oci.image import StoredImage


class VulnGateError(SlimgoError):
    """Built images carry vulnerable code the gate does not allow (exit code 1; nothing was written)."""


def check_images(images: Sequence[tuple[str, StoredImage]], cache: Path, settings_from: Path,
                 settings_file: Path | None = None, fail_on: str = "present") -> list[Finding]:
    """Scan every (name, image); raise VulnGateError listing the failing advisories, else return every finding.

    Ignores come from ``settings_file`` (build --config), else the .slimgo.yaml found from ``settings_from``.
    """
    settings = settings_file or ignore_list.find_settings(settings_from)
    ignores = ignore_list.from_settings(settings) if settings is not None else {}
    db = open_database(cache)
    now = datetime.now(UTC)
    found: list[Finding] = []
    failures: list[str] = []
    for name, image in images:
        binaries, _skipped = scan_image(image, name, db, now)
        for binary in binaries:
            apply_ignores(binary.findings, ignores)
            found.extend(binary.findings)
            failures.extend(f"{name} {binary.path}: {f.id} in {f.module}@{f.version} (fixed in {f.fixed or 'none yet'})"
                            for f in failing(binary.findings, fail_on))
    if failures:
        shown = "\n    ".join(dict.fromkeys(failures))
        raise VulnGateError("slimgo build --vuln", f"the built images link vulnerable code; nothing was written:\n"
                            f"    {shown}",
                            "upgrade the modules (`slimgo vuln` on the binary lists the smallest upgrade set), or "
                            "ignore an advisory with a reason under vuln.ignore in .slimgo.yaml")
    return found
