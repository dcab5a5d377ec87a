"""The database is fetched as the go command fetches a module: through GOPROXY (here a file:// proxy on disk), with
GONOSUMDB and GOFLAGS honoured, then indexed; later runs reuse the index without asking the proxy."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from tests.conftest import require_tool
from tests.schemas import validate
from tests.vuln.test_database import TEXT_ADVISORY

pytestmark = pytest.mark.integration
MODULE = "golang.org/x/vulndb"


def publish(proxy: Path, version: str, time: str, files: dict[str, str]) -> None:
    """One module version in the GOPROXY protocol's layout: list, .info, .mod and .zip under @v/."""
    where = proxy / MODULE / "@v"
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "list", "a") as listing:
        listing.write(version + "\n")
    (where / f"{version}.info").write_text(json.dumps({"Version": version, "Time": time}))
    (where / f"{version}.mod").write_text(f"module {MODULE}\n")
    with zipfile.ZipFile(where / f"{version}.zip", "w") as archive:
        archive.writestr(f"{MODULE}@{version}/go.mod", f"module {MODULE}\n")
        for name, body in files.items():
            archive.writestr(f"{MODULE}@{version}/data/osv/{name}", body)


@pytest.fixture
def proxy_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    require_tool("go")
    proxy = tmp_path / "proxy"
    publish(proxy, "v0.0.1", "2026-01-02T03:04:05Z", {"GO-2022-1059.json": json.dumps(TEXT_ADVISORY),
                                                      "GO-2099-0001.json": "{broken"})
    monkeypatch.setenv("GOPROXY", proxy.as_uri())
    monkeypatch.setenv("GONOSUMDB", MODULE)  # a private copy: not in the public checksum database
    monkeypatch.setenv("GOFLAGS", "-modcacherw")  # honoured: the unpacked module stays writable (deletable)
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "cache"))
    return proxy


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["vuln", "--json", "--fail-on", "never", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report: dict[str, Any] = json.loads(captured.out)
    validate(report, "vuln")
    return report


def test_fetched_through_goproxy_and_indexed(proxy_env: Path, tmp_path: Path, binaries: dict[str, Path],
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    report = scan(capsys, str(binaries["textcall"]))
    assert report["database"] == {
        "source": f"{MODULE}@v0.0.1", "version": "v0.0.1", "date": "2026-01-02T03:04:05Z",
        "age_days": report["database"]["age_days"], "stale": True, "advisories": 1, "skipped": 1,
        "skipped_files": ["GO-2099-0001.json"],
    }
    unpacked = tmp_path / "modcache" / f"{MODULE}@v0.0.1" / "data" / "osv"
    assert stat.S_IMODE(os.stat(unpacked).st_mode) & stat.S_IWUSR  # GOFLAGS=-modcacherw reached `go`
    # a newer version on the proxy is not used until asked for: the run above remembered v0.0.1
    publish(proxy_env, "v0.0.2", "2026-02-01T00:00:00Z", {"GO-2022-1059.json": json.dumps(TEXT_ADVISORY)})
    assert scan(capsys, str(binaries["textcall"]))["database"]["version"] == "v0.0.1"
    refreshed = scan(capsys, "--refresh-db", str(binaries["textcall"]))
    assert refreshed["database"]["version"] == "v0.0.2"
    assert refreshed["database"]["skipped"] == 0
    pinned = scan(capsys, "--db-version", "v0.0.1", str(binaries["textcall"]))
    assert pinned["database"]["version"] == "v0.0.1"
    # the proxy gone: the remembered version still works offline
    monkeypatch.setenv("GOPROXY", "off")
    assert scan(capsys, str(binaries["textcall"]))["database"]["version"] == "v0.0.2"


def test_a_version_the_proxy_does_not_have(proxy_env: Path, binaries: dict[str, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["vuln", "--db-version", "v9.9.9", str(binaries["textcall"])])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{MODULE}@v9.9.9" in err and "slimgo vuln --refresh-db" in err
