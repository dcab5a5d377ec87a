"""`slimgo lint PATH...`: Dockerfiles, .dockerignore files and Kubernetes manifests, as text, JSON or SARIF."""

from __future__ import annotations

__all__ = ["lint"]

from pathlib import Path

import click

from slimgo.cli import render
from slimgo.cli.options import (
    chosen_format,
    fail_on_option,
    format_option,
    platform_option,
    registry_options,
    stores_from,
)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@format_option("text", "json", "sarif")
@fail_on_option("error")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help=".slimgo-lint.yaml to use (default: the one in the current directory, if any).")
@click.option("--disable", multiple=True, metavar="RULE", help="Switch a rule off (repeatable).")
@click.option("--level", type=click.Choice(["restricted", "baseline"]), default="restricted", show_default=True,
              help="Pod Security Standard level for Kubernetes manifests.")
@click.option("--psa-version", default="latest", show_default=True, metavar="latest|v1.NN",
              help="Pod Security policy version (a Namespace's enforce labels in the file set win, as in admission).")
@click.option("--image", "image_spec", metavar="IMAGE",
              help="Check manifests against this image's facts (user, shell, capabilities); any transport.")
@platform_option("With --image: the platform to read from an index (default: this machine's).")
@registry_options
def lint(paths: tuple[str, ...], fmt: str, as_json: bool, fail_on: str, config_path: Path | None,
         disable: tuple[str, ...], level: str, psa_version: str, image_spec: str | None, platform_text: str | None,
         pull: str, insecure: tuple[str, ...]) -> int:
    """Lint Dockerfiles, .dockerignore files, Kubernetes YAML and directories holding them."""
    from slimgo.lint.runner import LintConfig, failing, lint_paths, load_config

    config: LintConfig = load_config(config_path).with_disabled(disable)
    image = _image_facts(image_spec, platform_text, pull, insecure) if image_spec else None
    config = LintConfig(config.disable, config.severity, level, image,
                        None if psa_version == "latest" else _psa_minor(psa_version))
    report = lint_paths(paths, config)
    fmt = chosen_format(fmt, as_json)
    if fmt == "json":
        from slimgo.lint.render import json_payload

        render.document("slimgo.lint", json_payload(report.findings, len(report.files), report.suppressed))
    elif fmt == "sarif":
        from slimgo.lint.render import render_sarif

        render.text(render_sarif(report.findings))
    else:
        from slimgo.lint.render import render_text

        render.text(render_text(report.findings, len(report.files), color=render.color()))
    return 1 if failing(report.findings, fail_on) else 0


def _psa_minor(text: str) -> int | None:
    # imports the manifest linter: only when a version is asked for, so a Dockerfile lint stays light
    from slimgo.errors import UsageError
    from slimgo.lint.k8s.policy import parse_version

    try:
        return parse_version(text)
    except ValueError as err:
        raise UsageError(f"--psa-version {text}", str(err), "write latest or a version such as v1.30") from None


def _image_facts(spec: str, platform_text: str | None, pull: str, insecure: tuple[str, ...]) -> object:
    # only when asked: it loads the image stores
    from slimgo.host import host_platform
    from slimgo.lint.k8s import image_facts
    from slimgo.oci.platform import Platform

    platform = Platform.parse(platform_text) if platform_text else host_platform()
    return image_facts(spec, stores_from(pull, insecure), platform)
