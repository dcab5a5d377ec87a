"""The `go list` cache: what counts as a change (a file's Go header, a directory's Go names, the module files,
the environment), and what does not (an edit inside a function body, a touch)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from slimgo.gobuild.listcache import RACY_NS, TICK_NS, ListCache, Watch, go_header

MAIN = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("one") }\n'


def test_the_header_ends_at_the_first_top_level_declaration() -> None:
    assert go_header(MAIN.encode()) == b'package main\n\nimport "fmt"\n\n'
    assert go_header(b"package x\n") == b"package x\n"


def test_a_declaration_inside_a_block_comment_does_not_end_the_header() -> None:
    # a cgo preamble holds C, whose lines may start like Go declarations
    source = (b'package x\n\n/*\nconst char *name(void);\ntype_t y;\n*/\nimport "C"\n\nimport "os"\n\n'
              b"func F() { os.Exit(int(C.name())) }\n")
    assert go_header(source).endswith(b'import "os"\n\n')
    assert go_header(b'package x\n// func in a line comment /*\nimport "os"\nvar _ = os.Args\n') == \
        b'package x\n// func in a line comment /*\nimport "os"\n'
    assert go_header(b"package x\n/* one */ /* two\nfunc not code\n*/\nvar v int\n").endswith(b"*/\n")


def _cache(tmp_path: Path) -> tuple[ListCache, Watch, Path]:
    package = tmp_path / "m"
    package.mkdir()
    (package / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (package / "main.go").write_text(MAIN)
    watch = Watch()
    watch.module_files(package)
    watch.package(package)
    return ListCache(tmp_path / "cache"), watch, package


def _store(cache: ListCache, key: str, watch: Watch) -> None:
    """Keep an answer as if `go list` had started just now, after the files were written."""
    cache.store(key, "answer", watch, time.time_ns() + 2 * TICK_NS)


def _age(path: Path, seconds: float = 10) -> None:
    """Date a file back so its stat is trusted (a file changed in the last two seconds is always hashed)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_kept_answer_survives_a_body_edit_and_a_touch(tmp_path: Path) -> None:
    cache, watch, package = _cache(tmp_path)
    _age(package / "main.go")
    key = cache.key("/usr/bin/go", {"GOFLAGS": ""}, ["list", "."], package)
    _store(cache, key, watch)
    assert cache.load(key) == "answer"
    (package / "main.go").write_text(MAIN.replace("one", "two"))
    assert cache.load(key) == "answer"
    (package / "main.go").touch()
    assert cache.load(key) == "answer"


def test_a_new_import_a_new_file_or_a_module_change_drops_the_answer(tmp_path: Path) -> None:
    cache, watch, package = _cache(tmp_path)
    key = cache.key("/usr/bin/go", {}, ["list", "."], package)
    changes = [
        lambda: (package / "main.go").write_text(MAIN.replace('"fmt"', '"fmt"\nimport "os"')),
        lambda: (package / "extra.go").write_text("package main\n"),
        lambda: (package / "go.mod").write_text("module example.com/m\n\ngo 1.23\n"),
        lambda: (package / "go.work").write_text("go 1.22\n\nuse .\n"),
        lambda: (package / "main.go").write_text("//go:build never\n\n" + MAIN),
    ]
    for change in changes:
        (package / "main.go").write_text(MAIN)
        (package / "extra.go").unlink(missing_ok=True)
        (package / "go.work").unlink(missing_ok=True)
        (package / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
        for path in package.iterdir():
            _age(path)
        _store(cache, key, watch)
        assert cache.load(key) == "answer"
        change()
        assert cache.load(key) is None, change


def test_the_environment_and_the_go_binary_are_part_of_the_question(tmp_path: Path) -> None:
    cache, _, package = _cache(tmp_path)
    go = tmp_path / "go"
    go.write_text("#!/bin/sh\n")
    one = cache.key(str(go), {"GOFLAGS": ""}, ["list", "."], package)
    assert one != cache.key(str(go), {"GOFLAGS": "-tags=x"}, ["list", "."], package)
    assert one != cache.key(str(go), {"GOFLAGS": "", "GOOS": "darwin"}, ["list", "."], package)
    assert one == cache.key(str(go), {"GOFLAGS": "", "TERM": "dumb"}, ["list", "."], package)
    go.write_text("#!/bin/sh\n# a new toolchain\n")
    assert one != cache.key(str(go), {"GOFLAGS": ""}, ["list", "."], package)


def test_an_answer_given_while_a_file_changed_is_not_kept(tmp_path: Path) -> None:
    cache, watch, package = _cache(tmp_path)
    key = cache.key("/usr/bin/go", {}, ["list", "."], package)
    started = time.time_ns() - 5 * RACY_NS  # `go list` started before main.go was last written
    cache.store(key, "answer", watch, started)
    assert cache.load(key) is None


def test_a_recent_file_is_checked_by_content_not_stat(tmp_path: Path) -> None:
    cache, watch, package = _cache(tmp_path)
    key = cache.key("/usr/bin/go", {}, ["list", "."], package)
    main = package / "main.go"
    stat = main.stat()
    _store(cache, key, watch)
    # same size, same mtime (a change within one timestamp tick): the stat would lie, the content does not
    main.write_text(MAIN.replace('"fmt"', '"fmx"'))
    os.utime(main, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache.load(key) is None


def test_a_corrupt_or_oversized_entry_is_a_miss(tmp_path: Path) -> None:
    cache, watch, package = _cache(tmp_path)
    _age(package / "main.go")
    key = cache.key("/usr/bin/go", {}, ["list", "."], package)
    _store(cache, key, watch)
    entry = next((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json")
    assert cache.load(key) is None
    incomplete = Watch(complete=False)
    _store(cache, key, incomplete)
    assert cache.load(key) is None
