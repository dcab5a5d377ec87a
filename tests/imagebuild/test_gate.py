"""The cgo base check without Go: a fake rootfs and linking facts through the module's seams."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.elf.linking import Linking
from slimgo.errors import StaticLinkError
from slimgo.imagebuild import gate
from slimgo.oci.platform import Platform


class FakeRootfs:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def exists(self, path: str) -> bool:
        return path in self.files

    def read(self, path: str) -> bytes:
        return self.files[path]


def linking(**changes: object) -> Linking:
    base: dict[str, object] = dict(path="app", elf_class=64, machine="amd64", byteorder="little",
                                   elf_type="ET_DYN", static=False,
                                   interpreter="/lib64/ld-linux-x86-64.so.2", needed=["libc.so.6"],
                                   glibc_required="2.34")
    base.update(changes)
    return Linking(**base)  # type: ignore[arg-type]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app"
    path.write_bytes(b"\x7fELF")
    return path


def test_old_glibc_is_named(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "read_linking", lambda _p: linking())
    monkeypatch.setattr(gate, "_glibc_versions", lambda _d: {"GLIBC_2.2.5", "GLIBC_2.28", "GLIBC_PRIVATE"})
    rootfs = FakeRootfs({"/lib64/ld-linux-x86-64.so.2": b"", "/lib/x86_64-linux-gnu/libc.so.6": b""})
    with pytest.raises(StaticLinkError) as err:
        gate.check_dynamic_base(app, Platform.parse("linux/amd64"), rootfs, "oci:old")  # type: ignore[arg-type]
    assert "has glibc 2.28" in err.value.cause and "needs glibc >= 2.34" in err.value.cause


def test_new_enough_glibc_passes(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "read_linking", lambda _p: linking())
    monkeypatch.setattr(gate, "_glibc_versions", lambda _d: {"GLIBC_2.34", "GLIBC_2.36"})
    rootfs = FakeRootfs({"/lib64/ld-linux-x86-64.so.2": b"", "/usr/lib/x86_64-linux-gnu/libc.so.6": b""})
    result = gate.check_dynamic_base(app, Platform.parse("linux/amd64"), rootfs, "oci:new")  # type: ignore[arg-type]
    assert result.glibc_required == "2.34"


def test_missing_loader_and_wrong_machine(app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "read_linking", lambda _p: linking())
    with pytest.raises(StaticLinkError, match=r"lacks the dynamic loader /lib64/ld-linux-x86-64\.so\.2"):
        gate.check_dynamic_base(app, Platform.parse("linux/amd64"), FakeRootfs({}), "oci:x")  # type: ignore[arg-type]
    monkeypatch.setattr(gate, "read_linking", lambda _p: linking(machine="arm64"))
    with pytest.raises(StaticLinkError, match="built for arm64"):
        gate.check_static(app, Platform.parse("linux/amd64"), [])
