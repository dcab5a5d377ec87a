"""The `find` listing that counts pruned directories: what it reports and how hard links are counted."""

from __future__ import annotations

import os
from pathlib import Path

from slimgo.lint.findtree import count_listing, find_program, list_tree
from tests.conftest import require_tool


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "one").write_bytes(b"x" * 10)
    (root / "a" / "b" / "two").write_bytes(b"y" * 7)
    os.link(root / "a" / "one", root / "a" / "b" / "one-again")
    os.symlink("one", root / "a" / "link")


def test_listing_counts_dirs_files_and_bytes_once_per_inode(tmp_path: Path) -> None:
    require_tool("find")
    find = find_program()
    assert find is not None
    _tree(tmp_path)
    out = list_tree(find, str(tmp_path / "a"))
    assert out is not None
    inodes: set[tuple[int, int]] = set()
    count = count_listing(out, inodes)
    # b/; one, b/two, b/one-again, link: the hard link's bytes once, the symlink's not at all
    assert (count.dirs, count.files, count.bytes, count.entries) == (1, 4, 17, 5)
    assert len(inodes) == 1
    again = count_listing(out, inodes)  # the same inode seen from another pruned directory adds no bytes
    assert again.bytes == 7


def test_missing_directory_gives_no_listing(tmp_path: Path) -> None:
    require_tool("find")
    find = find_program()
    assert find is not None
    assert list_tree(find, str(tmp_path / "missing")) is None
    assert list_tree(str(tmp_path / "no-such-find"), str(tmp_path)) is None


def test_malformed_lines_are_skipped() -> None:
    out = b"d 4096 2 1 5\nf 12 1 1 6\ngarbage\nl 3 1 1 7\nf 5 2 1 8\nf 5 2 1 8\n"
    count = count_listing(out, set())
    assert (count.dirs, count.files, count.bytes, count.entries) == (1, 4, 17, 6)
