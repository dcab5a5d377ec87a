"""`slimgo analyze --ci`: dive's .dive-ci rules give the same PASS/FAIL as dive, slimgo's own rules gate sizes,
shells, root, setuid, secrets and package managers; SARIF for code-scanning UIs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from slimgo.analyze.gate import parse_bytes
from slimgo.cli.main import main
from tests.analyze.images import F, blob, docker_archive
from tests.conftest import ROOT
from tests.peers import go_peer
from tests.schemas import validate

WASTEFUL = [
    [F("bin/busybox", blob(30000, 1), mode=0o755), F("bin/sh", kind="symlink", link="busybox"),
     F("usr/bin/passwd", blob(100, 2), mode=0o4755)],
    [F("app/data", blob(200000, 3))],
    [F("app/.wh.data"), F("app/server", blob(5000, 4), mode=0o755)],
]


@pytest.fixture
def wasteful(tmp_path: Path) -> Path:
    return docker_archive(tmp_path / "wasteful.tar", WASTEFUL, config={"User": "root"})


@pytest.mark.parametrize("rules, dive_passes", [
    ("rules:\n  lowestEfficiency: 0.1\n  highestUserWastedPercent: 0.99\n  highestWastedBytes: 1MB\n", True),
    ("rules:\n  lowestEfficiency: 0.95\n  highestUserWastedPercent: disabled\n", False),
    ("rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 150kB\n  highestUserWastedPercent: disabled\n",
     False),
    ("rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 250KiB\n  highestUserWastedPercent: disabled\n",
     True),
])
def test_dive_ci_file_gives_dives_verdict(rules: str, dive_passes: bool, wasteful: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    dive = go_peer("github.com/wagoodman/dive", "v0.12.0")
    config = tmp_path / ".dive-ci"
    config.write_text(rules)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    ran = subprocess.run([str(dive), "--ci", "--ci-config", str(config), "--source", "docker-archive",
                          str(wasteful)], capture_output=True, text=True, timeout=120, env=env)
    assert (ran.returncode == 0) == dive_passes, ran.stdout
    code = main(["analyze", "--ci", "--ci-config", str(config), f"docker-archive:{wasteful}"])
    out = capsys.readouterr().out
    assert (code == 0) == dive_passes, out
    assert ("Result:PASS" in out) == dive_passes


def test_slimgo_rules_fail_per_rule(wasteful: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gate.yaml"
    config.write_text("lowest-efficiency: disabled\nhighest-user-wasted-percent: disabled\nmax-size: 1MB\n"
                      "max-uncompressed-size: 10KB\nforbid-shell: true\nforbid-root: true\nforbid-setuid: true\n"
                      "forbid-package-manager: true\n")
    assert main(["analyze", "--ci", "--ci-config", str(config), f"docker-archive:{wasteful}"]) == 1
    lines = {line.split(":")[1].strip(): line.split(":")[0].strip()
             for line in capsys.readouterr().out.splitlines() if line.startswith("  ") and ": " in line
             and line.strip().split(":")[0] in ("PASS", "FAIL", "SKIP")}
    assert lines["max-size"] == "PASS"
    assert lines["max-uncompressed-size"] == "FAIL"
    assert lines["forbid-shell"] == "FAIL"
    assert lines["forbid-root"] == "FAIL"
    assert lines["forbid-setuid"] == "FAIL"
    assert lines["forbid-package-manager"] == "PASS"
    assert lines["forbid-secrets"] == "PASS"
    assert lines["lowest-efficiency"] == "SKIP"


def test_gate_json_document(wasteful: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--ci", "--json", f"docker-archive:{wasteful}"]) == 1
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "analyze")
    assert doc["kind"] == "slimgo.analyze.ci" and doc["pass"] is False
    assert {r["rule"]: r["status"] for r in doc["rules"]}["lowest-efficiency"] == "FAIL"


def test_sarif_lists_failed_rules_and_findings(wasteful: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gate.yaml"
    config.write_text("forbid-shell: true\n")
    assert main(["analyze", "--ci", "--ci-config", str(config), "--format", "sarif",
                 f"docker-archive:{wasteful}"]) == 1
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    rule_ids = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert {"forbid-shell", "SG301", "SG304", "SG312"} <= rule_ids
    import jsonschema

    published = json.loads((ROOT / "tests" / "lint" / "sarif" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.Draft4Validator(published).validate(log)  # the complete SARIF 2.1.0 schema as OASIS published it


def test_misconfigured_rules_exit_2(wasteful: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / ".dive-ci"
    config.write_text("rules:\n  lowestEfficiency: 1.5\n")
    assert main(["analyze", "--ci", "--ci-config", str(config), f"docker-archive:{wasteful}"]) == 2
    assert "lowest-efficiency" in capsys.readouterr().err
    config.write_text("rules:\n  noSuchRule: 1\n")
    assert main(["analyze", "--ci", "--ci-config", str(config), f"docker-archive:{wasteful}"]) == 2


def test_byte_sizes_read_like_dive() -> None:
    assert parse_bytes("20MB") == 20_000_000
    assert parse_bytes("20MiB") == 20 * 1024 * 1024
    assert parse_bytes("1.5 kB") == 1500
    assert parse_bytes("123") == 123
    with pytest.raises(ValueError):
        parse_bytes("lots")
