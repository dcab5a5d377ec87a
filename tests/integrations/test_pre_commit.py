"""The pre-commit hooks, run by the real pre-commit on `git commit` in a new repository that uses this checkout
as its hook repository: a bad Dockerfile stops the commit, a good one goes through."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.integrations.conftest import EXAMPLE, require_module, run_slimgo, snapshot_files
from tests.integrations.snippets import snippet

HOOK_REPO_PARTS = ("src/", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")  # what pip installs
DOCUMENTED_REPO = "  - repo: https://github.com/slimgo/slimgo\n    rev: v0.1.0\n"
FIXED_GIT = {"GIT_AUTHOR_NAME": "slimgo tests", "GIT_AUTHOR_EMAIL": "tests@slimgo.invalid",
             "GIT_COMMITTER_NAME": "slimgo tests", "GIT_COMMITTER_EMAIL": "tests@slimgo.invalid",
             "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
             "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
BAD_DOCKERFILE = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /hello .\nCMD /hello\n"
NOT_RESTRICTED = """apiVersion: v1
kind: Pod
metadata: {name: hello}
spec:
  containers:
    - name: hello
      image: example/hello:1
      securityContext: {privileged: true}
"""


def cache_dir() -> Path:
    """Kept between runs (like tests/peers.py): pre-commit's hook environments, keyed by the checkout's content."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "slimgo-pre-commit"


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
                          env={**(env or os.environ), **FIXED_GIT})


@pytest.fixture(scope="module")
def hook_repo() -> tuple[Path, str]:
    """This checkout as a git repository pre-commit can clone: the same content gives the same path and commit,
    so pre-commit's environment for it is built once and reused by later runs."""
    require_module("pre_commit")
    files = [name for name in snapshot_files() if name.startswith(HOOK_REPO_PARTS)]
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    repo = cache / f"repo-{digest.hexdigest()[:16]}"
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs: one makes the repository, the other waits for it
        if not (repo / ".git").is_dir():
            shutil.rmtree(repo, ignore_errors=True)
            for name in files:
                (repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, repo / name)
            for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
                assert git(repo, *step).returncode == 0
        _prune(cache, keep=repo)
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    return repo, head


def _prune(cache: Path, keep: Path) -> None:
    """Drop snapshots of older checkouts after a week unused (their environments go with `pre-commit gc`)."""
    week_ago = time.time() - 7 * 86400
    for old in cache.glob("repo-*"):
        if old != keep and old.stat().st_mtime < week_ago:
            shutil.rmtree(old, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path, hook_repo: tuple[Path, str]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A new Go project with the documented .pre-commit-config.yaml, pointed at this checkout, hooks installed."""
    repo_path, rev = hook_repo
    work = tmp_path / "project"
    shutil.copytree(EXAMPLE, work)
    config = snippet("pre-commit-config") + "\n"
    assert DOCUMENTED_REPO in config
    (work / ".pre-commit-config.yaml").write_text(
        config.replace(DOCUMENTED_REPO, f"  - repo: {repo_path}\n    rev: {rev}\n"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SLIMGO_QUIET", "NO_COLOR")}
    env.update(PRE_COMMIT_HOME=str(cache_dir() / "home"), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    assert git(work, "init", "-q", "-b", "main", env=env).returncode == 0
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=work, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stderr
    yield work, env


def commit(work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert git(work, "add", "-A", env=env).returncode == 0
    with open(cache_dir() / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pre-commit builds a hook environment once; a second run waits for it
        return subprocess.run(["git", "commit", "-m", "add a container build"], cwd=work, capture_output=True,
                              text=True, timeout=900, check=False, env={**env, **FIXED_GIT})


def test_the_hooks_file_is_what_pre_commit_reads(tmp_path: Path) -> None:
    require_module("pre_commit")
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(snippet("pre-commit-config") + "\n")
    for check, path in (("validate-manifest", ROOT / ".pre-commit-hooks.yaml"), ("validate-config", config)):
        result = subprocess.run([sys.executable, "-m", "pre_commit", check, str(path)], capture_output=True,
                                text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"slimgo-lint", "slimgo-context"}
    assert by_id["slimgo-lint"]["require_serial"] is True  # one process gets every file
    assert by_id["slimgo-context"]["pass_filenames"] is False


def test_a_bad_dockerfile_stops_the_commit_and_a_good_one_passes(project: tuple[Path, dict[str, str]]) -> None:
    work, env = project
    (work / "Dockerfile").write_text(BAD_DOCKERFILE)
    (work / "deploy").mkdir()
    (work / "deploy" / "Dockerfile").write_text(BAD_DOCKERFILE)
    (work / "deploy" / "pod.yaml").write_text(NOT_RESTRICTED)
    refused = commit(work, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(r"slimgo lint\.+Failed", output), output
    assert "Dockerfile:1  error  SG101" in output and "deploy/Dockerfile:1  error  SG101" in output
    assert "deploy/pod.yaml" in output
    summaries = re.findall(r"\d+ findings? in (\d+) files?", output)
    assert summaries == ["3"], "one slimgo process got all three files"
    assert git(work, "rev-parse", "--verify", "HEAD", env=env).returncode != 0, "nothing was committed"

    shutil.rmtree(work / "deploy")
    (work / "Dockerfile").unlink()
    generated = run_slimgo("dockerfile", "-o", ".", cwd=work)
    assert generated.code == 0, generated.err
    accepted = commit(work, env)
    output = accepted.stdout + accepted.stderr
    assert accepted.returncode == 0, output
    assert re.search(r"slimgo lint\.+Passed", output) and re.search(r"slimgo context\.+Passed", output), output
    assert git(work, "rev-parse", "--verify", "HEAD", env=env).returncode == 0


def test_context_hook_fails_without_a_dockerignore(project: tuple[Path, dict[str, str]]) -> None:
    work, env = project
    (work / ".env").write_text("API_TOKEN=do-not-ship-me\n")
    refused = commit(work, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert re.search(r"slimgo context\.+Failed", output), output
    assert "SG220" in output and "SG226" in output and ".env" in output


def test_the_readme_shows_the_tested_configuration() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n# \.pre-commit-config\.yaml\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    assert yaml.safe_load(block.group(1)) == yaml.safe_load(snippet("pre-commit-config"))
