"""ko's flags and config in `slimgo build`: additive --ldflags, per-platform sizes, `.ko.yaml`, templates, kodata."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from slimgo.elf.buildinfo import read_buildinfo
from slimgo.rootfs import Rootfs
from tests.imagebuild.conftest import Slimgo
from tests.stores.access import open_image

pytestmark = pytest.mark.integration

MAIN = 'package main\n\nimport "fmt"\n\nvar version = "dev"\n\nfunc main() { fmt.Println(version) }\n'


def _module(root: Path, mains: tuple[str, ...] = ("app",)) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/fleet\n\ngo 1.22\n")
    for name in mains:
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text(MAIN)
    return root


def _binary_info(layout: str, name: str, tmp_path: Path) -> dict[str, str]:
    """The binary's Go build settings, plus (as -ldflags, which -trimpath keeps out of them) its stamped
    version and whether it kept its symbol table."""
    binary = tmp_path / f"{name}.bin"
    binary.write_bytes(Rootfs(open_image(layout).layers).read(f"/app/{name}"))
    with binary.open("rb") as handle:
        symbols = ELFFile(handle).get_section_by_name(".symtab") is not None
    stamped = re.findall(rb"STAMP\[([\w.-]+)\]", binary.read_bytes())
    return {**read_buildinfo(binary).settings_dict(), "stamp": " ".join(s.decode() for s in stamped),
            "symbols": str(symbols)}


def test_ldflags_add_to_the_slim_default_and_no_strip_removes_it(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    root = _module(tmp_path / "m")
    result = slimgo("build", "--ldflags", "-X main.version=STAMP[1.2.3]", "-o", f"oci:{tmp_path}/a", "./cmd/app",
                    cwd=root)
    assert result.code == 0, result.err
    assert "added to the default -s -w" in result.err
    stripped = _binary_info(f"oci:{tmp_path}/a:app", "app", tmp_path)
    assert stripped["stamp"] == "1.2.3" and stripped["symbols"] == "False"
    result = slimgo("build", "--no-strip", "--ldflags", "-X main.version=STAMP[1.2.3]", "-o", f"oci:{tmp_path}/b",
                    "./cmd/app", cwd=root)
    assert result.code == 0, result.err
    assert "-s -w" not in result.err
    kept = _binary_info(f"oci:{tmp_path}/b:app", "app", tmp_path)
    assert kept["stamp"] == "1.2.3" and kept["symbols"] == "True"


def test_json_gives_every_platform_of_an_index(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    root = _module(tmp_path / "m")
    assert slimgo("build", "--image-refs", f"{tmp_path}/no/such/dir/refs", "-o", f"oci:{tmp_path}/l", "./cmd/app",
                  cwd=root).code == 2
    assert not (tmp_path / "l").exists()  # refused before building
    result = slimgo("build", "--json", "--platform", "linux/amd64,linux/arm64", "-o", f"oci:{tmp_path}/l",
                    "--image-refs", f"{tmp_path}/refs", "./cmd/app", cwd=root)
    assert result.code == 0, result.err
    (record,) = result.json_lines()
    assert (tmp_path / "refs").read_text() == f"{record['reference']}\n"
    per = {item["platform"]: item for item in record["platform_images"]}  # type: ignore[attr-defined]
    assert set(per) == {"linux/amd64", "linux/arm64"}
    index = json.loads((tmp_path / "l" / "blobs" / "sha256" / str(record["digest"]).split(":")[1]).read_bytes())
    assert {m["digest"] for m in index["manifests"]} == {p["digest"] for p in per.values()}
    assert per["linux/arm64"]["binary_size"] == record["binary_sizes"]["linux/arm64"]  # type: ignore[index]
    assert per["linux/amd64"]["compressed_size"] != per["linux/arm64"]["compressed_size"]
    assert record["compressed_size"] >= max(p["compressed_size"] for p in per.values())  # type: ignore[operator]


def _git(root: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"], ["tag", "v0.4.2"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, timeout=30)
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                          check=True, timeout=30).stdout.strip()


KO_YAML = """\
defaultPlatforms: [linux/amd64]
defaultEnv: [GOAMD64=v2, CGO_ENABLED=1]
defaultFlags: [-tags=netgo]
defaultLdflags: ["-X main.version=STAMP[{{.Env.RELEASE}}]"]
sbom: none
builds:
- id: beta
  dir: .
  main: ./cmd/beta
  env: [GOAMD64=v1]
  ldflags: ["-X main.version=STAMP[{{.Git.Tag}}-{{ .Git.ShortCommit }}]"]
  linux_capabilities: [net_bind_service]
"""


def test_ko_yaml_is_read_when_there_is_no_slimgo_yaml(tmp_path: Path, slimgo: Slimgo, go: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _module(tmp_path / "m", ("alpha", "beta"))
    (root / ".ko.yaml").write_text(KO_YAML)
    kodata = root / "cmd" / "alpha" / "kodata"
    (kodata / "static").mkdir(parents=True)
    (kodata / "static" / "index.html").write_text("<h1>hi</h1>\n")
    (root / "LICENSE").write_text("MIT\n")
    (kodata / "LICENSE").symlink_to("../../../LICENSE")  # inside the module: followed
    commit = _git(root)
    monkeypatch.setenv("RELEASE", "1.0.0")
    result = slimgo("build", "-o", f"oci:{tmp_path}/l", "./...", cwd=root)
    assert result.code == 0, result.err
    assert "'sbom' is not supported" in result.err and "'linux_capabilities' is not supported" in result.err
    assert "CGO_ENABLED in defaultEnv is not used" in result.err
    alpha = _binary_info(f"oci:{tmp_path}/l:alpha", "alpha", tmp_path)
    beta = _binary_info(f"oci:{tmp_path}/l:beta", "beta", tmp_path)
    assert alpha["stamp"] == "1.0.0" and alpha["symbols"] == "False" and alpha["GOAMD64"] == "v2"
    assert alpha["-tags"] == "netgo" and beta["-tags"] == "netgo"
    assert beta["stamp"] == f"v0.4.2-{commit}" and beta["GOAMD64"] == "v1"
    image = open_image(f"oci:{tmp_path}/l:alpha")
    rootfs = Rootfs(image.layers)
    assert rootfs.read("/var/run/ko/static/index.html") == b"<h1>hi</h1>\n"
    assert rootfs.read("/var/run/ko/LICENSE") == b"MIT\n"
    assert "KO_DATA_PATH=/var/run/ko" in image.config.env
    assert not Rootfs(open_image(f"oci:{tmp_path}/l:beta").layers).exists("/var/run/ko")
    # a .slimgo.yaml takes precedence over .ko.yaml
    (root / ".slimgo.yaml").write_text("tzdata: never\n")
    result = slimgo("build", "-o", f"oci:{tmp_path}/s", "./cmd/alpha", cwd=root)
    assert result.code == 0, result.err
    assert _binary_info(f"oci:{tmp_path}/s:alpha", "alpha", tmp_path)["stamp"] == ""


def test_kodata_link_out_of_the_module_and_unknown_templates_are_refused(tmp_path: Path, slimgo: Slimgo,
                                                                         go: str) -> None:
    root = _module(tmp_path / "m")
    (tmp_path / "secret").write_text("key\n")
    (root / "cmd" / "app" / "kodata").mkdir()
    (root / "cmd" / "app" / "kodata" / "leak").symlink_to(tmp_path / "secret")
    result = slimgo("build", "-o", f"oci:{tmp_path}/l", "./cmd/app", cwd=root)
    assert result.code == 2
    assert "outside the module" in result.err and "Traceback" not in result.err
    assert not (tmp_path / "l").exists()
    (root / "cmd" / "app" / "kodata" / "leak").unlink()
    (root / ".ko.yaml").write_text('defaultLdflags: ["-X main.version={{ .Env.V | upper }}"]\n')
    result = slimgo("build", "-o", f"oci:{tmp_path}/l", "./cmd/app", cwd=root)
    assert result.code == 2
    assert "does not support" in result.err and "{{ .Env.V | upper }}" in result.err
    assert not (tmp_path / "l").exists()
