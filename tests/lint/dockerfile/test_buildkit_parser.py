"""Exec form or shell form, decided as BuildKit decides it: compared with BuildKit's own parser.

Unit tests compare with answers recorded from the Go program in tests/fixtures/dockerfileparser/ (no Go needed);
the integration test runs that program (moby/buildkit's frontend/dockerfile/parser) on fresh random cases.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from typing import Any

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from slimgo.lint.dockerfile.parse import DockerfileSyntaxError, read_instructions
from tests.conftest import FIXTURES, require_tool

GO_DIR = FIXTURES / "dockerfileparser"
GOLDEN = GO_DIR / "golden.json"

_INSTRUCTIONS = ["CMD", "ENTRYPOINT", "RUN", "RUN --mount=type=cache,target=/root/.cache", "COPY", "ADD --chmod=755"]
_ARRAYS = ['["/bin/app"]', '["/bin/app", "serve"]', '[ "/bin/app" ,"-v" ]', "[]", '["a b", "c\\"d"]',
           '["\\u00e9t\\u00e9"]', '["a",]', "['/bin/app']", '["a", 1]', '[["a"]]', '["a"', '"a"]', '["a"]]',
           '["a" "b"]', '[null]', '["a\\tb"]']
_TRAILERS = ["", " ", "%", " x", "]", " # note", ' ["b"]', ";", " && echo hi", "\t"]


def build_cases(seed: int, count: int = 300) -> list[str]:
    """Dockerfiles of one FROM and one instruction whose argument is (almost) a JSON array."""
    rng = random.Random(seed)
    cases = [f"FROM scratch\n{ins} {arr}{trail}\n" for ins in ("CMD", "RUN") for arr in _ARRAYS[:4]
             for trail in _TRAILERS]
    while len(cases) < count:
        ins = rng.choice(_INSTRUCTIONS)
        arg = rng.choice(_ARRAYS) + rng.choice(_TRAILERS)
        if ins.startswith(("COPY", "ADD")) and rng.random() < 0.5:
            arg += " /dst/"
        lead = rng.choice(["", " ", "  "])
        cases.append(f"FROM scratch\n{ins} {lead}{arg}\n")
    return cases


def python_answer(text: str) -> dict[str, Any]:
    """What slimgo's parser reads: each instruction's name, exec form or not, and arguments (flags apart)."""
    try:
        instructions = read_instructions(text)
    except DockerfileSyntaxError:
        return {"error": True}
    return {"instructions": [{"cmd": ins.cmd, "json": ins.json, "args": list(ins.args)} for ins in instructions]}


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {"error": True} if answer.get("error") else {"instructions": answer["instructions"]}


def run_go(cases: list[str]) -> list[dict[str, Any]]:
    go = require_tool("go")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    proc = subprocess.run([go, "run", "."], cwd=GO_DIR, input=json.dumps({"files": cases}), text=True,
                          capture_output=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    return results


def _mismatches(cases: list[str], results: list[dict[str, Any]]) -> list[str]:
    out = []
    for case, theirs in zip(cases, results, strict=True):
        mine = comparable(python_answer(case))
        if mine != comparable(theirs):
            out.append(f"{case!r}\n  buildkit: {comparable(theirs)}\n  slimgo:   {mine}")
    return out


def test_golden_file_covers_the_generated_cases() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["cases"] == build_cases(golden["seed"])
    assert len(golden["results"]) == len(golden["cases"]) >= 300


def test_exec_form_matches_recorded_buildkit_answers() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    mismatches = _mismatches(golden["cases"], golden["results"])
    assert not mismatches, "\n".join(mismatches[:10])


@pytest.mark.integration
def test_exec_form_matches_buildkit_on_fresh_random_cases() -> None:
    seed = random.SystemRandom().randrange(1 << 30)
    cases = build_cases(seed, count=400)
    mismatches = _mismatches(cases, run_go(cases))
    assert not mismatches, f"seed {seed}\n" + "\n".join(mismatches[:10])


@pytest.mark.parametrize("start", ['CMD ["/app"]%', 'ENTRYPOINT ["/app"] x', 'CMD ["/app"] ["--serve"]',
                                   "CMD ['/app']", 'ENTRYPOINT ["/app",]'])
def test_text_after_the_array_makes_it_shell_form_and_the_rules_say_so(start: str) -> None:
    text = (f"FROM gcr.io/distroless/static-debian12:nonroot@sha256:{'a' * 64}\nCOPY app /app\n"
            f"USER 65532:65532\n{start}\n")
    rules = {f.rule for f in lint_dockerfile("Dockerfile", text)}
    assert "SG151" in rules  # shell form on a base without a shell: it cannot start


def write_golden(seed: int = 20261202) -> None:
    """Record BuildKit's answers for ``build_cases(seed)`` into golden.json (run from the repo root)."""
    cases = build_cases(seed)
    GOLDEN.write_text(json.dumps({"seed": seed, "cases": cases, "results": run_go(cases)}, indent=1,
                                 ensure_ascii=False) + "\n", encoding="utf-8")
