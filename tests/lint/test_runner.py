"""Discovery, bad input, suppression and configuration of `slimgo lint`, without the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from slimgo.errors import InputError, LintError, UsageError
from slimgo.lint import runner
from slimgo.lint.findings import Severity
from slimgo.lint.runner import LintConfig, failing, lint_paths, load_config
from tests.lint.dockerfile.cases import GOOD, good

BAD_USER = good("USER 65532:65532", "USER root")  # one SG141 (error)


def _rules(report: runner.LintReport) -> list[tuple[str, str]]:
    return [(Path(f.path).name, f.rule) for f in report.findings]


def test_directory_discovery_finds_every_dockerfile_name(tmp_path: Path) -> None:
    for name in ["Dockerfile", "api.Dockerfile", "Containerfile", "Dockerfile.debug", "README.md", "main.go"]:
        (tmp_path / name).write_text(BAD_USER)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text(BAD_USER)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "Dockerfile").write_text(BAD_USER)
    report = lint_paths([str(tmp_path)])
    names = sorted(os.path.relpath(f, tmp_path) for f in report.files)
    assert names == ["Containerfile", "Dockerfile", "Dockerfile.debug", "api.Dockerfile", "sub/Dockerfile"]
    assert {r for _, r in _rules(report)} == {"SG141"}


def test_explicit_file_with_any_name_is_a_dockerfile(tmp_path: Path) -> None:
    path = tmp_path / "build.txt"
    path.write_text(BAD_USER)
    assert _rules(lint_paths([str(path)])) == [("build.txt", "SG141")]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        lint_paths([str(tmp_path / "nope")])
    assert "nope" in err.value.diagnostics()


def test_binary_and_non_utf8_files_are_findings(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"\x7fELF\x00\x00\x01binary")
    (tmp_path / "x.Dockerfile").write_bytes(b"FROM scratch\nLABEL a=\xff\xfe\n")
    report = lint_paths([str(tmp_path)])
    assert [(Path(f.path).name, f.rule, f.line) for f in report.findings] == [
        ("Dockerfile", "SG002", 0), ("x.Dockerfile", "SG002", 2)]


def test_fifo_named_dockerfile_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    report = lint_paths([str(tmp_path)])
    assert _rules(report) == [("Dockerfile", "SG001")]


def test_unreadable_file_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(GOOD)

    def denied(*_args: object, **_kwargs: object) -> None:
        # root reads files whatever their mode, so the refusal is simulated where the runner opens files
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runner, "open", denied, raising=False)
    (f,) = lint_paths([str(tmp_path)]).findings
    assert (Path(f.path).name, f.rule) == ("Dockerfile", "SG001") and "Permission denied" in f.message


def test_symlink_cycles_end_the_walk(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_text(BAD_USER)
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")  # a link to itself: ELOOP
    report = lint_paths([str(tmp_path)])
    rules = _rules(report)
    assert ("Dockerfile", "SG141") in rules
    assert rules.count(("Dockerfile", "SG141")) == 1  # not linted again through a/up
    assert ("loop", "SG003") in rules and ("up", "SG003") in rules


def test_explicit_symlink_loop_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "Dockerfile")
    assert _rules(lint_paths([str(tmp_path / "Dockerfile")])) == [("Dockerfile", "SG003")]


def test_too_large_file_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MAX_BYTES", 100)
    (tmp_path / "Dockerfile").write_text(GOOD)
    assert _rules(lint_paths([str(tmp_path)])) == [("Dockerfile", "SG004")]


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("# slimgo-ignore: SG141\n", True),
        ("# slimgo-ignore: SG105, SG141\n", True),
        ("# slimgo-ignore:SG140,SG141\n", True),
        ("# slimgo-ignore: SG142\n", False),
        ("# slimgo-ignore SG141\n", False),
    ],
)
def test_inline_suppression_on_the_line_above(tmp_path: Path, comment: str, suppressed: bool) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BAD_USER.replace("USER root", comment + "USER root"))
    report = lint_paths([str(path)])
    assert (report.findings == []) is suppressed
    assert report.suppressed == (1 if suppressed else 0)


def test_inline_suppression_two_lines_above_does_not_apply(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BAD_USER.replace("USER root", "# slimgo-ignore: SG141\nLABEL a=b\nUSER root"))
    assert _rules(lint_paths([str(path)])) == [("Dockerfile", "SG141")]


def test_suppression_on_the_same_line() -> None:
    assert runner.suppressed_rules(["FROM x", "USER root # slimgo-ignore: SG141"], 2) == {"SG141"}


def test_config_file_disables_and_reranks(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(good("USER 65532:65532", "USER nonroot").replace(
        "golang:1.26-bookworm@", "golang@"))
    assert {f.rule for f in lint_paths([str(tmp_path)]).findings} == {"SG142"}
    cfg = tmp_path / ".slimgo-lint.yaml"
    cfg.write_text("disable: [SG142]\n")
    assert lint_paths([str(tmp_path)], load_config(cfg)).findings == []
    cfg.write_text("severity: {SG142: error}\n")
    (f,) = lint_paths([str(tmp_path)], load_config(cfg)).findings
    assert f.severity is Severity.ERROR and failing([f], "error")


def test_config_is_found_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / ".slimgo-lint.yaml").write_text("disable:\n  - SG101\n  - sg105\n")
    assert load_config(None, tmp_path).disable == {"SG101", "SG105"}
    assert load_config(None, tmp_path / "elsewhere") == LintConfig()


@pytest.mark.parametrize(
    "text", ["disable: SG101\n", "ignore: [SG101]\n", "disable: [nope]\n", "severity: {SG101: fatal}\n",
             "- SG101\n", "disable: [SG101\n"],
)
def test_bad_config_is_an_error(tmp_path: Path, text: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises((LintError, UsageError)) as err:
        load_config(cfg)
    assert str(cfg) in err.value.diagnostics()


def test_disable_flag_values_are_checked() -> None:
    assert LintConfig().with_disabled(["sg101"]).disable == {"SG101"}
    with pytest.raises(UsageError):
        LintConfig().with_disabled(["DL3006"])


def test_fail_on_thresholds(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(good("USER 65532:65532", "USER nonroot"))  # one warning
    findings = lint_paths([str(path)]).findings
    assert [f.severity for f in findings] == [Severity.WARNING]
    assert not failing(findings, "error")
    assert failing(findings, "warning") and failing(findings, "info")
    assert not failing(findings, "never")
