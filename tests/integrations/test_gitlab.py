"""The GitLab CI template: valid against GitLab's CI schema, and the documented include's job run as a runner runs
it (its scripts in one bash, CI/CD variables in the environment) against a registry on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path
from string import Template
from typing import Any

import yaml

from tests.conftest import ROOT, require_tool
from tests.integrations.ciscript import run_gitlab_job
from tests.integrations.conftest import registry_tags, schema_errors, vendored_schema
from tests.integrations.snippets import snippet
from tests.stores.registry.conftest import PASSWORD, USER, Registry

TEMPLATE = ROOT / "ci" / "gitlab" / "slimgo.yml"
SHA = "abcd1234"


def load(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_template_and_documented_include_are_valid_gitlab_ci() -> None:
    schema = vendored_schema("gitlab-ci")
    template = load(TEMPLATE.read_text())
    assert schema_errors(template, schema) == []
    assert schema_errors(load(snippet("gitlab-ci")), schema) == []
    broken = dict(template, slimgo={**template["slimgo"], "stage": ["build"], "when": "sometimes"})
    assert schema_errors(broken, schema), "the schema check is not vacuous"


def resolved_job(template: dict[str, Any], name: str) -> dict[str, Any]:
    """GitLab's `extends`: the hidden job's keys, overridden by the job's own."""
    job = dict(template[name])
    parent = job.pop("extends", None)
    return {**template[parent], **job} if parent else job


def expand(variables: dict[str, str], predefined: dict[str, str]) -> dict[str, str]:
    """GitLab expands $VAR and ${VAR} in variable values from the variables defined before them."""
    known = dict(predefined)
    for name, value in variables.items():
        known[name] = Template(str(value)).safe_substitute(known)
    return {name: known[name] for name in variables}


def test_documented_include_builds_and_pushes_to_the_project_registry(hello: Path, tmp_path: Path,
                                                                      auth_registry: Registry,
                                                                      slimgo_path: Path) -> None:
    """With slimgo already on PATH (as in an image that has it) the job skips the pipx install, which the action's
    test runs."""
    require_tool("go")
    include = load(snippet("gitlab-ci"))
    (entry,) = include["include"]
    assert entry["remote"].endswith("/ci/gitlab/slimgo.yml")
    job = resolved_job(load(TEMPLATE.read_text()), "slimgo")
    predefined = {"CI_REGISTRY": auth_registry.host, "CI_REGISTRY_USER": USER, "CI_REGISTRY_PASSWORD": PASSWORD,
                  "CI_REGISTRY_IMAGE": f"{auth_registry.host}/group/project", "CI_COMMIT_SHORT_SHA": SHA,
                  "CI_COMMIT_BRANCH": "main"}
    variables = expand(include.get("variables", {}), predefined)
    drop = ("PYTHONPATH", "SLIMGO_REPO", "SLIMGO_QUIET", "SLIMGO_PULL", "SLIMGO_INSECURE_REGISTRIES", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in drop} | predefined | {
        "PATH": f"{slimgo_path}:{os.environ['PATH']}", "DOCKER_CONFIG": str(tmp_path / "docker"),
        "SLIMGO_CACHE_DIR": str(tmp_path / "cache"), "SLIMGO_INSTALL": "/nonexistent/not-installed"}
    result = run_gitlab_job(job, variables, env, hello)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "not-installed" not in log and log.count("slimgo 0.") == 1  # no install, then `slimgo --version`

    tags = registry_tags(auth_registry, "group/project/hello")
    assert set(tags) == {SHA, "latest"} and len(set(tags.values())) == 1
    pushed = (hello / "slimgo-images.txt").read_text().splitlines()
    assert pushed == [f"docker://{auth_registry.host}/group/project/hello:{SHA}@{tags[SHA]}",
                      f"docker://{auth_registry.host}/group/project/hello:latest@{tags['latest']}"]
    assert (hello / "dist" / "oci" / "index.json").is_file()
    for artifact in job["artifacts"]["paths"]:
        assert (hello / artifact).exists(), artifact
