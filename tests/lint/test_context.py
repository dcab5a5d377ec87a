"""`slimgo context`: BuildKit's walk over a real tree, the findings, --suggest and --json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.errors import InputError
from slimgo.lint.context import scan_context, suggest_ignore
from slimgo.lint.dockerignore import lint_dockerignore
from tests.schemas import validate


def make(root: Path, files: dict[str, int]) -> None:
    for rel, size in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    make(root, {
        "main.go": 100, "go.mod": 20, ".git/HEAD": 30, ".git/objects/ab/cd": 5000, "node_modules/x/index.js": 700,
        ".env": 10, "certs/server.pem": 64, "dist/app": 9000, "vendor/modules.txt": 50, ".gitmodules": 5,
        "docs/README.md": 40,
    })
    (root / "certs/server.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\n".ljust(64, b"x"))
    return root


def rules(report_findings: list[object]) -> set[str]:
    return {f.rule for f in report_findings}  # type: ignore[attr-defined]


def test_without_dockerignore_everything_is_sent_and_flagged(ctx: Path) -> None:
    report = scan_context(ctx)
    assert report.sent.files == report.total.files == 11
    assert report.sent.bytes == report.total.bytes == 100 + 20 + 30 + 5000 + 700 + 10 + 64 + 9000 + 50 + 5 + 40
    assert report.largest[0] == ("dist/app", 9000)
    assert {"SG220", "SG221", "SG222", "SG223", "SG224", "SG225", "SG226"} <= rules(report.findings)
    secret = [f for f in report.findings if f.rule == "SG226"]
    assert {f.path for f in secret} == {".env", "certs/server.pem"}
    git = next(f for f in report.findings if f.rule == "SG221")
    assert "2 files" in git.message and git.fix == "add '.git' to .dockerignore"


def test_dockerignore_prunes_and_counts(ctx: Path) -> None:
    (ctx / ".dockerignore").write_text(".git\nnode_modules\n.env\n**/*.pem\ndist\nvendor\n.gitmodules\n")
    report = scan_context(ctx)
    assert report.sent.files == 4  # main.go go.mod docs/README.md .dockerignore
    assert report.sent.bytes == 100 + 20 + 40 + (ctx / ".dockerignore").stat().st_size
    assert report.total.files == 12
    assert report.pruned_dirs == 4  # .git node_modules dist vendor, skipped unread
    assert not {"SG220", "SG221", "SG224", "SG226"} & rules(report.findings)


def test_exception_reincludes_a_file_inside_an_excluded_dir(ctx: Path) -> None:
    (ctx / ".dockerignore").write_text(".git\ndocs\n!docs/README.md\n")
    report = scan_context(ctx, keep_paths=True)
    sent = {p for p, _, _ in report.sent_paths or []}
    assert "docs/README.md" in sent and "docs" in sent  # the parent entry travels with it


def test_suggest_output_removes_the_findings(ctx: Path) -> None:
    suggestion = suggest_ignore(scan_context(ctx))
    assert ".git" in suggestion.splitlines()
    (ctx / ".dockerignore").write_text(suggestion)
    after = scan_context(ctx)
    assert not {"SG221", "SG222", "SG224", "SG226"} & rules(after.findings)
    assert after.sent.bytes < 500


def test_invalid_pattern_fails_the_build(ctx: Path) -> None:
    (ctx / ".dockerignore").write_text(".git\n[z\n")
    report = scan_context(ctx)
    assert report.fails
    assert any(f.rule == "SG201" and f.line == 2 for f in report.findings)


def test_symlinks_are_not_followed_and_loops_are_reported(ctx: Path) -> None:
    os.symlink("..", ctx / "docs" / "loop")
    os.symlink("/etc/passwd", ctx / "passwd")
    report = scan_context(ctx, keep_paths=True)
    kinds = {p: k for p, k, _ in report.sent_paths or []}
    assert kinds["docs/loop"] == "symlink" and kinds["passwd"] == "symlink"
    links = {f.path for f in report.findings if f.rule == "SG228"}
    assert links == {"docs/loop", "passwd"}


def _denying(blocked: str) -> object:
    def scandir(path: str) -> Iterator[os.DirEntry[str]]:
        if path.endswith(blocked):
            raise PermissionError(13, "Permission denied", path)
        return os.scandir(path)  # type: ignore[return-value]
    return scandir


def test_unreadable_directory_fails_unless_excluded(ctx: Path) -> None:
    report = scan_context(ctx, scandir=_denying("docs"))  # type: ignore[arg-type]
    assert report.fails
    assert any(f.rule == "SG227" and f.path == "docs" for f in report.findings)
    (ctx / ".dockerignore").write_text("docs\n!docs/keep\n")
    report = scan_context(ctx, scandir=_denying("docs"))  # type: ignore[arg-type]
    assert not report.fails  # pruned: BuildKit never opens it
    (ctx / ".dockerignore").write_text("docs\n!**/keep\n")
    report = scan_context(ctx, scandir=_denying("docs"))  # type: ignore[arg-type]
    assert not report.fails  # walked because of the wildcard exception, but excluded: the error is ignored
    assert any(f.rule == "SG227" and f.severity.value == "info" for f in report.findings)


def test_missing_context_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        scan_context(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError):
        scan_context(tmp_path / "file")


def test_cli_json_has_the_documented_keys(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", str(ctx), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    validate(data, "context")
    assert (data["schema_version"], data["kind"]) == (1, "slimgo.context")
    assert data["files_sent"] == data["files_total"] == 11
    assert data["bytes_sent"] == data["bytes_total"] > 0
    assert data["largest"][0] == {"path": "dist/app", "bytes": 9000}
    assert any(f["rule"] == "SG226" for f in data["findings"])


def test_cli_text_suggest_and_fail_on(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", str(ctx)]) == 0
    out = capsys.readouterr().out
    assert "dist/app" in out and "SG221" in out
    assert main(["context", str(ctx), "--fail-on", "error"]) == 1
    capsys.readouterr()
    assert main(["context", str(ctx), "--suggest"]) == 0
    assert ".git" in capsys.readouterr().out.splitlines()
    assert main(["context", str(ctx / "missing")]) == 2


def test_pruned_totals_agree_between_find_and_python(ctx: Path) -> None:
    (ctx / ".dockerignore").write_text(".git\nnode_modules\n")
    os.link(ctx / ".git" / "HEAD", ctx / ".git" / "HEAD2")  # a hard link counts once
    os.symlink("HEAD", ctx / ".git" / "link")
    fast = scan_context(ctx)

    def plain(path: str) -> Iterator[os.DirEntry[str]]:
        return os.scandir(path)  # type: ignore[return-value]

    slow = scan_context(ctx, scandir=plain)  # type: ignore[arg-type]
    assert (fast.total.files, fast.total.bytes, fast.total.dirs) == (slow.total.files, slow.total.bytes,
                                                                     slow.total.dirs)
    assert fast.total.files == 14 and fast.sent.files == 9


CERT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n"


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A Go repository as it sits on a developer's disk: tools, caches, outputs, a real key and public certs."""
    root = tmp_path / "repo"
    files: dict[str, bytes] = {
        "go.mod": b"module example.com/x\n", "main.go": b"package main\n",
        "internal/bin/bin.go": b"package bin\n",  # a Go package named bin is source, not output
        "third_party/vendor/README": b"not Go's vendor directory\n",
        "services/api/dist/api": b"\x7fELF" + b"\0" * 60,
        "testdata/ca.pem": CERT, "testdata/pub.key": b"-----BEGIN PUBLIC KEY-----\n",
        "deploy/tls.key": KEY,
        "tools/py.test": b"#!/bin/sh\nexec pytest\n", "pkg/x.test": b"\x7fELF" + b"\0" * 20,
        "win/a.exe": b"MZ" + b"\0" * 30, "win/b.exe": b"MZ" + b"\0" * 30, "win/readme.exe": b"text",
        ".venv/bin/python": b"#!", ".venv/lib/certifi/cacert.pem": KEY, ".venv/lib/x/vendor/modules.txt": b"",
        ".mypy_cache/3.11/x.json": b"{}", "a/__pycache__/m.pyc": b"\0", "b/__pycache__/n.pyc": b"\0",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_findings_judge_content_and_stop_at_flagged_directories(messy: Path) -> None:
    report = scan_context(messy)
    by_path = {f.path: f for f in report.findings}
    assert [f.path for f in report.findings if f.rule == "SG226"] == ["deploy/tls.key"]  # certs and .venv: no
    assert by_path[".venv"].rule == "SG224" and by_path[".venv"].fix == "add '**/.venv' to .dockerignore"
    assert not any(p.startswith(".venv/") for p in by_path)
    dist = by_path["services/api/dist"]
    assert dist.fix == "add 'services/api/dist' to .dockerignore"  # a bare 'dist' would not match it
    assert "internal/bin" not in by_path and "third_party/vendor" not in by_path
    assert "tools/py.test" not in by_path and by_path["pkg/x.test"].rule == "SG225"
    (exe,) = [f for f in report.findings if "*.exe" in f.fix]
    assert exe.message.startswith("2 files matching '**/*.exe'") and "win/readme.exe" not in exe.message
    (pycache,) = [f for f in report.findings if "__pycache__" in f.fix]
    assert pycache.message.startswith("2 directories matching '**/__pycache__'")


def test_suggested_dockerignore_leaves_nothing_to_report_and_lints_clean(messy: Path) -> None:
    suggestion = suggest_ignore(scan_context(messy))
    (messy / ".dockerignore").write_text(suggestion)
    assert lint_dockerignore(".dockerignore", suggestion) == []
    after = scan_context(messy)
    assert after.findings == []
    sent = {p for p, _, _ in scan_context(messy, keep_paths=True).sent_paths or []}
    assert {"main.go", "go.mod", "internal/bin/bin.go", "testdata/ca.pem"} <= sent
