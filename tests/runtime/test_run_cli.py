"""`slimgo run` end to end with runc: servers on 127.0.0.1, stdin and exit codes, signals, timeouts, bad layers."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.host import host_platform
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import assemble
from tests.runtime.conftest import Images
from tests.runtime.layers import Member, raw_layer
from tests.runtime.procs import free_port, healthz, slimgo_run, stop
from tests.stores.access import Location, write_artifact

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_is_reachable_and_a_signal_stops_it(images: Images, tmp_path: Path, sig: int) -> None:
    port = free_port()
    tmpdir = tmp_path / "tmp"
    proc = slimgo_run("--timeout", "60", images.ref("server"), "--", "--addr", f"127.0.0.1:{port}",
                      tmpdir=tmpdir, stderr=subprocess.PIPE)
    try:
        health = healthz(port, proc)
        assert (health["uid"], health["gid"]) == (65532, 65532)
        started = time.monotonic()
        proc.send_signal(sig)  # forwarded to the server, which is PID 1 of the container
        _, err = proc.communicate(timeout=20)
    finally:
        stop(proc)
    assert time.monotonic() - started < 10
    # A Go program that gets SIGTERM/SIGINT without handling it exits 2 when, as PID 1, it cannot die of it.
    assert proc.returncode == 2, err.decode()
    assert f"listening on 127.0.0.1:{port}" in err.decode()
    assert list(tmpdir.iterdir()) == []  # bundle and runc state removed


def test_user_flag_and_timeout(images: Images, tmp_path: Path) -> None:
    port = free_port()
    proc = slimgo_run("--timeout", "5", "--user", "1234:5678", images.ref("server"), "--",
                      "--addr", f"127.0.0.1:{port}", tmpdir=tmp_path / "tmp", stderr=subprocess.PIPE)
    try:
        health = healthz(port, proc)
        proc.communicate(timeout=30)
    finally:
        stop(proc)
    assert (health["uid"], health["gid"]) == (1234, 5678)
    assert proc.returncode == 124
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("transport", ["oci", "oci-archive", "docker-archive"])
def test_stdin_passes_through_and_exit_code_comes_back(images: Images, tmp_path: Path, transport: str) -> None:
    ref = {"oci": images.ref("stdincli"), "oci-archive": f"oci-archive:{images.root}/cli.tar:stdincli",
           "docker-archive": f"docker-archive:{images.root}/cli-docker.tar"}[transport]
    proc = slimgo_run(ref, "--", "7", tmpdir=tmp_path / "tmp", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                      stderr=subprocess.PIPE)
    out, err = proc.communicate(b"hello\nworld\n", timeout=60)
    assert out == b"HELLO\nWORLD\n", err.decode()
    assert proc.returncode == 7
    assert list((tmp_path / "tmp").iterdir()) == []


def test_entrypoint_override(images: Images, tmp_path: Path) -> None:
    proc = slimgo_run("--entrypoint", "/app/stdincli", images.ref("server"), "3", tmpdir=tmp_path / "tmp",
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(b"via entrypoint\n", timeout=60)
    assert (out, proc.returncode) == (b"VIA ENTRYPOINT\n", 3), err.decode()


def test_timeout_kills_a_stuck_container(images: Images, tmp_path: Path) -> None:
    started = time.monotonic()
    proc = slimgo_run("--timeout", "1", images.ref("stdincli"), tmpdir=tmp_path / "tmp", stdin=subprocess.PIPE,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code = proc.wait(timeout=30)  # stdin stays open: stdincli waits for input forever
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        stop(proc)
    assert code == 124
    assert time.monotonic() - started < 20
    assert list((tmp_path / "tmp").iterdir()) == []


def test_network_none_isolates_the_server(images: Images, tmp_path: Path) -> None:
    port = free_port()
    proc = slimgo_run("--network", "none", "--timeout", "4", images.ref("server"), "--",
                      "--addr", f"127.0.0.1:{port}", tmpdir=tmp_path / "tmp", stderr=subprocess.PIPE)
    reached = False
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as sock:
                sock.settimeout(0.5)
                reached = reached or sock.connect_ex(("127.0.0.1", port)) == 0
            time.sleep(0.1)
        _, err = proc.communicate(timeout=30)
    finally:
        stop(proc)
    assert f"listening on 127.0.0.1:{port}" in err.decode()  # it served, on its own loopback
    assert not reached and proc.returncode == 124


def test_keep_leaves_a_runnable_bundle(images: Images, tmp_path: Path) -> None:
    proc = slimgo_run("--keep", "-e", "MODE=test", images.ref("stdincli"), "--", "0", tmpdir=tmp_path / "tmp",
                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(b"x\n", timeout=60)
    assert (out, proc.returncode) == (b"X\n", 0)
    match = re.search(r"bundle kept at (\S+)", err.decode())
    assert match, err.decode()
    bundle = Path(match.group(1))
    try:
        spec = json.loads((bundle / "config.json").read_text())
        assert spec["process"]["args"] == ["/app/stdincli", "0"]
        assert "MODE=test" in spec["process"]["env"]
        assert (bundle / "rootfs/app/stdincli").is_file()
        assert [p.name for p in (tmp_path / "tmp").iterdir()] == [bundle.name]  # runc's state is gone
    finally:
        shutil.rmtree(bundle)


BAD_LAYERS = {
    "dotdot": [Member("../escaped", data=b"x")],
    "dotdot-inside": [Member("tmp/../../tmp/escaped-by-slimgo", data=b"x")],
    "symlink": [Member("esc", "symlink", linkname="../../../../../../../../tmp"),
                Member("esc/escaped-by-slimgo", data=b"x")],
    "hardlink": [Member("hl", "hardlink", linkname="../../../../etc/passwd")],
}


@pytest.mark.parametrize("case", sorted(BAD_LAYERS))
def test_bad_layers_are_refused_and_nothing_is_left(images: Images, tmp_path: Path, case: str,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    layer = raw_layer(tmp_path, BAD_LAYERS[case])
    config = ImageConfig.empty(host_platform()).replace_runtime(Entrypoint=["/app/stdincli"])
    write_artifact(Location.parse(f"oci:{tmp_path}/bad:{case}"), assemble(config, [layer]))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    code = main(["run", f"oci:{tmp_path}/bad:{case}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: layer {layer.descriptor.digest} entry '{BAD_LAYERS[case][-1].name}'")
    assert "fix:" in err and "Traceback" not in err
    assert list(tmpdir.iterdir()) == []
    assert not Path("/tmp/escaped-by-slimgo").exists() and not (tmp_path / "escaped").exists()


def test_missing_runc_says_how_to_install_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["run", f"oci:{tmp_path}/any:x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: runc: is not installed") and "fix: install runc" in err


@pytest.mark.parametrize("argv", [["run"], ["run", "-e", "=x", "oci:/x"], ["run", "nonsense"],
                                  ["run", "--timeout", "0", "oci:/x"], ["run", "--network", "bridge", "oci:/x"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_missing_image_is_a_clear_error(images: Images, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", f"oci:{tmp_path}/nothing-here:x"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "fix:" in err


def test_missing_command_is_caught_before_runc(images: Images, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    assert main(["run", "--entrypoint", "/app/nope", images.ref("server")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: command '/app/nope': is not an executable file in the image")
    assert "fix:" in err and list(tmpdir.iterdir()) == []
