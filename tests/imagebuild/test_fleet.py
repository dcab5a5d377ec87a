"""Builds for a fleet: only what changed since a git ref, a stable share per CI runner, and Go's own remote cache
(GOCACHEPROG) passed through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.imagebuild.conftest import Slimgo

pytestmark = pytest.mark.integration
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}


def _module(root: Path, mains: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/fleet\n\ngo 1.22\n")
    (root / "lib").mkdir()
    (root / "lib" / "lib.go").write_text('package lib\n\nconst Name = "lib"\n')
    (root / "lib" / "lib_test.go").write_text("package lib\n")
    for name, imports in mains.items():
        (root / "cmd" / name).mkdir(parents=True)
        body = "println(lib.Name)" if imports else f'println("{name}")'
        header = 'import "example.com/fleet/lib"\n\n' if imports else ""
        (root / "cmd" / name / "main.go").write_text(f"package main\n\n{header}func main() {{ {body} }}\n")
    return root


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, timeout=30, capture_output=True)


def _built(out: str) -> list[str]:
    return sorted(line.split("@")[0].rsplit(":", 1)[1] for line in out.splitlines())


def test_changed_since_builds_only_what_the_change_reaches(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    root = _module(tmp_path / "m", {"alpha": "lib", "beta": ""})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    layout = f"oci:{tmp_path}/l"
    result = slimgo("build", "--changed-since", "HEAD", "-o", layout, "./...", cwd=root)
    assert result.code == 0 and result.out == "", result.err
    assert "unchanged since HEAD, not built: example.com/fleet/cmd/alpha, example.com/fleet/cmd/beta" in result.err
    assert slimgo("build", "--json", "--changed-since", "HEAD", "-o", layout, "./...", cwd=root).json_lines() == []
    (root / "lib" / "lib_test.go").write_text("package lib\n\n// only a test changed\n")
    assert slimgo("build", "--changed-since", "HEAD", "-o", layout, "./...", cwd=root).out == ""
    (root / "lib" / "lib.go").write_text('package lib\n\nconst Name = "changed"\n')
    result = slimgo("build", "--changed-since", "HEAD", "-o", layout, "./...", cwd=root)
    assert result.code == 0, result.err
    assert _built(result.out) == ["alpha"] and "not built: example.com/fleet/cmd/beta" in result.err
    _git(root, "commit", "-qam", "two")
    (root / "go.sum").write_text("")  # a new, untracked go.sum reaches every main
    result = slimgo("build", "--changed-since", "HEAD~1", "-o", layout, "./...", cwd=root)
    assert _built(result.out) == ["alpha", "beta"], result.err
    result = slimgo("build", "--changed-since", "no-such-ref", "-o", layout, "./...", cwd=root)
    assert result.code == 2 and "is not a commit" in result.err


def test_shards_split_the_mains_stably_and_completely(tmp_path: Path, slimgo: Slimgo, go: str) -> None:
    names = [f"svc{i}" for i in range(6)]
    root = _module(tmp_path / "m", dict.fromkeys(names, ""))
    shares = []
    for index in (1, 2, 3):
        result = slimgo("build", "--shard", f"{index}/3", "-o", f"oci:{tmp_path}/s{index}", "./...", cwd=root)
        assert result.code == 0, result.err
        shares.append(_built(result.out))
    assert sorted(name for share in shares for name in share) == names  # each main in exactly one shard
    # adding a main moves no other one
    _module_main = root / "cmd" / "svc9"
    _module_main.mkdir()
    (_module_main / "main.go").write_text("package main\n\nfunc main() {}\n")
    again = [_built(slimgo("build", "--shard", f"{i}/3", "-o", f"oci:{tmp_path}/t{i}", "./...", cwd=root).out)
             for i in (1, 2, 3)]
    assert [[n for n in share if n != "svc9"] for share in again] == shares
    assert slimgo("build", "--shard", "0/3", "./...", cwd=root).code == 2


def test_gocacheprog_is_passed_to_go(tmp_path: Path, slimgo: Slimgo, go: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "cache.log"
    program = FIXTURES / "cacheprog" / "cacheprog.py"
    monkeypatch.setenv("GOCACHEPROG", f"{sys.executable} {program} {tmp_path / 'shared'} {log}")
    first = _module(tmp_path / "runner1", {"app": "lib"})
    assert slimgo("build", "-o", f"oci:{tmp_path}/one", "./cmd/app", cwd=first).code == 0
    requests = log.read_text().splitlines()
    assert "put" in requests and "get miss" in requests
    # another runner, another checkout and slimgo cache: Go's compiled packages come from the shared cache
    log.write_text("")
    monkeypatch.setenv("SLIMGO_CACHE_DIR", str(tmp_path / "other-cache"))
    second = _module(tmp_path / "runner2", {"app": "lib"})
    result = slimgo("build", "-o", f"oci:{tmp_path}/two", "./cmd/app", cwd=second)
    assert result.code == 0, result.err
    requests = log.read_text().splitlines()
    # every compiled package hits; only what depends on the output path (the link into slimgo's cache) misses
    assert requests.count("get hit") > 10 * requests.count("get miss")
