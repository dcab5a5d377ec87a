"""`slimgo vuln` as a user runs it: text, JSON and SARIF, the gate and its ignores, images with several binaries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from tests.schemas import validate
from tests.vuln.conftest import FIXTURES, VulnDb

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["vuln", *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_text_report_names_the_linked_symbol_the_fix_and_the_upgrade(
        binaries: dict[str, Path], vulndb: VulnDb, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, str(binaries["textcall"]))
    assert code == 1  # present: the default gate fails
    assert f"golang.org/x/vulndb@{vulndb.version}" in out
    assert "PRESENT   GO-2022-1059  golang.org/x/text@v0.3.7  (fixed in v0.3.8)" in out
    assert "linked: golang.org/x/text/language.ParseAcceptLanguage" in out
    assert "upgrade: golang.org/x/text v0.3.7 -> v0.3.8  clears GO-2022-1059" in out
    code, verbose, _ = run(capsys, "--verbose", str(binaries["textcall"]))
    assert "module affected, vulnerable symbols not linked" in verbose


def test_gate_levels(binaries: dict[str, Path], vulndb: VulnDb, capsys: pytest.CaptureFixture[str]) -> None:
    parse = str(binaries["textparse"])  # affected, nothing present
    assert run(capsys, parse)[0] == 0
    assert run(capsys, "--fail-on", "affected", parse)[0] == 1
    assert run(capsys, "--fail-on", "never", str(binaries["textcall"]))[0] == 0


def test_ignore_flag_with_reason(binaries: dict[str, Path], vulndb: VulnDb, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "--ignore", "GO-2022-1059=header never parsed", str(binaries["textcall"]))
    assert code == 0
    report = json.loads(out)
    validate(report, "vuln")
    finding = next(f for f in report["binaries"][0]["findings"] if f["id"] == "GO-2022-1059")
    assert finding["ignored"] == "header never parsed" and finding["status"] == "present"
    assert report["summary"]["ignored"] == 1 and report["summary"]["present"] == 0
    assert report["upgrades"] == [] and report["failed"] is False
    # an alias names the same advisory
    assert run(capsys, "--ignore", "CVE-2022-32149", str(binaries["textcall"]))[0] == 0


def test_ignores_from_the_settings_file(binaries: dict[str, Path], vulndb: VulnDb, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    (tmp_path / ".slimgo.yaml").write_text("vuln:\n  ignore:\n    - id: GO-2022-1059\n      reason: not reachable\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, str(binaries["textcall"]))
    assert code == 0
    assert "ignored: not reachable" in out
    (tmp_path / ".slimgo.yaml").write_text("vuln:\n  ignore: [NOT-AN-ID]\n")
    code, _, err = run(capsys, str(binaries["textcall"]))
    assert code == 2 and "is not an advisory id" in err


def test_sarif(binaries: dict[str, Path], vulndb: VulnDb, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "sarif", "--ignore", "GO-2026-5970", str(binaries["textcall"]))
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    present = [r for r in results if r["level"] == "error"]
    assert [r["ruleId"] for r in present] == ["GO-2022-1059"]
    assert present[0]["locations"][0]["logicalLocations"][0]["name"].endswith("ParseAcceptLanguage")
    suppressed = [r["ruleId"] for r in results if r.get("suppressions")]
    assert suppressed == ["GO-2026-5970"]
    rules = {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules == {r["ruleId"] for r in results}


def test_stdlib_upgrade_is_a_toolchain_that_clears_every_present_advisory(
        old_toolchain_binary: Path, vulndb: VulnDb, capsys: pytest.CaptureFixture[str]) -> None:
    from slimgo.cachedir import cache_root
    from slimgo.vuln.database import open_module
    from slimgo.vuln.semver import go_tag_to_semver

    code, out, _ = run(capsys, "--json", str(old_toolchain_binary))
    assert code == 1
    report = json.loads(out)
    (upgrade,) = report["upgrades"]
    assert upgrade["module"] == "stdlib" and upgrade["current"] == "go1.22.0"
    assert upgrade["target"].startswith("go1.") and upgrade["unfixed"] == []
    present = {f["id"] for f in report["binaries"][0]["findings"] if f["status"] == "present"}
    assert set(upgrade["clears"]) == present
    db = open_module(cache_root() / "vuln", lambda *a: None)
    target = go_tag_to_semver(upgrade["target"])
    for ident in present:
        advisory = db.advisory(ident)
        assert advisory is not None
        assert not any(a.affects(target) for a in advisory.affected if a.module == "stdlib")


def _build(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    proc = subprocess.run([sys.executable, "-m", "slimgo", "build", "--platform", "linux/amd64", *args, "."],
                          cwd=cwd, capture_output=True, text=True, timeout=900, check=False, env=env)
    assert proc.returncode == 0, proc.stderr


def test_every_go_binary_of_an_image_with_its_layer(binaries: dict[str, Path], vulndb: VulnDb,
                                                    tmp_path_factory: pytest.TempPathFactory,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A base image carrying one Go binary, and an application layer with another: both are scanned."""
    out = tmp_path_factory.mktemp("vuln-image")
    for name in ("textparse", "textcall"):
        shutil.copytree(FIXTURES / name, out / name)
    base = f"oci:{out / 'base'}:v1"
    _build(["-o", base, "--file", f"{binaries['textparse']}:/usr/local/bin/parse"], out / "textparse")
    layout = f"oci:{out / 'app'}:v1"
    _build(["-o", layout, "--base", base], out / "textcall")
    code, text_out, _ = run(capsys, "--json", layout)
    assert code == 1
    report: dict[str, Any] = json.loads(text_out)
    validate(report, "vuln")
    assert report["image"]["platform"] == "linux/amd64"
    by_path = {b["path"]: b for b in report["binaries"]}
    assert set(by_path) == {"/app/textcall", "/app/textparse", "/usr/local/bin/parse"}
    assert all(b["layer_digest"].startswith("sha256:") for b in by_path.values())
    assert by_path["/usr/local/bin/parse"]["layer"] < by_path["/app/textcall"]["layer"]
    status = {p: {f["id"]: f["status"] for f in b["findings"]} for p, b in by_path.items()}
    assert status["/app/textcall"]["GO-2022-1059"] == "present"
    assert status["/usr/local/bin/parse"]["GO-2022-1059"] == "affected"
    assert status["/app/textparse"]["GO-2022-1059"] == "affected"
    code, text_out, _ = run(capsys, layout)
    assert "/usr/local/bin/parse  go1." in text_out and "layer " in text_out


def test_a_binary_deleted_in_an_upper_layer_is_not_reported(binaries: dict[str, Path], vulndb: VulnDb,
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """umoci writes the deletion as a whiteout in a new layer; the merged filesystem no longer has the binary, and a
    symlink to the one left is not a second binary."""
    from tests.conftest import require_root, require_tool

    require_root()
    umoci = require_tool("umoci")
    shutil.copytree(FIXTURES / "textparse", tmp_path / "src")
    layout = tmp_path / "layout"
    _build(["-o", f"oci:{layout}:v1", "--file", f"{binaries['textcall']}:/usr/local/bin/call"], tmp_path / "src")
    bundle = tmp_path / "bundle"
    subprocess.run([umoci, "unpack", "--image", f"{layout}:v1", str(bundle)], check=True, capture_output=True)
    (bundle / "rootfs" / "usr" / "local" / "bin" / "call").unlink()
    (bundle / "rootfs" / "usr" / "local" / "bin" / "alias").symlink_to("/app/textparse")
    subprocess.run([umoci, "repack", "--image", f"{layout}:v2", str(bundle)], check=True, capture_output=True)
    code, out, _ = run(capsys, "--json", f"oci:{layout}:v2")
    report: dict[str, Any] = json.loads(out)
    assert [b["path"] for b in report["binaries"]] == ["/app/textparse"]
    assert code == 0  # the binary that linked the vulnerable code is gone
    code, out, _ = run(capsys, "--json", f"oci:{layout}:v1")
    assert code == 1 and len(json.loads(out)["binaries"]) == 2
