"""`slimgo slim`: a fat image holding a static Go server, and one holding a dynamic (cgo) one, slimmed onto the
static base; the results still serve /healthz through `slimgo run`, are smaller and hold no shell."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.analyze.images import F, blob, docker_archive
from tests.conftest import FIXTURES, require_root, require_tool
from tests.runtime.procs import free_port, healthz, slimgo_run, stop
from tests.schemas import validate

HOST_LIBS = ("/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
             "/lib/x86_64-linux-gnu/libnss_files.so.2", "/lib/x86_64-linux-gnu/libnss_dns.so.2")


def _server(tmp: Path, cgo: bool) -> bytes:
    go = require_tool("go")
    out = tmp / ("server-cgo" if cgo else "server")
    env = {**os.environ, "CGO_ENABLED": "1" if cgo else "0"}
    tags = ["-tags", "netcgo"] if cgo else []
    subprocess.run([go, "build", *tags, "-o", str(out), "."], cwd=FIXTURES / "server", env=env, check=True,
                   capture_output=True, timeout=600)
    return out.read_bytes()


def _fat_image(tmp: Path, server: bytes, with_libs: bool) -> Path:
    dash = Path("/usr/bin/dash").read_bytes() if Path("/usr/bin/dash").is_file() else blob(100_000, 1)
    system = [F("usr/bin/dash", dash, mode=0o755), F("bin/sh", kind="symlink", link="/usr/bin/dash"),
              F("usr/bin/apt-get", blob(300_000, 2), mode=0o755),
              F("var/lib/dpkg/status", b"Package: dash\nStatus: install ok installed\n"),
              F("usr/share/doc/big.txt", blob(2_000_000, 3))]
    if with_libs:
        system += [F(path.lstrip("/"), Path(path).resolve().read_bytes(), mode=0o755) for path in HOST_LIBS]
        system.append(F("usr/lib/x86_64-linux-gnu/libunused.so.1", blob(500_000, 4), mode=0o755))
    app = [F("app/server", server, mode=0o755), F("usr/local/bin/server", kind="symlink", link="/app/server")]
    return docker_archive(tmp / "fat.tar", [system, app], config={
        "Entrypoint": ["server"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "User": "root",
        "ExposedPorts": {"8080/tcp": {}}, "Labels": {"team": "web"}})


def _serves(image: str, tmp: Path) -> dict[str, object]:
    require_tool("runc")
    require_root()
    port = free_port()
    proc = slimgo_run("--timeout", "60", image, "--", "--addr", f"127.0.0.1:{port}", tmpdir=tmp / "run",
                      stderr=subprocess.DEVNULL)
    try:
        return healthz(port, proc)
    finally:
        stop(proc)


@pytest.mark.parametrize("cgo", [False, True], ids=["static", "dynamic"])
def test_slim_keeps_a_working_server_and_drops_the_rest(cgo: bool, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    if cgo and not all(Path(p).exists() for p in HOST_LIBS):
        pytest.skip("this machine has no x86-64 glibc to build the dynamic fixture from")
    fat = _fat_image(tmp_path, _server(tmp_path, cgo), with_libs=cgo)
    assert main(["slim", "--json", f"docker-archive:{fat}", "-o", f"oci:{tmp_path}/slim:server"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "analyze")
    assert doc["linking"] == ("dynamic" if cgo else "static")
    assert doc["binary"] == "/app/server"
    assert doc["after"]["uncompressed_size"] < doc["before"]["uncompressed_size"]
    assert doc["after"]["size"] < doc["before"]["size"]
    assert "SG301 /usr/bin/dash" in doc["findings_gone"] and "SG312 config.User" in doc["findings_gone"]
    expected = {"/app/server"} | ({"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
                                   "/lib/x86_64-linux-gnu/libnss_files.so.2",
                                   "/lib/x86_64-linux-gnu/libnss_dns.so.2"} if cgo else set())
    assert set(doc["kept"]) == expected
    assert doc["written"].startswith(f"oci:{tmp_path}/slim:server@sha256:")
    assert main(["analyze", "--json", f"oci:{tmp_path}/slim:server"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert not [f for f in after["findings"] if f["rule"] in ("SG301", "SG302", "SG312")]
    health = _serves(f"oci:{tmp_path}/slim:server", tmp_path)
    assert health["uid"] == 65532


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fat = _fat_image(tmp_path, _server(tmp_path, False), with_libs=False)
    assert main(["slim", "--dry-run", f"docker-archive:{fat}", "-o", f"oci:{tmp_path}/never"]) == 0
    out = capsys.readouterr().out
    assert "would keep /app/server (static)" in out and "dropped" in out
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("config, layer, why", [
    ({"Entrypoint": ["python3", "app.py"]}, [F("usr/bin/python3", blob(100, 1), mode=0o755)], "interpreter"),
    ({"Cmd": ["/app/run.sh"]}, [F("app/run.sh", b"#!/bin/sh\nexec /app/server\n", mode=0o755)],
     "a script for /bin/sh"),
    ({}, [F("app/server", blob(100, 2))], "no Entrypoint or Cmd"),
    ({"Entrypoint": ["/app/missing"]}, [F("app/server", blob(100, 3))], "not a file in the image"),
])
def test_refuses_what_it_cannot_slim(config: dict[str, object], layer: list[F], why: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    archive = docker_archive(tmp_path / "x.tar", [layer], config=config)
    assert main(["slim", f"docker-archive:{archive}", "-o", f"oci:{tmp_path}/out"]) == 1
    err = capsys.readouterr().err
    assert why in err and "fix:" in err
    assert not (tmp_path / "out").exists()


def test_analyze_verdict_measures_the_slim_saving(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fat = _fat_image(tmp_path, _server(tmp_path, False), with_libs=False)
    assert main(["analyze", "--json", f"docker-archive:{fat}"]) == 0
    verdict = json.loads(capsys.readouterr().out)["verdicts"][0]
    assert verdict.startswith("rebuild on --base static")
    assert "no shell, no package manager, no package database" in verdict
    assert main(["slim", "--dry-run", "--json", f"docker-archive:{fat}"]) == 0
    doc = json.loads(capsys.readouterr().out)
    from slimgo.units import human_bytes

    assert f"{human_bytes(doc['before']['size'] - doc['after']['size'])} smaller" in verdict


def test_base_keep_and_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = _server(tmp_path, False)
    fat = docker_archive(tmp_path / "fat.tar", [[F("app/server", server, mode=0o755),
                                                 F("app/templates/index.html", b"<h1>hi</h1>"),
                                                 F("usr/bin/dash", blob(1000, 1), mode=0o755)]],
                         config={"Entrypoint": ["/app/server"], "User": "root", "Env": ["MODE=prod"]})
    base = docker_archive(tmp_path / "base.tar", [[F("etc/passwd", b"root:x:0:0::/:/nologin\n")],
                                                  [F("etc/group", b"root:x:0:\n")]])
    assert main(["slim", "--json", "--base", f"docker-archive:{base}", "--keep", "/app/templates/index.html",
                 "--user", "1000:1000", f"docker-archive:{fat}", "-o", f"oci:{tmp_path}/out:app"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["after"]["layers"] == 3
    assert doc["kept"] == ["/app/server", "/app/templates/index.html"]
    assert main(["analyze", "--json", f"oci:{tmp_path}/out:app"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert [row["created_by"] for row in after["layers"]][-1].startswith("slimgo slim docker-archive:")
    from tests.stores.access import open_image

    config = open_image(f"oci:{tmp_path}/out:app").config
    assert (config.user, config.env, config.entrypoint) == ("1000:1000", ["MODE=prod"], ["/app/server"])
    assert main(["slim", "--keep", "/nope", f"docker-archive:{fat}", "-o", f"oci:{tmp_path}/x"]) == 2
    assert "--keep /nope" in capsys.readouterr().err
