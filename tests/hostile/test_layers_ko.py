"""ko names layer entries with a leading slash (/ko-app/NAME, /var/run/ko): slimgo runs them as containerd does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, require_root, require_tool
from tests.hostile.harness import make_canary, run_cli, tree_digest
from tests.hostile.layers import Member, raw_layer, write_image
from tests.runtime.conftest import go_build

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ko_image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image laid out the way ko writes it: absolute names, /var/run/ko with the sources, KO_DATA_PATH."""
    go = require_tool("go")
    root = tmp_path_factory.mktemp("ko")
    binary = root / "stdincli"
    go_build(go, FIXTURES / "stdincli", binary)
    data = raw_layer(root, [Member("/var/", "dir", mode=0o755), Member("/var/run/", "dir", mode=0o755),
                            Member("/var/run/ko/", "dir", mode=0o755),
                            Member("/var/run/ko/HEAD", data=b"ref: refs/heads/main\n")])
    app = raw_layer(root, [Member("/ko-app/", "dir", mode=0o755),
                           Member("/ko-app/stdincli", data=binary.read_bytes(), mode=0o755)])
    target = f"oci:{root}/layout:ko"
    write_image(target, [data, app], entrypoint=["/ko-app/stdincli"])
    return target


def test_run_accepts_a_leading_slash(ko_image: str, tmp_path: Path) -> None:
    require_tool("runc")
    require_root()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    home, _ = make_canary(tmp_path / "home")
    before = tree_digest(home)
    result = run_cli(["run", ko_image, "--", "3"], env={"TMPDIR": str(tmp), "HOME": str(home)},
                     stdin=b"hello from ko\n", timeout=60)
    assert result.code == 3, result  # the program ran and chose its exit code
    assert result.out == "HELLO FROM KO\n"
    assert "absolute path" not in result.err and "Traceback" not in result.err
    assert list(tmp.iterdir()) == []
    assert tree_digest(home) == before
    assert not Path("/ko-app").exists()


def test_umoci_unpacks_the_same_image(ko_image: str, tmp_path: Path) -> None:
    """The reference tool agrees: the entries land under the rootfs, not at the host's root."""
    umoci = require_tool("umoci")
    require_root()
    layout, tag = ko_image.removeprefix("oci:").rsplit(":", 1)
    bundle = tmp_path / "bundle"
    subprocess.run([umoci, "unpack", "--image", f"{layout}:{tag}", str(bundle)], check=True, capture_output=True,
                   timeout=120)
    assert (bundle / "rootfs/ko-app/stdincli").is_file()
    assert (bundle / "rootfs/var/run/ko/HEAD").read_text() == "ref: refs/heads/main\n"


def test_inspect_lint_and_copy_take_ko_layers(ko_image: str, tmp_path: Path) -> None:
    inspect = run_cli(["inspect", "--no-layer-size", ko_image], timeout=60)
    assert inspect.code == 0, inspect
    assert "/ko-app/stdincli" in inspect.out
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: ko}\nspec:\n"
                                       "  containers: [{name: app, image: ko}]\n")
    lint = run_cli(["lint", "--image", ko_image, str(tmp_path / "pod.yaml")], timeout=60)
    assert "SG444" not in lint.out and "Traceback" not in lint.err
    copy = run_cli(["copy", ko_image, f"oci:{tmp_path}/copy:ko"], timeout=60)
    assert copy.code == 0, copy
