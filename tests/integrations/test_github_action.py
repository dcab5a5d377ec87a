"""The GitHub composite action: valid against GitHub's action schema, and its steps run as the runner runs them
(bash, inputs in the environment) against a registry on 127.0.0.1, with the workflow step from the docs."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, require_tool
from tests.integrations.ciscript import ActionRun, run_composite_action, substitute
from tests.integrations.conftest import registry_tags, require_module, schema_errors, vendored_schema
from tests.integrations.snippets import snippet
from tests.stores.registry.conftest import PASSWORD, USER, Registry

ACTION = ROOT / "action.yml"
USES = "slimgo/slimgo@v0.1.0"


def test_action_is_valid_against_githubs_action_schema() -> None:
    schema = vendored_schema("github-actions")
    assert schema["$id"] == "https://json.schemastore.org/github-action.json"
    action = yaml.safe_load(ACTION.read_text())
    assert schema_errors(action, schema) == []
    broken = copy.deepcopy(action)
    del broken["runs"]["steps"][0]["shell"]  # a composite run step must name its shell
    broken["inputs"]["packages"]["required"] = "yes"
    assert len(schema_errors(broken, schema)) >= 2, "the schema check is not vacuous"


def documented_workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(snippet("github-workflow"))
    if True in workflow:  # YAML 1.1 reads the key `on` as true; GitHub reads YAML 1.2
        workflow["on"] = workflow.pop(True)
    return workflow


def test_the_documented_workflow_is_valid_and_uses_declared_inputs() -> None:
    workflow = documented_workflow()
    assert schema_errors(workflow, vendored_schema("github-workflows")) == []
    step = documented_step()
    declared = yaml.safe_load(ACTION.read_text())["inputs"]
    assert set(step["with"]) <= set(declared)


def test_inputs_reach_scripts_only_through_the_environment() -> None:
    """An input holding `$(...)` or quotes must stay data: no ${{ }} inside any run: script."""
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]


def documented_step() -> dict[str, Any]:
    workflow = documented_workflow()
    (steps,) = [job["steps"] for job in workflow["jobs"].values()]
    (step,) = [s for s in steps if s.get("uses") == USES]
    return dict(step)


def runner_env(tmp_path: Path, slimgo_on_path: Path | None = None) -> dict[str, str]:
    """A runner's environment: go and pipx on PATH, a private HOME for docker's config and pipx."""
    require_tool("go")
    drop = ("PYTHONPATH", "SLIMGO_REPO", "SLIMGO_QUIET", "SLIMGO_PULL", "SLIMGO_INSECURE_REGISTRIES", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    path = [str(Path(sys.executable).parent), env["PATH"]]
    if slimgo_on_path is not None:
        path.insert(0, str(slimgo_on_path))
        env["PYTHONPATH"] = str(ROOT / "src")
    env.update(PATH=os.pathsep.join(path), DOCKER_CONFIG=str(tmp_path / "docker"),
               PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "pipx-bin"),
               PIPX_MAN_DIR=str(tmp_path / "pipx-man"), SLIMGO_CACHE_DIR=str(tmp_path / "cache"))
    return env


def documented_inputs(registry: Registry) -> dict[str, str]:
    """The docs' `with:`, evaluated with a push's github context, aimed at the local registry."""
    context = {"github": {"repository_owner": "team", "sha": "0123456789abcdef0123456789abcdef01234567",
                          "actor": USER}, "secrets": {"GITHUB_TOKEN": PASSWORD}}
    given = {key: substitute(str(value), context) for key, value in documented_step()["with"].items()}
    assert given["repo"].startswith("ghcr.io/")
    given["repo"] = given["repo"].replace("ghcr.io", registry.host, 1)
    return given


def run_action(tmp_path: Path, hello: Path, given: dict[str, str], env: dict[str, str]) -> ActionRun:
    workspace = hello.parent
    temp = tmp_path / "runner-temp"
    temp.mkdir(parents=True)
    return run_composite_action(ROOT, {"working-directory": hello.name, **given}, env, workspace, temp)


def test_documented_step_installs_builds_logs_in_and_pushes(dists: Path, hello: Path, tmp_path: Path,
                                                            auth_registry: Registry) -> None:
    require_module("pipx")
    given = documented_inputs(auth_registry)
    wheel = next(dists.glob("slimgo-*.whl"))
    run = run_action(tmp_path, hello, {**given, "slimgo-package": str(wheel)}, runner_env(tmp_path))
    assert run.failed is None, run.log
    ran = [step.name for step in run.steps if step.ran]
    assert ran == ["Install slimgo", "Log in to the registry", "Build", "Push"], run.log
    assert "go: go1." in run.steps[0].output  # the installed slimgo found the runner's Go

    assert run.outputs["references"].startswith(f"oci:{tmp_path}/runner-temp/slimgo/oci:hello@sha256:")
    tags = registry_tags(auth_registry, "team/hello")
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert set(tags) == {sha, "latest"} and len(set(tags.values())) == 1
    assert run.outputs["digest"] == tags["latest"]
    assert run.outputs["images"].splitlines() == [
        f"docker://{auth_registry.host}/team/hello:{sha}@{tags[sha]}",
        f"docker://{auth_registry.host}/team/hello:latest@{tags['latest']}"]
    assert json.loads((tmp_path / "docker" / "config.json").read_text())["auths"][auth_registry.host]


def test_analyze_gate_passes_a_clean_image_and_stops_a_failing_one_before_the_push(
        hello: Path, tmp_path: Path, auth_registry: Registry, slimgo_path: Path) -> None:
    given = documented_inputs(auth_registry) | {"install": "false", "analyze": "true", "repo":
                                                 f"{auth_registry.host}/gated"}
    clean = run_action(tmp_path / "clean", hello, given, runner_env(tmp_path / "clean", slimgo_path))
    gate = next(step for step in clean.steps if step.name == "Analyze gate")
    assert gate.ran and gate.code == 0 and "PASS" in gate.output, clean.log
    assert set(registry_tags(auth_registry, "gated/hello")) == {"0123456789abcdef0123456789abcdef01234567", "latest"}

    rules = tmp_path / "tiny.slimgo-ci.yaml"
    rules.write_text("max-size: 1KB\n")  # the hello image is megabytes: this rule must fail
    failing = given | {"repo": f"{auth_registry.host}/stopped", "analyze-ci-config": str(rules)}
    run = run_action(tmp_path / "failing", hello, failing, runner_env(tmp_path / "failing", slimgo_path))
    assert run.failed is not None and run.failed.name == "Analyze gate", run.log
    assert "FAIL" in run.failed.output
    assert registry_tags(auth_registry, "stopped/hello") == {}, "a failed gate pushes nothing"


def test_sign_signs_every_pushed_tag_and_needs_a_key(hello: Path, tmp_path: Path, auth_registry: Registry,
                                                    slimgo_path: Path) -> None:
    key = tmp_path / "keys" / "cosign.key"
    key.parent.mkdir()
    env = runner_env(tmp_path / "signed", slimgo_path)
    made = subprocess.run([str(slimgo_path / "slimgo"), "keygen", "--output-key-prefix", str(key.with_suffix(""))],
                          env={**env, "COSIGN_PASSWORD": "pw"}, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    given = documented_inputs(auth_registry) | {"install": "false", "sign": "true", "sign-key": str(key),
                                                 "repo": f"{auth_registry.host}/signed"}
    run = run_action(tmp_path / "signed", hello, given, {**env, "COSIGN_PASSWORD": "pw"})
    assert run.failed is None, run.log
    for image in run.outputs["images"].splitlines():
        checked = subprocess.run([str(slimgo_path / "slimgo"), "verify", image, "--key", str(key.with_suffix(".pub"))],
                                 env=env, capture_output=True, text=True, timeout=60, check=False)
        assert checked.returncode == 0, checked.stderr

    keyless = given | {"sign-key": "", "repo": f"{auth_registry.host}/keyless"}
    run = run_action(tmp_path / "keyless", hello, keyless, runner_env(tmp_path / "keyless", slimgo_path))
    assert run.failed is not None and run.failed.name == "Sign" and "needs sign-key" in run.failed.output


def test_build_only_without_a_repo_keeps_the_settings_file(hello: Path, tmp_path: Path, slimgo_path: Path) -> None:
    """No repo: the action builds into the runner's layout and pushes nothing (e.g. for pull requests); inputs left
    empty do not become flags, so the module's .slimgo.yaml still decides them."""
    (hello / ".slimgo.yaml").write_text("port: ['8080']\ncompression: zstd\n")
    run = run_action(tmp_path, hello, {"install": "false", "packages": "./...", "tags": "pr"},
                     runner_env(tmp_path, slimgo_path))
    assert run.failed is None, run.log
    assert [s.name for s in run.steps if s.ran] == ["Build"]
    assert run.outputs["images"] == ""
    layout = Path(run.outputs["layout"])
    index = json.loads((layout / "index.json").read_text())
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / index["manifests"][0]["digest"].split(":")[1]).read_text())
    config = json.loads((blobs / manifest["config"]["digest"].split(":")[1]).read_text())
    assert "8080/tcp" in config["config"]["ExposedPorts"]
    assert all(layer["mediaType"].endswith("+zstd") for layer in manifest["layers"])
