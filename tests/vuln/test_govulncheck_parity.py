"""`slimgo vuln` against govulncheck -mode=binary on the same binaries and the same vulndb snapshot: the advisories
"present" (vulnerable symbols linked) and the advisories affecting the modules must be the same."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from tests.schemas import validate
from tests.vuln.conftest import VulnDb

pytestmark = pytest.mark.integration


def govulncheck_ids(tool: Path, db: VulnDb, binary: Path) -> tuple[set[str], set[str]]:
    """(present, all affecting) advisory ids from govulncheck's JSON stream."""
    proc = subprocess.run([str(tool), "-mode=binary", "-db", db.osv_dir.as_uri(), "-format", "json", str(binary)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    decoder, text = json.JSONDecoder(), proc.stdout
    present: set[str] = set()
    affecting: set[str] = set()
    for _ in range(100_000):
        text = text.lstrip()
        if not text:
            break
        message, end = decoder.raw_decode(text)
        text = text[end:]
        finding = message.get("finding")
        if finding:
            affecting.add(finding["osv"])
            if finding["trace"][0].get("function"):
                present.add(finding["osv"])
    return present, affecting


def slimgo_report(capsys: pytest.CaptureFixture[str], binary: Path) -> dict[str, Any]:
    code = main(["vuln", "--json", "--fail-on", "never", str(binary)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report: dict[str, Any] = json.loads(captured.out)
    validate(report, "vuln")
    return report


def ids(report: dict[str, Any], status: str | None = None) -> set[str]:
    return {f["id"] for b in report["binaries"] for f in b["findings"] if status in (None, f["status"])}


@pytest.mark.parametrize("name", ["textcall", "textparse", "textreplaced"])
def test_same_advisories_as_govulncheck(name: str, binaries: dict[str, Path], vulndb: VulnDb, govulncheck: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    present, affecting = govulncheck_ids(govulncheck, vulndb, binaries[name])
    report = slimgo_report(capsys, binaries[name])
    assert report["database"]["version"] == vulndb.version
    assert ids(report, "present") == present
    assert ids(report) == affecting


def test_same_stdlib_advisories_on_an_old_toolchain(old_toolchain_binary: Path, vulndb: VulnDb, govulncheck: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    present, affecting = govulncheck_ids(govulncheck, vulndb, old_toolchain_binary)
    report = slimgo_report(capsys, old_toolchain_binary)
    assert report["binaries"][0]["go_version"] == "go1.22.0"
    assert present, "go1.22.0 serving HTTP links code fixed since"
    assert ids(report, "present") == present
    assert ids(report) == affecting
    assert {f["module"] for b in report["binaries"] for f in b["findings"]} == {"stdlib"}


def test_the_call_decides_present(binaries: dict[str, Path], vulndb: VulnDb,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    calls = slimgo_report(capsys, binaries["textcall"])
    parses = slimgo_report(capsys, binaries["textparse"])
    by_id = {f["id"]: f for f in calls["binaries"][0]["findings"]}
    assert by_id["GO-2022-1059"]["status"] == "present"
    assert by_id["GO-2022-1059"]["symbols"] == ["golang.org/x/text/language.ParseAcceptLanguage"]
    assert by_id["GO-2022-1059"]["fixed"] == "v0.3.8"
    assert {f["id"]: f["status"] for f in parses["binaries"][0]["findings"]}["GO-2022-1059"] == "affected"
    replaced = slimgo_report(capsys, binaries["textreplaced"])
    finding = next(f for f in replaced["binaries"][0]["findings"] if f["id"] == "GO-2022-1059")
    assert finding["version"] == "v0.3.7" and finding["replaces"] == "golang.org/x/text@v0.3.8"
    assert finding["status"] == "present"


def test_stripped_binary_keeps_symbol_precision(binaries: dict[str, Path], vulndb: VulnDb,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """-s -w drops the symbol table, not the function table: the stripped binary gives the same answer
    (govulncheck falls back to module level there and calls every affecting advisory present)."""
    full = slimgo_report(capsys, binaries["textcall"])
    stripped = slimgo_report(capsys, binaries["textcall_stripped"])
    assert ids(stripped, "present") == ids(full, "present") == {"GO-2022-1059"}
    assert ids(stripped) == ids(full)
    assert stripped["binaries"][0]["note"] is None


def test_inlined_functions_count_as_linked(tmp_path: Path) -> None:
    """A function the compiler inlined everywhere has no code of its own, yet it is linked: its name is kept for the
    inline tree of its caller. (Which calls keep a mark depends on the compiler; at least one does here.)"""
    from slimgo.elf._reader import open_elf
    from slimgo.elf.pclntab import function_names
    from slimgo.vuln.symbols import split_name, symbols_of
    from tests.vuln.conftest import build_fixture

    for flags in ((), ("-ldflags=-s -w",)):
        binary = build_fixture("inlined", tmp_path, flags=flags)
        top_level = {split_name(n) for n in function_names(binary)}
        with open_elf(binary) as image:
            linked = symbols_of(image, "example.com/inlined").by_package
        lib = linked["example.com/inlined/lib"]
        inlined_only = {s for s in lib if ("example.com/inlined/lib", s) not in top_level}
        assert inlined_only, f"no inlined-only function found among {lib}"
        assert inlined_only <= {"Small", "Counter.Add", "Counter.Value"}
        assert "main" in linked["example.com/inlined"]
