"""The exit-code contract of every verb (docs/architecture.md): 0 ok, 1 findings or a failed operation, 2 usage or
unreadable input, 70 internal error, 124 timeout, 130 interrupt — driven through the CLI as a user runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from slimgo.cli import main as cli_main
from slimgo.cli.main import COMMANDS, main

MISSING = "/nonexistent/slimgo-test"


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path


# (argv, expected code): unreadable inputs and usage errors, one or more per verb.
USAGE_OR_UNREADABLE = [
    (["build", MISSING], 2),
    (["build", "--platform", "linux/", "."], 2),
    (["build", "--no-such-flag"], 2),
    (["resolve", "-f", MISSING], 2),
    (["run", f"oci:{MISSING}"], 2),
    (["run"], 2),
    (["copy", f"oci:{MISSING}", "oci:out"], 2),
    (["copy", f"docker-archive:{MISSING}.tar", "oci:out"], 2),
    (["copy", "nowhere:x", "oci:out"], 2),
    (["copy", "oci:a"], 2),
    (["inspect", f"oci:{MISSING}"], 2),
    (["inspect"], 2),
    (["analyze", f"docker-archive:{MISSING}.tar"], 2),
    (["slim", f"docker-archive:{MISSING}.tar", "-o", "oci:out"], 2),
    (["slim", "oci:x"], 2),
    (["lint", MISSING], 2),
    (["lint", "--fail-on", "never", MISSING], 2),
    (["lint", "--format", "xml", "."], 2),
    (["context", MISSING], 2),
    (["dockerfile", MISSING], 2),
    (["login", "bad host/x", "-u", "u", "--password-stdin"], 2),
    (["logout", "bad host/x"], 2),
    (["vuln", "--db", MISSING, MISSING], 2),
    (["vuln", MISSING], 2),
    (["sbom", MISSING], 2),
    (["sbom", "--format", "swid", MISSING], 2),
    (["keygen", "--no-such-flag"], 2),
    (["sign", f"oci:{MISSING}:v1", "--key", MISSING], 2),
    (["sign", "oci:x"], 2),
    (["verify", f"oci:{MISSING}:v1", "--key", MISSING], 2),
    (["verify", "oci:x"], 2),
    (["attest", f"oci:{MISSING}:v1", "--key", MISSING, "--predicate", MISSING], 2),
    (["attest", "oci:x", "--key", "k", "--predicate", "p", "--type", "nonsense"], 2),
    (["verify-attestation", f"oci:{MISSING}:v1", "--key", MISSING], 2),
    (["verify-attestation", "oci:x"], 2),
    (["completion", "tcsh"], 2),
    (["completion"], 2),
    (["bench", "--variant", "upx-ultra", "."], 2),
    (["bench", MISSING], 2),
    (["report", MISSING, "-o", "report.html"], 2),
    (["report", "."], 2),
    (["no-such-verb"], 2),
]


@pytest.mark.parametrize("argv, code", USAGE_OR_UNREADABLE, ids=[" ".join(a) for a, _ in USAGE_OR_UNREADABLE])
def test_usage_and_unreadable_input_exit_2(in_tmp: Path, argv: list[str], code: int,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.strip(), "a refusal says why"
    assert "Traceback" not in err


def test_every_verb_has_a_usage_case() -> None:
    verbs = {argv[0] for argv, _ in USAGE_OR_UNREADABLE}
    assert set(COMMANDS) <= verbs


def test_findings_exit_1_and_clean_exit_0(in_tmp: Path) -> None:
    (in_tmp / "Dockerfile").write_text("FROM golang\nRUN go build -o /app .\n")
    assert main(["lint", "Dockerfile"]) == 1
    assert main(["lint", "--fail-on", "never", "Dockerfile"]) == 0
    assert main(["context", "--fail-on", "warning", "."]) == 1  # no .dockerignore: a warning
    assert main(["context", "."]) == 0


def test_a_failed_operation_exits_1(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "layout").mkdir()  # a directory that exists but is no OCI layout: readable, and refused
    assert main(["copy", f"oci:{in_tmp / 'layout'}", "oci:out"]) == 1
    assert "not an OCI image layout" in capsys.readouterr().err


def test_internal_errors_exit_70(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SLIMGO_DEBUG", raising=False)

    @click.command()
    def boom() -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(COMMANDS, "boom", f"{__name__}:_BOOM")
    monkeypatch.setitem(globals(), "_BOOM", boom)
    assert main(["boom"]) == cli_main.EXIT_INTERNAL == 70
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "SLIMGO_DEBUG=1" in err


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command()
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setitem(COMMANDS, "interrupted", f"{__name__}:_INTERRUPTED")
    monkeypatch.setitem(globals(), "_INTERRUPTED", interrupted)
    assert main(["interrupted"]) == cli_main.EXIT_INTERRUPT == 130


def test_the_codes_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "architecture.md").read_text()
    for code in (cli_main.EXIT_OK, cli_main.EXIT_FAILED, cli_main.EXIT_USAGE, cli_main.EXIT_INTERNAL,
                 cli_main.EXIT_TIMEOUT, cli_main.EXIT_INTERRUPT):
        assert f"| {code} |" in doc
