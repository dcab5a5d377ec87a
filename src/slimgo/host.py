"""Facts about the machine slimgo runs on (kept out of the pure image model in oci/)."""

from __future__ import annotations

import platform as _platform

from slimgo.oci.platform import Platform

_HOST_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
              "i386": "386", "i686": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def host_platform() -> Platform:
    """The platform of an image this machine runs natively (linux, whatever the kernel reports)."""
    machine = _platform.machine().lower()
    arch = _HOST_ARCH.get(machine, machine)
    return Platform("linux", arch, "v7" if arch == "arm" else "")


__all__ = ["host_platform"]
