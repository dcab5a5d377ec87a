"""Installing slimgo as a user does: the wheel `python -m build` makes, into a fresh venv with no development
extras, and `pipx install .`; then building examples/hello from outside the repository."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from slimgo import __version__
from tests.conftest import require_tool
from tests.integrations.conftest import require_module, snapshot_files
from tests.integrations.snippets import snippet

DEV_ONLY = ("pytest", "mypy", "ruff", "hypothesis", "jsonschema", "pre-commit", "build", "pipx")


def the_wheel(dists: Path) -> Path:
    wheels = list(dists.glob("slimgo-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: no PYTHONPATH pointing at this checkout, the machine's PATH (go on it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SLIMGO_REPO")}
    env["HOME"] = os.environ.get("HOME", str(home))
    env.update(extra)
    return env


def test_the_wheel_and_sdist_hold_every_data_file(dists: Path) -> None:
    """Schemas, templates and py.typed: every non-Python file of the package (the base is built from them and from
    certifi and tzdata at run time)."""
    data = {name.removeprefix("src/") for name in snapshot_files()
            if name.startswith("src/slimgo/") and not name.endswith(".py")}
    assert "slimgo/py.typed" in data and "slimgo/lint/generate/templates/Dockerfile.j2" in data
    with zipfile.ZipFile(the_wheel(dists)) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read(f"slimgo-{__version__}.dist-info/entry_points.txt").decode()
        metadata = wheel.read(f"slimgo-{__version__}.dist-info/METADATA").decode()
    assert data <= names, sorted(data - names)
    assert "slimgo = slimgo.cli.main:entrypoint" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any("certifi" in line for line in requires) and any("tzdata" in line for line in requires)
    runtime = [line for line in requires if "extra ==" not in line]
    assert not [line for line in runtime if any(f" {tool}" in line for tool in DEV_ONLY)], runtime
    with tarfile.open(next(dists.glob("slimgo-*.tar.gz"))) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {f"src/{name}" for name in data} <= in_sdist


def image_files(layout: Path, tag: str) -> dict[str, tarfile.TarInfo]:
    """Every path in the layers of ``tag`` in the OCI layout (gzip layers, as slimgo writes by default)."""
    index = json.loads((layout / "index.json").read_text())
    (manifest_desc,) = [m for m in index["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
    blob = layout / "blobs" / "sha256"
    manifest = json.loads((blob / manifest_desc["digest"].split(":")[1]).read_text())
    files: dict[str, tarfile.TarInfo] = {}
    for layer in manifest["layers"]:
        raw = gzip.decompress((blob / layer["digest"].split(":")[1]).read_bytes())
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            files.update({member.name.lstrip("./"): member for member in tar.getmembers()})
    return files


def test_wheel_in_a_fresh_venv_builds_hello_outside_the_repository(dists: Path, hello: Path, tmp_path: Path) -> None:
    require_tool("go")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(the_wheel(dists))],
                         capture_output=True, text=True, timeout=600, check=False, env=user_env(tmp_path))
    assert pip.returncode == 0, pip.stderr[-3000:]
    listed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format", "json"], capture_output=True,
                            text=True, timeout=120, check=True, env=user_env(tmp_path)).stdout
    installed = {item["name"].lower() for item in json.loads(listed)}
    assert "slimgo" in installed
    assert not installed & set(DEV_ONLY), "no development extras in a user's install"

    slimgo = str(venv / "bin" / "slimgo")
    version = subprocess.run([slimgo, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                             check=True, env=user_env(tmp_path)).stdout
    assert version.startswith(f"slimgo {__version__} ") and "\ngo: go1." in version

    built = subprocess.run([slimgo, "build", ".", "-o", f"oci:{tmp_path / 'out'}:hello"], cwd=hello,
                           capture_output=True, text=True, timeout=600, check=False, env=user_env(tmp_path))
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"oci:{tmp_path / 'out'}:hello@sha256:")
    files = image_files(tmp_path / "out", "hello")
    assert {"app/hello", "etc/passwd", "etc/ssl/certs/ca-certificates.crt", "etc/nsswitch.conf"} <= set(files)
    assert files["etc/ssl/certs/ca-certificates.crt"].size > 100_000  # certifi's bundle, from the installed deps


def test_pipx_install_dot_gives_a_working_command(snapshot: Path, tmp_path: Path) -> None:
    """The README's `pipx install .`, run in a copy of this checkout, into a private pipx home."""
    require_module("pipx")
    install = snippet("pipx-install")
    assert install == "pipx install ."
    env = user_env(tmp_path, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
                   PIPX_MAN_DIR=str(tmp_path / "man"), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    result = subprocess.run(["sh", "-ec", install], cwd=snapshot, capture_output=True, text=True, timeout=600,
                            check=False, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    version = subprocess.run([str(tmp_path / "bin" / "slimgo"), "--version"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, check=True, env=env).stdout
    assert version.startswith(f"slimgo {__version__} ")


@pytest.fixture(autouse=True)
def _no_checkout_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHONPATH", raising=False)
