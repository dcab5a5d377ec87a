"""`slimgo lint PATH...`: Dockerfiles, .dockerignore files and Kubernetes manifests, as text, JSON or SARIF."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from slimgo.lint.render import render_json, render_sarif, render_text
from slimgo.lint.runner import LintConfig, failing, lint_paths, load_config


def _image_facts(spec: str) -> object:
    from slimgo.lint.k8s import image_facts  # only when asked: it loads the image stores

    return image_facts(spec)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True,
              help="Output format (SARIF 2.1.0 for code-scanning UIs).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error",
              show_default=True, help="Exit 1 when a finding at or above this severity remains.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help=".slimgo-lint.yaml to use (default: the one in the current directory, if any).")
@click.option("--disable", multiple=True, metavar="RULE", help="Switch a rule off (repeatable).")
@click.option("--level", type=click.Choice(["restricted", "baseline"]), default="restricted", show_default=True,
              help="Pod Security Standard level for Kubernetes manifests.")
@click.option("--image", "image_spec", metavar="IMAGE",
              help="Check manifests against this image's facts (user, shell); an OCI layout or reference.")
def lint(paths: tuple[str, ...], fmt: str, fail_on: str, config_path: Path | None, disable: tuple[str, ...],
         level: str, image_spec: str | None) -> int:
    """Lint Dockerfiles, .dockerignore files, Kubernetes YAML and directories holding them."""
    config: LintConfig = load_config(config_path).with_disabled(disable)
    config = LintConfig(config.disable, config.severity, level, _image_facts(image_spec) if image_spec else None)
    report = lint_paths(paths, config)
    if fmt == "json":
        out = render_json(report.findings)
    elif fmt == "sarif":
        out = render_sarif(report.findings)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = render_text(report.findings, len(report.files), color=color)
    click.echo(out, nl=False)
    return 1 if failing(report.findings, fail_on) else 0
