"""`go mod download -json MODULE@VERSION`: fetch a module as the go command does (GOPROXY, GONOSUMDB, GOFLAGS)."""

from __future__ import annotations

__all__ = ["download"]

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from slimgo.errors import BuildError

DOWNLOAD_TIMEOUT = 900  # seconds: the vulnerability database module is tens of MB
_MAX_OUTPUT = 1 << 20


@dataclass(frozen=True)
class Download:
    """What `go mod download -json` reports: the resolved version, its commit time, and where it was unpacked."""

    path: str
    version: str
    time: str  # RFC 3339, from the .info file ("" when the proxy gave none)
    dir: Path
    zip: Path
    sum: str


def _info_time(info: str) -> str:
    try:
        with open(info, "rb") as handle:
            data = json.loads(handle.read(_MAX_OUTPUT))
    except (OSError, ValueError):
        return ""
    value = data.get("Time") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def download(module: str, version: str, fix: str, go: str | None = None) -> Download:
    """Download ``module@version`` into the module cache and return where it is; BuildError naming ``fix``."""
    found = go or shutil.which("go")
    spec = f"{module}@{version}"
    if found is None:
        raise BuildError(spec, "cannot be downloaded: the Go toolchain is not on PATH", fix)
    # outside any module: the user's go.mod and go.work must not take part in resolving the version
    with tempfile.TemporaryDirectory(prefix="slimgo-moddownload-") as tmp:
        env = {**os.environ, "GOWORK": "off"}
        try:
            result = subprocess.run([found, "mod", "download", "-json", spec], cwd=tmp, env=env,
                                    capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise BuildError(spec, f"was not downloaded within {DOWNLOAD_TIMEOUT}s", fix) from None
        except OSError as err:
            raise BuildError(spec, f"cannot run {found}: {err.strerror or err}", fix) from None
    try:
        data = json.loads(result.stdout[:_MAX_OUTPUT]) if result.stdout.strip() else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    problem = data.get("Error") or (result.stderr.strip() if result.returncode else "")
    if problem or not data.get("Dir"):
        detail = str(problem or "go mod download gave no module directory").strip().splitlines()
        raise BuildError(spec, "cannot be downloaded through the Go module proxy: " + " ".join(detail)[:800], fix)
    return Download(str(data.get("Path") or module), str(data.get("Version") or version),
                    _info_time(str(data.get("Info") or "")), Path(data["Dir"]), Path(str(data.get("Zip") or "")),
                    str(data.get("Sum") or ""))
