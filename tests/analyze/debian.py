"""A Debian-like image made from real Debian packages: `apt-get download` (kept between runs next to the peer
tools), each package's filesystem tar (`dpkg-deb --fsys-tarfile`) as one layer, then a layer with the dpkg status
file, /bin/sh and busybox applet links, the way a Debian base is put together."""

from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.analyze.images import F, docker_archive, history_step
from tests.peers import peers_dir

PACKAGES = ("libc6", "dash", "busybox-static")
APPLETS = ("ls", "cat", "wget", "vi")


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def debs() -> dict[str, Path]:
    """package name -> .deb, downloaded once (the machine's apt sources and architecture decide the versions)."""
    home = peers_dir() / "debs"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = {p: next(iter(sorted(home.glob(f"{p}_*.deb"))), None) for p in PACKAGES}
        missing = [p for p, deb in found.items() if deb is None]
        if missing:
            try:
                done = subprocess.run(["apt-get", "download", *missing], cwd=home, capture_output=True, text=True,
                                      timeout=300, check=False)
            except FileNotFoundError:
                _unavailable("apt-get is not installed")
                raise
            if done.returncode != 0:
                _unavailable(f"apt-get download {' '.join(missing)} failed: {done.stderr[-500:]}")
            found = {p: next(iter(sorted(home.glob(f"{p}_*.deb"))), None) for p in PACKAGES}
    return {p: deb for p, deb in found.items() if deb is not None}


def _fields(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture", "Maintainer",
                           "Description"], capture_output=True, text=True, check=True, timeout=60).stdout


def debian_image(path: Path, extra: list[list[F]] | None = None, config: dict[str, Any] | None = None) -> Path:
    packages = debs()
    layers: list[list[F] | bytes] = []
    history = []
    for name in PACKAGES:
        tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(packages[name])], capture_output=True, check=True,
                             timeout=120).stdout
        layers.append(tar)
        history.append(history_step(f"/bin/sh -c dpkg --unpack {packages[name].name}"))
    status = "\n".join(_fields(packages[n]).replace("\nMaintainer", "\nStatus: install ok installed\nMaintainer")
                       for n in PACKAGES)
    layers.append([F("var/lib/dpkg/status", status.encode()), F("bin/sh", kind="symlink", link="dash"),
                   *[F(f"bin/{applet}", kind="symlink", link="/bin/busybox") for applet in APPLETS],
                   F("tmp", kind="dir", mode=0o1777)])
    history += [history_step("/bin/sh -c dpkg --configure -a"), history_step('CMD ["sh"]', empty=True)]
    for i, members in enumerate(extra or []):
        layers.append(members)
        history.append(history_step(f"/bin/sh -c step {i}"))
    return docker_archive(path, layers, history=history, config=config)
