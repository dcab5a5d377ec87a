"""Dockerfile linting: BuildKit's parser plus rules for minimal, pinned, cached, secret-free Go images."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from slimgo.lint.dockerfile.catalog import RULES, Rule
from slimgo.lint.dockerfile.facts import Facts
from slimgo.lint.dockerfile.parse import DockerfileSyntaxError, parse
from slimgo.lint.dockerfile.rules import CHECKS
from slimgo.lint.findings import Finding

__all__ = ["RULES", "Rule", "lint_dockerfile"]


def lint_dockerfile(path: str, text: str, build_args: Mapping[str, str] | None = None,
                    context: Path | None = None) -> list[Finding]:
    """Every finding for the Dockerfile ``text`` (read from ``path``); a parse failure is finding SG100.

    ``build_args`` resolve ARGs as `docker build --build-arg NAME=VALUE` would. ``context`` is where a Makefile
    or build script that a RUN calls is read from: by default the directory of ``path`` when it is a file.
    """
    if context is None and Path(path).is_file():
        context = Path(path).parent
    try:
        df = parse(text, build_args)
    except DockerfileSyntaxError as err:
        return [RULES["SG100"].finding(path, err.line, f"not a valid Dockerfile: {err.message}")]
    facts = Facts(path, df, context)
    findings = {finding for check in CHECKS for finding in check(facts)}
    return sorted(findings)
