"""cachedir.keep: a cache entry is written whole or not at all, and an unwritable cache is only skipped."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from slimgo.cachedir import keep


def test_an_entry_is_written_whole(tmp_path: Path) -> None:
    entry = tmp_path / "a" / "b" / "entry.json"
    assert keep(entry, lambda out: out.write(b"{}"))
    assert entry.read_bytes() == b"{}"
    assert [p.name for p in entry.parent.iterdir()] == ["entry.json"]


def test_a_failed_write_leaves_the_old_entry_and_no_scratch(tmp_path: Path) -> None:
    entry = tmp_path / "entry"
    entry.write_bytes(b"old")

    def broken(out: BinaryIO) -> None:
        out.write(b"half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        keep(entry, broken)
    assert entry.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    assert keep(blocker / "entry", lambda out: out.write(b"x")) is False  # its parent is a file
