"""`slimgo build --debug-variant`: `<tag>-debug` is the image plus a static busybox on PATH, the user unchanged,
and the main image is byte-for-byte the one built without the flag."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_root, require_tool
from tests.supply.conftest import Slimgo

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello"


@pytest.fixture(scope="module")
def busybox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's busybox-static, unpacked from the package the analyze tests download."""
    from tests.analyze.debian import debs

    deb = debs()["busybox-static"]
    target = tmp_path_factory.mktemp("busybox")
    subprocess.run([require_tool("dpkg-deb"), "-x", str(deb), str(target)], check=True, timeout=120)
    return target / "bin" / "busybox"


def _manifests(layout: Path) -> dict[str, str]:
    index = json.loads((layout / "index.json").read_text())
    return {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in index["manifests"]
            if "annotations" in m}  # the untagged entries are the images' SBOMs


def test_debug_variant(slimgo: Slimgo, busybox: Path, tmp_path: Path) -> None:
    plain, debug = tmp_path / "plain", tmp_path / "debug"
    assert slimgo("build", str(EXAMPLE), "-o", f"oci:{plain}:v1").code == 0
    built = slimgo("build", str(EXAMPLE), "-o", f"oci:{debug}:v1", "--debug-variant", "--debug-tools", str(busybox))
    assert built.code == 0, built.err
    tags = _manifests(debug)
    assert set(tags) == {"v1", "v1-debug"}
    assert tags["v1"] == _manifests(plain)["v1"]  # the main image does not change
    main = json.loads((debug / "blobs" / "sha256" / tags["v1"][7:]).read_text())
    variant = json.loads((debug / "blobs" / "sha256" / tags["v1-debug"][7:]).read_text())
    assert variant["layers"][:-1] == main["layers"] and len(variant["layers"]) == len(main["layers"]) + 1
    config = json.loads((debug / "blobs" / "sha256" / variant["config"]["digest"][7:]).read_text())
    assert any(e.startswith("PATH=") and e.endswith(":/busybox") for e in config["config"]["Env"])
    assert config["config"]["User"] == "65532:65532"
    require_root()
    require_tool("runc")
    shell = subprocess.run([sys.executable, "-m", "slimgo", "run", "--network", "none", "--entrypoint", "/busybox/sh",
                            f"oci:{debug}:v1-debug", "--", "-c", "id -u; ls /app"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == ["65532", "hello"]


def test_debug_tools_must_be_binaries(slimgo: Slimgo, tmp_path: Path) -> None:
    script = tmp_path / "tool.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    refused = slimgo("build", str(EXAMPLE), "-o", f"oci:{tmp_path / 'x'}:v1", "--debug-variant",
                     "--debug-tools", str(script))
    assert refused.code == 2 and "not an executable" in refused.err
    assert not (tmp_path / "x").exists()
