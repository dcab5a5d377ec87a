"""The OCI runtime config: process args like `docker run`, users from the image, env, namespaces and mounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.errors import RunError, UsageError
from slimgo.oci.config import ImageConfig
from slimgo.oci.platform import Platform
from slimgo.runtime.runc import find_runc
from slimgo.runtime.spec import (
    DEFAULT_PATH,
    RunOptions,
    User,
    build_process,
    find_executable,
    process_args,
    process_env,
    resolve_user,
    runtime_spec,
)

PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = "root:x:0:\nstaff:x:50:nonroot\nnonroot:x:65532:\naudio:x:29:other,nonroot\n"


def config(**runtime: object) -> ImageConfig:
    return ImageConfig.empty(Platform.parse("linux/amd64")).replace_runtime(**runtime)


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)
    (root / "app").mkdir()
    for name in ("server", "app"):
        (root / "app" / name).write_bytes(b"\x7fELF")
        (root / "app" / name).chmod(0o755)
    return root


@pytest.mark.parametrize(("entrypoint", "cmd", "flag", "args", "expected"), [
    (["/app"], ["--serve"], None, (), ["/app", "--serve"]),
    (["/app"], ["--serve"], None, ("--addr", "x"), ["/app", "--addr", "x"]),  # ARGS replace Cmd
    ([], ["/bin/app", "-v"], None, (), ["/bin/app", "-v"]),
    ([], ["/bin/app"], None, ("/other", "1"), ["/other", "1"]),
    (["/app"], ["--serve"], "/debug", (), ["/debug"]),  # --entrypoint drops the image's Cmd
    (["/app"], ["--serve"], "/debug", ("-x",), ["/debug", "-x"]),
    (["/app"], ["--serve"], "", ("/bin/true",), ["/bin/true"]),  # --entrypoint '' clears it
])
def test_process_args_follow_docker(entrypoint: list[str], cmd: list[str], flag: str | None,
                                    args: tuple[str, ...], expected: list[str]) -> None:
    cfg = config(Entrypoint=entrypoint, Cmd=cmd)
    assert process_args(cfg, RunOptions(args=args, entrypoint=flag)) == expected


def test_nothing_to_run_is_a_clear_error() -> None:
    with pytest.raises(RunError, match="no Entrypoint or Cmd") as err:
        process_args(config(), RunOptions())
    assert "--entrypoint" in err.value.diagnostics()


@pytest.mark.parametrize(("spec", "expected"), [
    ("", User(0, 0, (), "/root")),
    ("0", User(0, 0, (), "/root")),
    ("65532", User(65532, 65532, (29, 50), "/home/nonroot")),
    ("nonroot", User(65532, 65532, (29, 50), "/home/nonroot")),
    ("nonroot:staff", User(65532, 50, (29,), "/home/nonroot")),
    ("nonroot:7", User(65532, 7, (29, 50), "/home/nonroot")),
    ("1234", User(1234, 0, (), "/")),  # unknown uid: gid 0, like Docker
    ("1234:5678", User(1234, 5678, (), "/")),
])
def test_users_resolve_from_the_image(rootfs: Path, spec: str, expected: User) -> None:
    assert resolve_user(spec, rootfs) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("ghost", "user 'ghost': is not in the image's /etc/passwd"),
    ("nonroot:ghosts", "group 'ghosts': is not in the image's /etc/group"),
    ("99999999999", "out of range"),
])
def test_unknown_users_are_clear_errors(rootfs: Path, spec: str, message: str) -> None:
    with pytest.raises((RunError, UsageError)) as err:
        resolve_user(spec, rootfs)
    assert message in err.value.diagnostics()


def test_user_lookup_never_reads_the_hosts_passwd(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").symlink_to("../../../../../../../../etc/passwd")  # escapes: treated as absent
    with pytest.raises(RunError, match="the image has no /etc/passwd"):
        resolve_user("root", root)
    (root / "etc/passwd").unlink()
    (root / "etc/real").write_text(PASSWD.replace("65532", "4242"))
    (root / "etc/passwd").symlink_to("/etc/real")  # absolute: resolved inside the rootfs
    assert resolve_user("nonroot", root).uid == 4242


def test_env_defaults_and_overrides() -> None:
    user = User(65532, 65532, (), "/home/nonroot")
    cfg = config(Env=["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "MODE=prod"])
    env = process_env(cfg, RunOptions(env=("MODE=dev", "NEW=1", "FROM_HOST", "NOT_ON_HOST")), user,
                      host_env={"FROM_HOST": "yes"})
    assert env == ["SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "MODE=dev", f"PATH={DEFAULT_PATH}",
                   "HOME=/home/nonroot", "NEW=1", "FROM_HOST=yes"]
    kept = process_env(config(Env=["PATH=/app", "HOME=/data"]), RunOptions(), user, host_env={})
    assert kept == ["PATH=/app", "HOME=/data"]
    with pytest.raises(UsageError, match="names no variable"):
        process_env(cfg, RunOptions(env=("=x",)), user, host_env={})


def test_spec_for_host_network(rootfs: Path, tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\n")
    options = RunOptions(args=("--addr", "127.0.0.1:1"), user="nonroot", env=("A=1",))
    process = build_process(config(Entrypoint=["/app/server"], WorkingDir="/srv"), options, rootfs)
    spec = runtime_spec(process, options, host_files=[str(resolv), str(tmp_path / "missing")])
    json.dumps(spec)  # what goes to config.json must be plain JSON
    proc = spec["process"]
    assert proc["args"] == ["/app/server", "--addr", "127.0.0.1:1"]
    assert proc["user"] == {"uid": 65532, "gid": 65532, "additionalGids": [29, 50]}
    assert proc["cwd"] == "/srv" and proc["terminal"] is False and proc["noNewPrivileges"] is True
    assert "A=1" in proc["env"]
    caps = proc["capabilities"]["bounding"]
    assert "CAP_NET_BIND_SERVICE" in caps and "CAP_NET_RAW" not in caps and "CAP_MKNOD" not in caps
    assert "CAP_SYS_ADMIN" not in caps
    assert spec["root"] == {"path": "rootfs", "readonly": False}
    assert [ns["type"] for ns in spec["linux"]["namespaces"]] == ["pid", "ipc", "uts", "mount"]
    mounts = {m["destination"]: m for m in spec["mounts"]}
    assert {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"} <= set(mounts)
    assert mounts["/proc"]["type"] == "proc" and mounts["/dev"]["type"] == "tmpfs"
    assert "ro" in mounts["/sys"]["options"]
    assert mounts[str(resolv)] == {"destination": str(resolv), "type": "bind", "source": str(resolv),
                                   "options": ["bind", "ro", "nosuid", "nodev", "noexec"]}
    assert str(tmp_path / "missing") not in mounts


def test_spec_for_no_network_and_defaults(rootfs: Path) -> None:
    options = RunOptions(network="none")
    process = build_process(config(Cmd=["/app/app"]), options, rootfs)
    spec = runtime_spec(process, options, host_files=[])
    assert [ns["type"] for ns in spec["linux"]["namespaces"]] == ["pid", "ipc", "uts", "mount", "network"]
    assert spec["process"]["cwd"] == "/" and spec["process"]["user"] == {"uid": 0, "gid": 0}
    with pytest.raises(UsageError, match="--network bridge"):
        runtime_spec(process, RunOptions(network="bridge"), host_files=[])


def test_missing_runc_or_root_says_how_to_fix() -> None:
    with pytest.raises(RunError) as missing:
        find_runc(which=lambda _: None, euid=lambda: 0)
    assert "not installed" in missing.value.diagnostics() and "install runc" in missing.value.diagnostics()
    with pytest.raises(RunError) as not_root:
        find_runc(which=lambda _: "/usr/bin/runc", euid=lambda: 1000)
    assert "uid 1000" in not_root.value.diagnostics() and "as root" in not_root.value.diagnostics()
    assert find_runc(which=lambda _: "/usr/bin/runc", euid=lambda: 0) == "/usr/bin/runc"


def test_the_command_must_exist_in_the_image(rootfs: Path) -> None:
    (rootfs / "usr/bin").mkdir(parents=True)
    (rootfs / "usr/bin/tool").symlink_to("/app/server")  # absolute: the image's /app/server
    (rootfs / "app/data.txt").write_text("not a program")
    env = [f"PATH={DEFAULT_PATH}"]
    assert find_executable(rootfs, "/app/server", env, "/") == "/app/server"
    assert find_executable(rootfs, "tool", env, "/") == "/usr/bin/tool"
    assert find_executable(rootfs, "./server", env, "/app") == "/app/./server"
    assert find_executable(rootfs, "tool", ["PATH=/app"], "/") is None
    assert find_executable(rootfs, "/app/data.txt", env, "/") is None  # not executable
    assert find_executable(rootfs, "/app", env, "/") is None  # a directory
    with pytest.raises(RunError) as err:
        build_process(config(Entrypoint=["/nope"]), RunOptions(), rootfs)
    assert err.value.diagnostics().startswith("command '/nope': is not an executable file in the image")
    with pytest.raises(RunError, match="searched PATH=/usr/local/sbin"):
        build_process(config(Cmd=["sh", "-c", "x"]), RunOptions(), rootfs)
