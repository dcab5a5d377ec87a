"""Runs CI definitions the way their hosts do, for what can run here: a GitHub composite action's steps (bash with
inputs in the environment, GITHUB_OUTPUT and GITHUB_PATH files) and a GitLab job's scripts, on this machine."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# The only `if:` forms this action uses, so the runner evaluates them exactly as GitHub does.
CONDITION = re.compile(r"^inputs\.([\w-]+) (==|!=) '([^']*)'$")
STEP_TIMEOUT = 900  # seconds


@dataclass
class StepResult:
    name: str
    ran: bool
    code: int = 0
    output: str = ""


@dataclass
class ActionRun:
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> StepResult | None:
        return next((step for step in self.steps if step.code != 0), None)

    @property
    def log(self) -> str:
        return "\n".join(f"## {step.name} ({'ran' if step.ran else 'skipped'}, exit {step.code})\n{step.output}"
                         for step in self.steps)


def evaluate(expression: str, context: Mapping[str, Any]) -> str:
    """A dotted lookup (inputs.repo, steps.build.outputs.references, github.sha); anything else is refused."""
    value: Any = context
    parts = expression.split(".")
    for index, part in enumerate(parts):
        if parts[0] == "steps" and index == 3 and isinstance(value, Mapping) and part not in value:
            return ""  # GitHub: an output a step did not set (or a skipped step's) is the empty string
        assert isinstance(value, Mapping) and part in value, f"unsupported expression: {expression}"
        value = value[part]
    return "" if value is None else str(value)


def substitute(text: str, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: evaluate(m.group(1), context), text)


def condition(expression: str, inputs: Mapping[str, str]) -> bool:
    match = CONDITION.match(expression.strip())
    assert match, f"unsupported if: {expression}"
    name, op, literal = match.groups()
    return (inputs[name] == literal) == (op == "==")


def parse_output_file(text: str) -> dict[str, str]:
    """GitHub's `name=value` and `name<<DELIMITER ... DELIMITER` lines."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            else:
                raise AssertionError(f"unterminated {delimiter} in GITHUB_OUTPUT")
            values[name] = "\n".join(body)
        elif line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def run_composite_action(action_dir: Path, given: Mapping[str, str], env: Mapping[str, str], workspace: Path,
                         runner_temp: Path) -> ActionRun:
    """Run ``action_dir/action.yml`` with inputs ``given`` as the runner does a composite action's bash steps."""
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    declared = action["inputs"]
    unknown = set(given) - set(declared)
    assert not unknown, f"inputs the action does not declare: {sorted(unknown)}"
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()} | dict(given)
    context: dict[str, Any] = {"inputs": inputs, "steps": {}, "runner": {"temp": str(runner_temp)},
                               "github": {"action_path": str(action_dir), "workspace": str(workspace)}}
    github_path = runner_temp / "github_path"
    github_path.write_text("")
    run = ActionRun()
    for index, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", f"step {index}")
        if "if" in step and not condition(step["if"], inputs):
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": {}}
            run.steps.append(StepResult(name, ran=False))
            continue
        result = _run_step(step, name, context, env, workspace, runner_temp, github_path)
        run.steps.append(result)
        if result.code != 0:
            break  # later steps have the default `if: success()`
    else:
        run.outputs = {key: substitute(spec["value"], context) for key, spec in action.get("outputs", {}).items()}
    return run


def _run_step(step: Mapping[str, Any], name: str, context: dict[str, Any], env: Mapping[str, str], workspace: Path,
              runner_temp: Path, github_path: Path) -> StepResult:
    assert step.get("shell") == "bash", f"{name}: only bash steps run here"
    assert "${{" not in step["run"], f"{name}: inputs reach scripts through env, never pasted into them"
    output_file = runner_temp / "github_output"
    output_file.write_text("")
    added = [line for line in github_path.read_text().splitlines() if line]
    step_env = dict(env) | {key: substitute(str(value), context) for key, value in step.get("env", {}).items()}
    step_env |= {"GITHUB_OUTPUT": str(output_file), "GITHUB_PATH": str(github_path),
                 "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTIONS": "true",
                 "PATH": os.pathsep.join([*reversed(added), env["PATH"]])}
    cwd = workspace / substitute(step.get("working-directory", "."), context)
    script = runner_temp / "step.sh"
    script.write_text(step["run"])
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                          env=step_env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
    if "id" in step:
        context["steps"][step["id"]] = {"outputs": parse_output_file(output_file.read_text())}
    return StepResult(name, ran=True, code=proc.returncode, output=proc.stdout + proc.stderr)


def run_gitlab_job(job: Mapping[str, Any], variables: Mapping[str, str], env: Mapping[str, str],
                   project_dir: Path) -> subprocess.CompletedProcess[str]:
    """A GitLab job's before_script and script in one shell (as the runner does), variables in the environment."""
    lines = [*job.get("before_script", []), *job["script"]]
    script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
    return subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=project_dir,
                          env=dict(env) | dict(variables) | {"CI_PROJECT_DIR": str(project_dir), "CI": "true"},
                          capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
