"""The symlink walk that the layer judge (links in memory) and the unpacker (links on disk) share."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from slimgo.layercheck import EntryJudge, Limits
from slimgo.linkwalk import MAX_LINKS, Escape, walk
from slimgo.runtime.rootpath import resolve


class Links:
    """A readlink over a table (absolute path in the root -> target) that remembers what it was asked."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, resolved: list[str], part: str) -> str | None:
        path = "/" + "/".join([*resolved, part])
        self.asked.append(path)
        return self.table.get(path)


def links(table: dict[str, str]) -> Links:
    return Links(table)


def test_plain_paths_and_dot_dot_inside_the_root() -> None:
    assert walk(["a", ".", "b", "", "c"], links({})) == ["a", "b", "c"]
    assert walk(["a", "..", "b"], links({})) == ["b"]
    assert walk([], links({})) == []


def test_relative_and_absolute_links() -> None:
    table = {"/lib": "usr/lib", "/usr/lib/cur": "/opt/v2", "/opt/v2/up": "../.."}
    assert walk(["lib", "x"], links(table)) == ["usr", "lib", "x"]
    assert walk(["lib", "cur", "bin"], links(table)) == ["opt", "v2", "bin"]  # absolute: from the root again
    assert walk(["lib", "cur", "up", "etc"], links(table)) == ["etc"]


def test_dot_dot_past_the_root_escapes() -> None:
    with pytest.raises(Escape, match="climbs above the root filesystem"):
        walk([".."], links({}))
    with pytest.raises(Escape, match="climbs above the root filesystem"):
        walk(["esc", "x"], links({"/esc": "../../tmp"}))
    with pytest.raises(Escape, match="climbs above the root filesystem"):
        walk(["a", "esc"], links({"/a/esc": "../.."}))  # the last component is followed by default


def test_the_last_component_is_followed_only_when_asked() -> None:
    table = {"/a/esc": "../.."}
    assert walk(["a", "esc"], links(table), follow_last=False) == ["a", "esc"]
    readlink = links(table)
    walk(["a", "esc"], readlink, follow_last=False)
    assert readlink.asked == ["/a", "/a/esc"]  # still asked: a parent that is a file must be able to say so


def test_loops_and_the_depth_bound() -> None:
    with pytest.raises(Escape, match=f"more than {MAX_LINKS} levels of symlinks"):
        walk(["loop", "x"], links({"/loop": "loop"}))
    with pytest.raises(Escape, match=f"more than {MAX_LINKS} levels"):
        walk(["a"], links({"/a": "/b", "/b": "/a"}))
    chain = {f"/l{i}": f"l{i + 1}" for i in range(MAX_LINKS)}
    assert walk(["l0"], links(chain)) == [f"l{MAX_LINKS}"]  # exactly the bound: followed
    chain[f"/l{MAX_LINKS}"] = "end"
    with pytest.raises(Escape):
        walk(["l0"], links(chain))  # one more: refused
    assert walk(["l0"], links(chain), max_links=MAX_LINKS + 1) == ["end"]


def test_the_judge_and_the_disk_walk_agree(tmp_path: Path) -> None:
    """The same links, once judged as tar entries (kept in memory) and once on disk, lead to the same place or are
    refused with the same words (the judge skips the walk for paths under no link: that must not change a thing)."""
    table = {"/lib": "usr/lib", "/cur": "/opt/v2", "/esc": "../../..", "/loop": "loop", "/abs": "/",
             "/usr/lib64": "lib", "/usr/lib/up": "../..", "/opt/v2": "../usr"}
    root = tmp_path / "root"
    for directory in ("usr/lib", "opt", "var/x"):
        (root / directory).mkdir(parents=True)
    judge = EntryJudge(Limits())
    judge.layer_name = "layer sha256:test"
    for path, target in table.items():
        os.symlink(target, root / path.lstrip("/"))
        link = tarfile.TarInfo(path.lstrip("/"))
        link.type, link.linkname = tarfile.SYMTYPE, target
        assert judge.judge(link).problem is None
    cases = [["lib", "x"], ["cur", "bin"], ["abs", "etc"], ["esc", "x"], ["loop", "x"], ["a", "..", "lib"],
             ["usr", "lib64", "x"], ["usr", "lib", "up", "etc"], ["var", "x", "y"], ["usr", "share", "z"],
             ["usr", "lib64"], ["cur"], ["opt", "v2", "lib", "up", "up"]]
    for parts in cases:
        for follow_last in (True, False):
            try:
                expected: object = resolve(root, parts, follow_last)
            except Escape as err:
                expected = str(err)
            try:
                got: object = judge.walk(parts, follow_last)
            except Escape as err:
                got = str(err)
            assert got == expected, (parts, follow_last)
