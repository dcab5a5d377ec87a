"""The OCI runtime config (config.json of a bundle) from an image config and the `slimgo run` options."""

from __future__ import annotations

__all__ = [
    "DEFAULT_PATH",
    "NETWORKS",
    "RunOptions",
    "User",
    "build_process",
    "find_executable",
    "process_args",
    "process_env",
    "resolve_user",
    "runtime_spec",
]

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slimgo.errors import RunError, UsageError
from slimgo.oci.config import ImageConfig, env_get, env_set
from slimgo.runtime.rootpath import Escape, components, read_file, resolve

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NETWORKS = ("host", "none")
# Docker's default set without CAP_MKNOD (runc's /dev is a tmpfs with a fixed device list), CAP_NET_RAW (raw
# sockets let a container spoof packets on the host network it shares) and CAP_SETFCAP (no file capabilities are
# needed to run a Go program).
CAPABILITIES = (
    "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
)
HOST_FILES = ("/etc/resolv.conf", "/etc/hosts")
MASKED_PATHS = (
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
_MAX_ID = 2**32 - 2


@dataclass(frozen=True)
class RunOptions:
    """What `slimgo run` was asked to do, beyond the image itself."""

    args: tuple[str, ...] = ()  # replaces the image's Cmd when not empty
    env: tuple[str, ...] = ()  # K=V sets, a bare K copies the host's value
    user: str | None = None  # user[:group], by number or by name in the image
    entrypoint: str | None = None  # "" clears the image's Entrypoint
    network: str = "host"
    timeout: float | None = None
    keep: bool = False
    hostname: str = "slimgo"
    terminal: bool = False  # a pseudo-terminal for the process (runc in the foreground connects it to ours)


@dataclass(frozen=True)
class User:
    uid: int
    gid: int
    additional_gids: tuple[int, ...] = ()
    home: str = "/"


@dataclass(frozen=True)
class Process:
    args: tuple[str, ...]
    env: tuple[str, ...]
    cwd: str
    user: User


def process_args(config: ImageConfig, options: RunOptions) -> list[str]:
    """Entrypoint + Cmd, overridden the way `docker run` does: --entrypoint also drops the image's Cmd."""
    if options.entrypoint is not None:
        entrypoint = [options.entrypoint] if options.entrypoint else []
        cmd = list(options.args)
    else:
        entrypoint = config.entrypoint
        cmd = list(options.args) or config.cmd
    args = entrypoint + cmd
    if not args:
        raise RunError("image", "has no Entrypoint or Cmd, and no command was given",
                       "pass --entrypoint /path/in/image, or the command after `--`")
    return args


def _table(data: bytes | None, min_fields: int) -> list[list[str]]:
    if data is None:
        return []
    rows = []
    for line in data.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if len(fields) >= min_fields and not line.startswith("#"):
            rows.append(fields)
    return rows


def _number(text: str, what: str, spec: str) -> int:
    value = int(text)
    if value > _MAX_ID:
        raise UsageError(f"--user {spec}", f"{what} {value} is out of range", f"use a {what} below {_MAX_ID + 1}")
    return value


def _missing(table: str, present: bool) -> str:
    return f"is not in the image's {table}" if present else f"cannot be looked up: the image has no {table}"


def resolve_user(spec: str, rootfs: Path) -> User:
    """``user[:group]`` by number or by name, names looked up in the rootfs's /etc/passwd and /etc/group."""
    passwd = _table(read_file(rootfs, "/etc/passwd"), 7)
    groups = _table(read_file(rootfs, "/etc/group"), 4)
    name_part, _, group_part = (spec or "0").partition(":")
    fix = "use a numeric uid[:gid] (e.g. --user 65532:65532), or an account the image's /etc/passwd defines"
    entry: list[str] | None = None
    if name_part.isdigit():
        uid = _number(name_part, "uid", spec)
        entry = next((row for row in passwd if row[2] == name_part), None)
    else:
        entry = next((row for row in passwd if row[0] == name_part), None)
        if entry is None:
            raise RunError(f"user {name_part!r}", _missing("/etc/passwd", bool(passwd)), fix)
        uid = _number(entry[2], "uid", spec) if entry[2].isdigit() else 0
    if group_part:
        if group_part.isdigit():
            gid = _number(group_part, "gid", spec)
        else:
            group = next((row for row in groups if row[0] == group_part), None)
            if group is None or not group[2].isdigit():
                raise RunError(f"group {group_part!r}", _missing("/etc/group", bool(groups)), fix)
            gid = int(group[2])
    else:
        # like Docker: a uid the image does not know runs with gid 0
        gid = int(entry[3]) if entry is not None and entry[3].isdigit() else 0
    extra: list[int] = []
    if entry is not None:
        for row in groups:
            if entry[0] in row[3].split(",") and row[2].isdigit() and int(row[2]) != gid:
                extra.append(int(row[2]))
    home = entry[5] if entry is not None and entry[5] else "/"
    return User(uid, gid, tuple(sorted(set(extra))), home)


def process_env(config: ImageConfig, options: RunOptions, user: User,
                host_env: dict[str, str] | None = None) -> list[str]:
    """The image's Env with PATH and HOME filled in like Docker, then each -e applied in order."""
    host = os.environ if host_env is None else host_env
    env = list(config.env)
    if env_get(env, "PATH") is None:
        env = env_set(env, "PATH", DEFAULT_PATH)
    if env_get(env, "HOME") is None:
        env = env_set(env, "HOME", user.home)
    for item in options.env:
        key, eq, value = item.partition("=")
        if not key:
            raise UsageError(f"-e {item}", "names no variable", "write -e NAME=VALUE, or -e NAME to copy it from here")
        if eq:
            env = env_set(env, key, value)
        elif key in host:
            env = env_set(env, key, host[key])
    return env


def find_executable(rootfs: Path, command: str, env: Sequence[str], cwd: str) -> str | None:
    """Where ``command`` is in the rootfs, as the container's exec would find it (PATH for bare names), or None."""
    if "/" in command:
        candidates = [command if command.startswith("/") else f"{cwd.rstrip('/')}/{command}"]
    else:
        search = env_get(list(env), "PATH") or DEFAULT_PATH
        candidates = [f"{d.rstrip('/') or ''}/{command}" for d in search.split(":") if d.startswith("/")]
    for candidate in candidates:
        try:
            path = rootfs.joinpath(*resolve(rootfs, components(candidate)))
            info = os.stat(path, follow_symlinks=False)
        except (Escape, OSError):
            continue
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
            return candidate
    return None


def build_process(config: ImageConfig, options: RunOptions, rootfs: Path) -> Process:
    """Everything about the container's process: the user and the command are checked against the rootfs."""
    user = resolve_user(options.user if options.user is not None else config.user, rootfs)
    cwd = config.working_dir or "/"
    if not cwd.startswith("/"):
        cwd = "/" + cwd  # Docker treats a relative WorkingDir as relative to /
    args = process_args(config, options)
    env = process_env(config, options, user)
    if find_executable(rootfs, args[0], env, cwd) is None:
        where = "" if "/" in args[0] else f" (searched PATH={env_get(env, 'PATH')})"
        raise RunError(f"command {args[0]!r}", f"is not an executable file in the image{where}",
                       "check the image's Entrypoint and Cmd (slimgo inspect IMAGE), or pass --entrypoint "
                       "with the path of a program the image has")
    return Process(tuple(args), tuple(env), cwd, user)


def _mounts(host_files: Sequence[str]) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    ]
    for path in host_files:
        # The host's own files, so names resolve the way they do on the host network the container shares.
        source = os.path.realpath(path)
        if os.path.isfile(source):
            mounts.append({"destination": path, "type": "bind", "source": source,
                           "options": ["bind", "ro", "nosuid", "nodev", "noexec"]})
    return mounts


def runtime_spec(process: Process, options: RunOptions, host_files: Sequence[str] = HOST_FILES) -> dict[str, Any]:
    """The bundle's config.json; without a network namespace the container shares the host's network."""
    if options.network not in NETWORKS:
        raise UsageError(f"--network {options.network}", "is not a network mode slimgo knows",
                         "use --network host (the default) or --network none")
    namespaces = [{"type": kind} for kind in ("pid", "ipc", "uts", "mount")]
    if options.network == "none":
        namespaces.append({"type": "network"})  # runc brings up only the loopback interface in it
    user: dict[str, Any] = {"uid": process.user.uid, "gid": process.user.gid}
    if process.user.additional_gids:
        user["additionalGids"] = list(process.user.additional_gids)
    caps = list(CAPABILITIES)
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": options.terminal,
            "user": user,
            "args": list(process.args),
            "env": list(process.env),
            "cwd": process.cwd,
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": options.hostname,
        "mounts": _mounts(host_files),
        "linux": {
            "namespaces": namespaces,
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
        },
    }
