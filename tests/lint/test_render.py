"""The three output formats: text for people, the JSON contract, and SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.findings import Finding, Severity
from slimgo.lint.render import json_payload, render_sarif, render_text
from tests.lint.dockerfile.cases import good
from tests.lint.sarif_schema import SARIF_SCHEMA

FINDINGS = sorted(
    [
        *lint_dockerfile("deploy/Dockerfile", good("USER 65532:65532", "USER root").replace("-trimpath ", "")),
        Finding("deploy/odd name.yaml", 0, "SG401", Severity.INFO, "not from the catalog", "do something"),
    ]
)


def test_json_contract() -> None:
    data = json_payload(FINDINGS, 2)
    assert data["files"] == 2
    items = data["findings"]
    assert isinstance(items, list) and len(items) == len(FINDINGS) == 3
    for item, f in zip(items, FINDINGS, strict=True):
        assert set(item) == {"rule", "severity", "path", "line", "message", "fix"}
        assert item["severity"] in {"error", "warning", "info"}
        assert (item["rule"], item["path"], item["line"]) == (f.rule, f.path, f.line)
    assert json_payload([], 0) == {"files": 0, "suppressed": 0, "findings": []}


def test_sarif_is_valid_2_1_0(tmp_path: Path) -> None:
    log = json.loads(render_sarif(FINDINGS, base=tmp_path))
    jsonschema.validate(log, SARIF_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["ruleId"] for r in results] == [f.rule for f in FINDINGS]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"SG141": "error", "SG112": "note", "SG401": "note"}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"deploy/Dockerfile", "deploy/odd%20name.yaml"}
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert min(lines) >= 1  # SARIF lines are 1-based; file-level findings point at line 1


def test_sarif_without_findings_is_valid() -> None:
    log = json.loads(render_sarif([]))
    jsonschema.validate(log, SARIF_SCHEMA)
    assert log["runs"][0]["results"] == []


def test_text_lists_each_finding_with_its_fix() -> None:
    out = render_text(FINDINGS, 2)
    assert "\x1b[" not in out  # no colour codes unless asked
    for f in FINDINGS:
        assert f.rule in out and f.fix in out
    assert "deploy/Dockerfile:" in out
    assert "3 findings in 2 files: 1 error(s), 0 warning(s), 2 info" in out
    assert render_text([], 1).strip() == "no findings in 1 file"
    assert "\x1b[" in render_text(FINDINGS, 2, color=True)


FULL_SCHEMA = Path(__file__).parent / "sarif" / "sarif-2.1.0-rtm.5.json"


def _full_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(FULL_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_is_valid_against_the_complete_published_schema(tmp_path: Path) -> None:
    from slimgo.lint.k8s import lint_kubernetes
    from tests.conftest import FIXTURES

    findings = sorted([
        *FINDINGS,
        *lint_kubernetes("k8s/cronjob-bad.yaml", (FIXTURES / "k8s" / "cronjob-bad.yaml").read_text()),
        Finding(str(tmp_path.parent / "elsewhere" / "Dockerfile"), 3, "SG140", Severity.WARNING, "m", "f"),
        Finding(".git", 0, "SG221", Severity.WARNING, "the git repository is sent", "add '.git'"),
    ])
    log = json.loads(render_sarif(findings, base=tmp_path))
    validator = _full_validator()
    assert list(validator.iter_errors(log)) == []
    assert len(log["runs"][0]["results"]) == len(findings)
    # the schema is strict enough to catch a misspelled property
    log["runs"][0]["results"][0]["ruleID"] = "SG100"
    assert list(validator.iter_errors(log))


def test_plain_text_is_what_rich_prints_without_colour() -> None:
    import io

    from rich.console import Console
    from rich.markup import escape

    from slimgo.lint.render import _summary

    odd = Finding("a b/[x].yaml", 3, "SG101", Severity.WARNING, "tab\there [bold]not markup[/bold] trailing  ", "fix")
    for findings in (FINDINGS, [], [odd]):
        buf = io.StringIO()
        console = Console(file=buf, no_color=True, width=100, highlight=False, soft_wrap=True, emoji=False)
        for f in findings:
            where = f"{f.path}:{f.line}" if f.line else f.path
            console.print(f"{escape(where)}  {f.severity.value}  {f.rule}  {escape(f.message)}")
            console.print(f"    fix: {escape(f.fix)}")
        console.print(_summary(findings, 2))
        assert render_text(findings, 2, color=False) == buf.getvalue()
        assert render_text(findings, 2, color=True) != render_text(findings, 2) or not findings


def test_a_one_file_lint_loads_neither_rich_nor_yaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "Dockerfile").write_text(good("USER 65532:65532", "USER root"))
    code = ("import sys; from slimgo.cli.main import main; rc = main(['lint', 'Dockerfile']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'yaml')), rc, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.stderr.strip().endswith("[] 1"), proc.stderr
    assert "SG141" in proc.stdout
