"""The `--base static` rootfs: what gcr.io/distroless/static:nonroot holds, from maintained Python packages.

The CA bundle comes from certifi (Mozilla's roots) and zoneinfo from tzdata (IANA), so both follow their upstream
releases through ordinary dependency updates.
"""

from __future__ import annotations

__all__ = ["DEFAULT_PATH", "NONROOT_UID", "base_env", "rootfs_entries", "zoneinfo_entries"]

from importlib import resources
from pathlib import Path

import certifi

from slimgo.layer import Entry

NONROOT_UID = 65532
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PASSWD = (
    "root:x:0:0:root:/root:/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
)
GROUP = (
    "root:x:0:\n"
    "tty:x:5:\n"
    "staff:x:50:\n"
    "nobody:x:65534:\n"
    "nonroot:x:65532:\n"
)
NSSWITCH = "hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\nshadow: files\n"
OS_RELEASE = (
    'PRETTY_NAME="slimgo static (distroless-equivalent)"\n'
    'NAME="slimgo static"\n'
    "ID=slimgo-static\n"
    'VERSION_ID="1"\n'
    'HOME_URL="https://github.com/slimgo/slimgo"\n'
)


def ca_bundle() -> bytes:
    return Path(certifi.where()).read_bytes()


def rootfs_entries() -> list[Entry]:
    """Users, groups, name service config, /tmp, the nonroot home and the CA bundle."""
    return [
        Entry("etc/passwd", data=PASSWD.encode()),
        Entry("etc/group", data=GROUP.encode()),
        Entry("etc/nsswitch.conf", data=NSSWITCH.encode()),
        Entry("etc/os-release", data=OS_RELEASE.encode()),
        Entry("etc/ssl/certs/ca-certificates.crt", data=ca_bundle()),
        Entry("home/nonroot", kind="dir", mode=0o700, uid=NONROOT_UID, gid=NONROOT_UID),
        Entry("root", kind="dir", mode=0o700),
        Entry("tmp", kind="dir", mode=0o1777),
    ]


def zoneinfo_entries() -> list[Entry]:
    """Every zone file of the tzdata package under usr/share/zoneinfo (its Python files left out)."""
    root = resources.files("tzdata").joinpath("zoneinfo")
    entries: list[Entry] = []
    stack = [(root, "usr/share/zoneinfo")]
    while stack:
        node, dest = stack.pop()
        for child in node.iterdir():
            name = child.name
            if name.startswith("__") or name.endswith(".py") or name.endswith(".pyc"):
                continue
            target = f"{dest}/{name}"
            if child.is_dir():
                stack.append((child, target))
            else:
                entries.append(Entry(target, data=child.read_bytes()))
    return entries


def base_env(with_ca: bool) -> list[str]:
    env = [f"PATH={DEFAULT_PATH}"]
    if with_ca:
        env.append(f"SSL_CERT_FILE={CA_BUNDLE}")
    return env
