"""`slimgo lint` through the CLI: formats, exit codes, flags and errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.conftest import require_tool
from tests.lint.dockerfile.cases import GOOD, good
from tests.schemas import validate


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Dockerfile").write_text(GOOD)
    (tmp_path / "bad.Dockerfile").write_text(good("USER 65532:65532", "USER root"))  # SG141 error
    (tmp_path / "warn.Dockerfile").write_text(good("USER 65532:65532", "USER nonroot"))  # SG142 warning
    return tmp_path


def test_clean_file_exits_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "Dockerfile"]) == 0
    assert "no findings in 1 file" in capsys.readouterr().out


def test_error_finding_exits_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", ".", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    validate(document, "lint")
    assert (document["schema_version"], document["kind"], document["files"]) == (1, "slimgo.lint", 3)
    data = document["findings"]
    assert sorted((d["path"], d["rule"]) for d in data) == [("bad.Dockerfile", "SG141"), ("warn.Dockerfile", "SG142")]


def test_fail_on(project: Path) -> None:
    assert main(["lint", "warn.Dockerfile"]) == 0
    assert main(["lint", "warn.Dockerfile", "--fail-on", "warning"]) == 1
    assert main(["lint", "bad.Dockerfile", "--fail-on", "never"]) == 0


def test_disable_flag_and_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", ".", "--disable", "SG141", "--disable", "SG142", "--fail-on", "info"]) == 0
    (project / "cfg.yaml").write_text("disable: [SG141]\n")
    assert main(["lint", ".", "--config", "cfg.yaml"]) == 0
    (project / ".slimgo-lint.yaml").write_text("disable: [SG141]\nseverity: {SG142: error}\n")
    assert main(["lint", "warn.Dockerfile"]) == 1
    capsys.readouterr()


def test_sarif_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "bad.Dockerfile", "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["SG141"]


def test_errors_and_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "missing"]) == 2  # an input that cannot be read is a usage error, not a finding
    assert "missing" in capsys.readouterr().err
    assert main(["lint", ".", "--disable", "nope"]) == 2
    assert main(["lint"]) == 2
    (project / "cfg.yaml").write_text("unknown: 1\n")
    assert main(["lint", ".", "--config", "cfg.yaml"]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_console_script(project: Path) -> None:
    exe = require_tool("slimgo")
    proc = subprocess.run([exe, "lint", "bad.Dockerfile"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "SG141" in proc.stdout and "Traceback" not in proc.stderr


def test_unparseable_dockerfile_names_the_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.Dockerfile").write_text("FROM scratch\nCOPY a /\nFOO bar\n")
    assert main(["lint", "broken.Dockerfile"]) == 1
    out = capsys.readouterr().out
    assert "broken.Dockerfile:3" in out and "SG100" in out and "FOO" in out


def test_image_that_cannot_be_opened_is_an_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "deploy.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
                                         "spec:\n  containers:\n  - {name: a, image: x}\n")
    assert main(["lint", "deploy.yaml", "--image", f"oci:{project / 'no-such-layout'}"]) == 2
    err = capsys.readouterr().err
    assert "no-such-layout" in err and "Traceback" not in err and "internal error" not in err


def test_disable_switches_off_the_not_a_manifest_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "values.yaml").write_text("replicas: 2\nimage: {tag: v1}\n")
    assert main(["lint", "values.yaml", "--format", "json"]) == 0
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["SG005"]
    assert main(["lint", "values.yaml", "--format", "json", "--disable", "SG005"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["findings"] == []
    assert document["suppressed"] == 1
    (tmp_path / ".slimgo-lint.yaml").write_text("disable: [SG005]\n")
    assert main(["lint", "values.yaml", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []
