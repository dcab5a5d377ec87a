"""`slimgo build` end to end with the real Go toolchain, checked by skopeo, umoci and the OCI schemas."""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from slimgo.compression import open_tar
from slimgo.rootfs import Rootfs
from tests.conftest import require_tool
from tests.imagebuild.conftest import Slimgo, copy_fixture
from tests.ocischema import validate
from tests.stores.access import Location, open_image, read_artifact

pytestmark = pytest.mark.integration


def test_build_server_agrees_with_skopeo_and_umoci(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("server", tmp_path)
    out = tmp_path / "layout"
    result = slimgo("build", "--json", "--port", "8080", "--label", "team=core", "-o", f"oci:{out}", str(src))
    assert result.code == 0, result.err
    (record,) = result.json_lines()
    assert record["reference"] == f"oci:{out}:server@{record['digest']}"
    assert record["static"] is True and str(record["go_version"]).startswith("go1.")
    assert record["tzdata"] is True  # the server calls time.LoadLocation
    assert len(record["layers"]) == 3  # type: ignore[arg-type]

    skopeo = require_tool("skopeo")
    inspected = json.loads(subprocess.run([skopeo, "inspect", f"oci:{out}:server"], capture_output=True,
                                          text=True, check=True).stdout)
    assert inspected["Digest"] == record["digest"]
    config = json.loads(subprocess.run([skopeo, "inspect", "--config", f"oci:{out}:server"], capture_output=True,
                                       text=True, check=True).stdout)
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["/app/server"]
    assert config["config"]["ExposedPorts"] == {"8080/tcp": {}}
    assert config["config"]["Labels"] == {"team": "core"}
    assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in config["config"]["Env"]
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert len(config["history"]) == 3
    validate("config", config)
    image = open_image(f"oci:{out}:server")
    validate("manifest", json.loads(image.raw_manifest))

    umoci = require_tool("umoci")
    bundle = tmp_path / "bundle"
    subprocess.run([umoci, "unpack", "--image", f"{out}:server", str(bundle)], check=True, capture_output=True)
    rootfs = bundle / "rootfs"
    assert (rootfs / "app/server").stat().st_mode & 0o777 == 0o755
    assert (rootfs / "tmp").stat().st_mode & 0o7777 == 0o1777
    home = (rootfs / "home/nonroot").stat()
    assert (home.st_uid, home.st_mode & 0o777) == (65532, 0o700)
    assert "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" in (rootfs / "etc/passwd").read_text()
    assert (rootfs / "etc/ssl/certs/ca-certificates.crt").read_text().count("BEGIN CERTIFICATE") > 100
    assert (rootfs / "usr/share/zoneinfo/Europe/Berlin").read_bytes().startswith(b"TZif")


def test_tzdata_left_out_when_not_needed(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "--json", "-o", f"oci:{tmp_path}/l", str(src))
    assert result.code == 0, result.err
    (record,) = result.json_lines()
    assert record["tzdata"] is False and len(record["layers"]) == 2  # type: ignore[arg-type]
    forced = slimgo("build", "--json", "--tzdata", "always", "-o", f"oci:{tmp_path}/l2", str(src)).json_lines()
    assert forced[0]["tzdata"] is True and len(forced[0]["layers"]) == 3  # type: ignore[arg-type]


def test_reproducible_across_directories_and_time(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    first = copy_fixture("server", tmp_path / "a")
    second = copy_fixture("server", tmp_path / "b" / "deeper")
    plats = "linux/amd64,linux/arm64"
    one = slimgo("build", "--platform", plats, "-o", f"oci:{tmp_path}/one", str(first))
    time.sleep(1.1)
    two = slimgo("build", "--platform", plats, "-o", f"oci:{tmp_path}/two", str(second))
    assert one.code == 0 and two.code == 0, one.err + two.err
    digest_one, digest_two = one.out.strip().rsplit("@", 1)[1], two.out.strip().rsplit("@", 1)[1]
    assert digest_one == digest_two
    index = json.loads(Path(tmp_path / "one" / "blobs" / "sha256" / digest_one.split(":")[1]).read_text())
    validate("index", index)
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    arm = open_image(f"oci:{tmp_path}/one:server", __import__("slimgo.oci.platform").oci.platform.Platform.parse(
        "linux/arm64"))
    assert arm.config.platform.architecture == "arm64"
    with open_tar(arm.layers[-1]) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            if member.name == "app/server":
                header = tar.extractfile(member).read(20)  # type: ignore[union-attr]
                assert int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_docker_archive_output_is_read_by_skopeo(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    skopeo = require_tool("skopeo")
    src = copy_fixture("stdincli", tmp_path)
    archive = tmp_path / "img.tar"
    result = slimgo("build", "-o", f"docker-archive:{archive}:example/cli:1", str(src))
    assert result.code == 0, result.err
    assert result.out.startswith(f"docker-archive:{archive}:example/cli:1@sha256:")
    inspected = json.loads(subprocess.run([skopeo, "inspect", "--config", f"docker-archive:{archive}"],
                                          capture_output=True, text=True, check=True).stdout)
    assert inspected["config"]["Entrypoint"] == ["/app/stdincli"]
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == ["example/cli:1"]
    subprocess.run([skopeo, "copy", "-q", f"docker-archive:{archive}", f"oci:{tmp_path}/copy:x"], check=True,
                   capture_output=True)
    assert open_image(f"oci:{tmp_path}/copy:x").config.entrypoint == ["/app/stdincli"]


def test_oci_archive_and_several_mains_in_parallel(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    root = tmp_path / "mod"
    (root / "cmd").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/multi\n\ngo 1.22\n")
    for name in ("alpha", "beta"):
        (root / "cmd" / name).mkdir()
        (root / "cmd" / name / "main.go").write_text(f'package main\n\nfunc main() {{ println("{name}") }}\n')
    (root / "lib").mkdir()
    (root / "lib" / "lib.go").write_text("package lib\n")
    result = slimgo("build", "--jobs", "2", "-o", f"oci-archive:{tmp_path}/all.tar", "./...", cwd=root)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split("@")[0] for line in lines] == [f"oci-archive:{tmp_path}/all.tar:{n}" for n in ("alpha", "beta")]
    assert open_image(f"oci-archive:{tmp_path}/all.tar:beta").config.entrypoint == ["/app/beta"]


def test_settings_file_with_per_main_override(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    (src / ".slimgo.yaml").write_text(
        "tzdata: never\nenv: [MODE=prod]\nmains:\n  stdincli:\n    user: '1000:1000'\n    port: [9090]\n")
    result = slimgo("build", "-o", f"oci:{tmp_path}/l", "--env", "MODE=dev", ".", cwd=src)
    assert result.code == 0, result.err
    config = open_image(f"oci:{tmp_path}/l:stdincli").config
    assert config.user == "1000:1000"
    assert config.exposed_ports == ["9090/tcp"]
    assert "MODE=dev" in config.env  # the flag wins over the file


def _host_glibc_base(tmp_path: Path, with_libc: bool) -> str:
    """An image holding the host's own dynamic loader (and libc): what a cgo binary needs at run time."""
    from slimgo.layer import Entry, build_layer
    from slimgo.oci.config import ImageConfig
    from slimgo.oci.image import assemble
    from slimgo.oci.platform import Platform
    from tests.stores.access import write_artifact

    loader = Path("/lib64/ld-linux-x86-64.so.2")
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    if not loader.exists() or not libc.exists():
        pytest.skip("needs an x86_64 glibc host")
    entries = [Entry("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", mode=0o755, source=loader.resolve()),
               Entry("lib64/ld-linux-x86-64.so.2", kind="symlink", linkname="/lib/x86_64-linux-gnu/"
                     "ld-linux-x86-64.so.2")]
    if with_libc:
        entries.append(Entry("lib/x86_64-linux-gnu/libc.so.6", mode=0o755, source=libc.resolve()))
    layer = build_layer(entries, tmp_path)
    image = assemble(ImageConfig.empty(Platform.parse("linux/amd64")), [layer])
    name = "glibc" if with_libc else "nolibc"
    write_artifact(Location.parse(f"oci:{tmp_path}/{name}:base"), image)
    return f"oci:{tmp_path}/{name}:base"


def test_cgo_checked_against_the_real_base(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    require_tool("gcc")
    src = copy_fixture("cgoprog", tmp_path)
    good = _host_glibc_base(tmp_path, with_libc=True)
    ok = slimgo("build", "--cgo", "--base", good, "-o", f"oci:{tmp_path}/out", str(src))
    assert ok.code == 0, ok.err
    image = open_image(f"oci:{tmp_path}/out:cgoprog")
    assert image.manifest.annotations["org.opencontainers.image.base.name"] == good
    assert Rootfs(image.layers).exists("/lib/x86_64-linux-gnu/libc.so.6")

    bad = _host_glibc_base(tmp_path, with_libc=False)
    missing = slimgo("build", "--cgo", "--base", bad, "-o", f"oci:{tmp_path}/out2", str(src))
    assert missing.code == 1
    assert "lacks libc.so.6" in missing.err and "Traceback" not in missing.err
    assert not (tmp_path / "out2").exists()

    embedded = slimgo("build", "--cgo", "-o", f"oci:{tmp_path}/out3", str(src))
    assert embedded.code == 2 and "--base" in embedded.err


def test_base_image_layers_kept_byte_for_byte(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    base = _host_glibc_base(tmp_path, with_libc=True)
    result = slimgo("build", "--base", base, "-o", f"oci:{tmp_path}/o", str(src))
    assert result.code == 0, result.err
    built = open_image(f"oci:{tmp_path}/o:stdincli")
    base_image = read_artifact(Location.parse(base))
    assert built.manifest.layers[0] == base_image.manifest.layers[0]  # type: ignore[union-attr]
    assert built.manifest.annotations["org.opencontainers.image.base.digest"] == str(base_image.digest)


def test_zstd_layers_and_replaced_module(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    app = copy_fixture("replaced", tmp_path) / "app"
    result = slimgo("build", "--json", "--compression", "zstd", "-o", f"oci:{tmp_path}/z", str(app))
    assert result.code == 0, result.err
    (record,) = result.json_lines()
    layers = record["layers"]
    assert all(layer["media_type"] == "application/vnd.oci.image.layer.v1.tar+zstd" for layer in layers)  # type: ignore[index,union-attr]
    image = open_image(f"oci:{tmp_path}/z:app")
    rootfs = Rootfs(image.layers)
    assert rootfs.exists("/app/app") and rootfs.exists("/etc/passwd")
    binary = tmp_path / "app.bin"
    binary.write_bytes(rootfs.read("/app/app"))
    modules = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "=>\t../lib" in modules.replace(" ", "\t") or "../lib" in modules


def test_config_flags_files_and_source_date_epoch(tmp_path: Path, slimgo: Slimgo, go: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    src = copy_fixture("stdincli", tmp_path)
    assets = tmp_path / "assets"
    (assets / "sub").mkdir(parents=True)
    (assets / "sub" / "a.txt").write_text("a")
    (assets / "run.sh").write_text("#!/bin/sh\n")
    (assets / "run.sh").chmod(0o755)
    (tmp_path / "conf.yaml").write_text("k: v\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", "--arg", "3", "--arg", "--verbose", "--workdir", "/data",
                    "--env", "A=1", "--user", "1000:1000", "--annotation", "team=core", "--app-dir", "/opt/bin",
                    "--file", f"{assets}:/srv/assets", "--file", f"{tmp_path}/conf.yaml:/etc/app/conf.yaml:0600",
                    str(src))
    assert result.code == 0, result.err
    image = open_image(f"oci:{tmp_path}/o:stdincli")
    config = image.config
    assert config.entrypoint == ["/opt/bin/stdincli"] and config.cmd == ["3", "--verbose"]
    assert config.working_dir == "/data" and config.user == "1000:1000" and "A=1" in config.env
    assert config.data["created"] == "2023-11-14T22:13:20Z"
    assert image.manifest.annotations["team"] == "core"
    rootfs = Rootfs(image.layers)
    assert rootfs.resolve("/srv/assets/sub/a.txt") is not None
    assert rootfs.nodes["/srv/assets/run.sh"].mode == 0o755
    assert rootfs.nodes["/srv/assets/sub/a.txt"].mode == 0o644
    assert rootfs.nodes["/etc/app/conf.yaml"].mode == 0o600
    assert rootfs.nodes["/opt/bin/stdincli"].mode == 0o755
    with open_tar(image.layers[-1]) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        assert {member.mtime for member in tar} == {1700000000}


def test_arm_v7_variant_maps_to_goarm(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "--json", "--platform", "linux/arm/v7", "-o", f"oci:{tmp_path}/o", str(src))
    assert result.code == 0, result.err
    from slimgo.oci.platform import Platform

    image = open_image(f"oci:{tmp_path}/o:stdincli", Platform.parse("linux/arm/v7"))
    assert (image.config.platform.architecture, image.config.platform.variant) == ("arm", "v7")
    binary = tmp_path / "arm.bin"
    binary.write_bytes(Rootfs(image.layers).read("/app/stdincli"))
    modules = subprocess.run([go, "version", "-m", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "GOARM=7" in modules and "GOARCH=arm" in modules


def test_settings_paths_are_relative_to_the_settings_file(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    src = copy_fixture("stdincli", tmp_path)
    (src / "conf.yaml").write_text("k: v\n")
    (src / ".slimgo.yaml").write_text("file: ['conf.yaml:/etc/app/conf.yaml']\noutput: ['oci:out/oci']\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = slimgo("build", str(src), cwd=elsewhere)
    assert result.code == 0, result.err
    assert result.out.startswith(f"oci:{src}/out/oci:stdincli@")
    assert Rootfs(open_image(f"oci:{src}/out/oci:stdincli").layers).read("/etc/app/conf.yaml") == b"k: v\n"
    assert not any(elsewhere.iterdir())


def test_a_person_sees_progress_and_a_summary(tmp_path: Path, slimgo: Slimgo, go: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from slimgo.cli import render

    monkeypatch.setattr(render, "interactive", lambda: True)
    src = copy_fixture("stdincli", tmp_path)
    result = slimgo("build", "-o", f"oci:{tmp_path}/o", str(src))
    assert result.code == 0, result.err
    assert "building example.com/stdincli for linux/" in result.err
    assert "2 layers" in result.err and "static" in result.err
    assert result.out.count("\n") == 1  # stdout stays one line per image for scripts
