"""The database: a mirror directory with unreadable advisories, its date and staleness, missing and corrupt indexes,
two processes indexing at once, and inputs that are no Go binaries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from tests.schemas import validate
from tests.vuln.conftest import VulnDb

pytestmark = pytest.mark.integration

TEXT_ADVISORY = {
    "schema_version": "1.3.1", "id": "GO-2022-1059", "modified": "2023-01-01T00:00:00Z",
    "summary": "Denial of service via crafted Accept-Language header",
    "aliases": ["CVE-2022-32149"],
    "affected": [{
        "package": {"name": "golang.org/x/text", "ecosystem": "Go"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "0.3.8"}]}],
        "ecosystem_specific": {"imports": [{"path": "golang.org/x/text/language",
                                            "symbols": ["MatchStrings", "ParseAcceptLanguage"]}]},
    }],
}


def mirror(root: Path, date: datetime | None = None, extra: dict[str, str] | None = None) -> Path:
    """A served-database layout: ID/<id>.json and index/db.json."""
    (root / "ID").mkdir(parents=True)
    (root / "ID" / "GO-2022-1059.json").write_text(json.dumps(TEXT_ADVISORY))
    for name, body in (extra or {}).items():
        (root / "ID" / name).write_text(body)
    if date is not None:
        (root / "index").mkdir()
        (root / "index" / "db.json").write_text(json.dumps({"modified": date.isoformat().replace("+00:00", "Z")}))
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["vuln", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_mirror_with_unreadable_advisories_skips_and_counts_them(
        tmp_path: Path, binaries: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    db = mirror(tmp_path / "db", datetime.now(UTC), {
        "GO-2099-0001.json": "{not json", "GO-2099-0002.json": json.dumps({"id": 7}),
        "GO-2099-0003.json": json.dumps({"id": "GO-2099-0003", "affected": "nope"}),
    })
    code, out, err = run(capsys, "--json", "--db", str(db), str(binaries["textcall"]))
    assert code == 1
    report: dict[str, Any] = json.loads(out)
    validate(report, "vuln")
    assert report["database"]["skipped"] == 3
    assert sorted(report["database"]["skipped_files"]) == ["GO-2099-0001.json", "GO-2099-0002.json",
                                                            "GO-2099-0003.json"]
    assert report["database"]["advisories"] == 1 and report["database"]["stale"] is False
    assert "3 advisory files of the database could not be read" in err
    assert [f["id"] for f in report["binaries"][0]["findings"]] == ["GO-2022-1059"]


def test_an_old_database_is_dated_and_warned_about(tmp_path: Path, binaries: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db = mirror(tmp_path / "db", datetime.now(UTC) - timedelta(days=30))
    code, out, err = run(capsys, "--db", str(db), str(binaries["textparse"]))
    assert code == 0
    assert "30 days old" in out
    assert "warning: the vulnerability database is 30 days old" in err and "slimgo vuln --refresh-db" in err
    fresh = mirror(tmp_path / "fresh", datetime.now(UTC) - timedelta(days=2))
    code, _, err = run(capsys, "--db", str(fresh), str(binaries["textparse"]))
    assert "days old" not in err


def test_a_changed_mirror_is_indexed_again(tmp_path: Path, binaries: dict[str, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = mirror(tmp_path / "db", datetime.now(UTC))
    assert run(capsys, "--db", str(db), str(binaries["textcall"]))[0] == 1
    withdrawn = dict(TEXT_ADVISORY, withdrawn="2024-01-01T00:00:00Z")
    (db / "ID" / "GO-2022-1059.json").write_text(json.dumps(withdrawn))
    code, out, _ = run(capsys, "--db", str(db), str(binaries["textcall"]))
    assert code == 0 and "no known vulnerabilities" in out


def test_missing_database_says_how_to_fetch_it(tmp_path: Path, binaries: dict[str, Path],
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))  # nothing cached: only the proxy could help
    code, _, err = run(capsys, str(binaries["textcall"]))
    assert code == 2
    assert "golang.org/x/vulndb@latest" in err and "slimgo vuln --refresh-db" in err and "GOPROXY" in err
    assert not list((tmp_path / "empty-cache").rglob("index-*.json"))


def test_corrupt_index_says_how_to_refresh(vulndb: VulnDb, tmp_path: Path, binaries: dict[str, Path],
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from slimgo.cachedir import cache_root
    from slimgo.vuln.database import VULNDB_MODULE, index_path

    copy = tmp_path / "cache"
    shutil.copytree(cache_root() / "vuln", copy / "vuln")
    index = index_path(copy / "vuln", f"module:{VULNDB_MODULE}@{vulndb.version}")
    index.write_bytes(index.read_bytes()[:1000])  # cut short, as a full disk would leave it
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(copy))
    code, _, err = run(capsys, str(binaries["textcall"]))
    assert code == 2
    assert "index is corrupt" in err and "slimgo vuln --refresh-db" in err
    (copy / "vuln" / "current.json").write_text("{")
    code, _, err = run(capsys, str(binaries["textcall"]))
    assert code == 2 and "slimgo vuln --refresh-db" in err


def test_db_directory_without_advisories(tmp_path: Path, binaries: dict[str, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "--db", str(tmp_path / "empty"), str(binaries["textcall"]))
    assert code == 2 and "holds no OSV advisories" in err
    only_bad = mirror(tmp_path / "bad", None)
    (only_bad / "ID" / "GO-2022-1059.json").write_text("[]")
    code, _, err = run(capsys, "--db", str(only_bad), str(binaries["textcall"]))
    assert code == 2 and "none of its 1 advisory files could be read" in err


def test_two_processes_index_the_same_mirror_at_once(tmp_path: Path, binaries: dict[str, Path]) -> None:
    db = mirror(tmp_path / "db", datetime.now(UTC),
                {f"GO-2030-{n:04d}.json": json.dumps(dict(TEXT_ADVISORY, id=f"GO-2030-{n:04d}")) for n in range(300)})
    env = {**os.environ, "SLIMGO_CACHE_DIR": str(tmp_path / "cache")}
    args = [sys.executable, "-m", "slimgo", "vuln", "--json", "--db", str(db), str(binaries["textcall"])]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1], [o[1] for o in outputs]
    counts = {json.loads(out)["database"]["advisories"] for out, _ in outputs}
    assert counts == {301}
    files = sorted(p.name for p in (tmp_path / "cache" / "vuln").iterdir() if not p.name.startswith(".lock"))
    assert len(files) == 1 and files[0].startswith("index-")  # one index, no temporary files left


def test_binaries_without_go_build_information(tmp_path: Path, vulndb: VulnDb,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    code, _, err = run(capsys, str(text))
    assert code == 2 and "not an ELF file" in err  # not a binary at all: unreadable input
    code, _, err = run(capsys, "/bin/true")  # a C program: ELF, no Go build information
    assert code == 1 and "no Go build information" in err
    code, _, err = run(capsys, str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2 and "is not a regular file" in err


def test_binaries_older_than_go_1_18_say_so(binaries: dict[str, Path], vulndb: VulnDb,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The toolchain cannot build before go1.21 through GOTOOLCHAIN: the reader's answer for such a binary is faked."""
    from slimgo.elf.buildinfo import BuildInfo
    from slimgo.vuln import scan

    old = BuildInfo("go1.16.15", supported=False, note="build information of Go binaries older than go1.18 is "
                    "unsupported; rebuild with go1.18 or newer")
    monkeypatch.setattr(scan, "buildinfo_of", lambda image: old)
    code, _, err = run(capsys, str(binaries["textcall"]))
    assert code == 1
    assert "was built by go1.16.15" in err and "rebuild it with Go 1.18 or newer" in err
