"""The Python port of moby/patternmatcher and BuildKit's context walk against Docker's own Go code.

Unit tests compare with golden answers recorded from the Go program in tests/fixtures/patternmatcher/ (no Go
needed); the integration test runs that program on freshly generated patterns, paths and trees.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from slimgo.lint.context import scan_context
from slimgo.lint.dockerignore import PatternError, PatternMatcher, read_patterns
from slimgo.lint.dockerignore.ignorefile import IgnoreFileError
from tests.conftest import FIXTURES, require_tool

GO_DIR = FIXTURES / "patternmatcher"
GOLDEN = GO_DIR / "golden.json"

# Cases from moby/patternmatcher's own tests and the corners of its regexp translation.
HAND_PATTERNS: list[tuple[list[str], list[str]]] = [
    (["*.go"], ["main.go", "a/main.go", "main.gox", ".go"]),
    (["**/*.go"], ["main.go", "a/b/main.go", "a/b/main.go/x"]),
    (["**"], ["a", "a/b", "."]),
    (["**/"], ["a", "a/b"]),
    (["a/**"], ["a", "a/b", "ab", "a/b/c"]),
    (["a**"], ["a", "ab", "a/b", "ba"]),
    (["**/foo"], ["foo", "a/foo", "afoo", "foo/bar"]),
    (["**/foo/**"], ["foo", "foo/a", "x/foo/a", "xfoo/a"]),
    (["a/**/b"], ["a/b", "a/x/b", "a/x/y/b", "ab"]),
    (["docs", "!docs/README.md"], ["docs/README.md", "docs/a.md", "docs"]),
    (["*", "!keep", "keep/drop"], ["keep", "keep/drop", "keep/x", "other"]),
    (["!a"], ["a"]),
    (["a", "!a/b", "a/b/c"], ["a/b", "a/b/c", "a/b/d", "a/x"]),
    (["/abs", "./rel", "a/../b", "c/./d//e/"], ["abs", "rel", "b", "c/d/e", "a/b"]),
    (["[a-c]x"], ["ax", "bx", "dx", "[a-c]x"]),
    (["[^a]x", "[!a]y"], ["ax", "bx", "!y", "ay", "by"]),
    (["\\*"], ["*", "a"]),
    (["a\\b"], ["ab", "a\\b", "a/b"]),
    (["x\\d"], ["x1", "xd", "x\\d"]),
    (["[[:alpha:]]"], ["a", "1", "[", ":"]),
    (["[*]"], ["*", "]", "[]", "[[^]"]),
    (["a.b", "c+d", "(e)", "{f}", "g$", "h|i"], ["a.b", "axb", "c+d", "(e)", "{f}", "g$", "h|i"]),
    (["a*.b"], ["a.b", "ax.b", "axb", "a/x.b"]),
    (["^a", "*^b"], ["^a", "a", "^b", "b"]),
    (["a?c"], ["abc", "a/c", "ac"]),
    (["a\\"], ["a\\", "a"]),
    (["[a"], ["a"]),
    (["a*["], ["a", "ab["]),
    (["!"], ["a"]),
    (["\\q*"], ["q", "qa"]),
    (["[z-a]"], ["a"]),
    (["..", "../x", "."], ["x", "a"]),
    (["  spaced  ", "!  "], ["spaced"]),
    (["é*", "ü?"], ["éa", "üb", "ü/"]),
]

HAND_IGNOREFILES: list[str] = [
    "# comment\n*.md\n!README.md\n\n  /build/  \n",
    "\ufeff.git\r\nnode_modules\r\n",
    "!\n",
    "! keep\n*\n",
    " # not a comment\n#*.go\n",
    "/\n//a\n/../x\n",
    "x" * 70000 + "\n",
]


def _rand_pattern(rng: random.Random) -> str:
    tokens = ["a", "b", "c", ".", "*", "**", "?", "/", "/", "[a-c]", "[^a]", "[!b]", "\\*", "\\.", "\\a", "\\d",
              "^", "$", "+", "(", ")", "{", "}", "|", "-", "[", "]", "..", "x.go", "[[:digit:]]", "\\x41", "[\\d]",
              "\\Q", "\\E", "\\b", "é"]
    text = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 6)))
    return ("!" if rng.random() < 0.25 else "") + text


def _rand_path(rng: random.Random) -> str:
    parts = ["a", "b", "c", "x.go", "ab", "a.b", "*", "[a]", "^", "$", "A", "1", ".git", "é", "a-b", "b]"]
    return "/".join(rng.choice(parts) for _ in range(rng.randint(1, 4)))


def _rand_tree(rng: random.Random) -> list[tuple[str, str, int]]:
    names = ["a", "b", "src", "docs", ".git", "node_modules", "x.go", "README.md", ".env", "keep", "k.pem"]
    entries: dict[str, tuple[str, int]] = {}
    for _ in range(rng.randint(3, 25)):
        depth = rng.randint(1, 4)
        parts = [rng.choice(names) for _ in range(depth)]
        path = "/".join(parts)
        if any("/".join(parts[:i]) in entries and entries["/".join(parts[:i])][0] != "dir" for i in range(1, depth)):
            continue
        if path in entries:
            continue
        for i in range(1, depth):
            entries.setdefault("/".join(parts[:i]), ("dir", 0))
        kind = "symlink" if rng.random() < 0.1 else "file"
        entries[path] = (kind, rng.randint(0, 300))
    return sorted((p, k, s) for p, (k, s) in entries.items())


def build_cases(seed: int, random_sets: int = 120, walk_sets: int = 40) -> list[dict[str, Any]]:
    """Deterministic cases: hand-written ones, then random pattern sets, ignore files and trees."""
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = [{"patterns": p, "paths": paths} for p, paths in HAND_PATTERNS]
    cases += [{"ignorefile": text, "paths": ["README.md", "a.md", "build", "build/x", ".git", "keep", "x"]}
              for text in HAND_IGNOREFILES]
    for _ in range(random_sets):
        patterns = [_rand_pattern(rng) for _ in range(rng.randint(1, 4))]
        paths = sorted({_rand_path(rng) for _ in range(12)})
        cases.append({"patterns": patterns, "paths": paths})
    walk_patterns = ["*.md", "!README.md", ".git", "node_modules", "**/*.go", "!src/**/*.go", "src", "!src/keep",
                     "docs/**", "!docs/keep/README.md", "**/.env", "*.pem", "a/b", "!a/b/x.go", "keep", "a*"]
    for _ in range(walk_sets):
        tree = _rand_tree(rng)
        patterns = rng.sample(walk_patterns, rng.randint(0, 6))
        cases.append({"tree": tree, "ignorefile": "\n".join(patterns) + "\n"})
    return cases


def make_tree(root: Path, tree: list[list[Any]] | list[tuple[str, str, int]]) -> None:
    for path, kind, size in tree:
        target = root / path
        if kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "symlink":
            os.symlink("x" * max(size % 40, 1), target)
        else:
            target.write_bytes(b"x" * size)


def _verdict(fn: Any) -> str:
    try:
        return "true" if fn() else "false"
    except PatternError:
        return "error"


def python_answer(case: dict[str, Any], walk_root: Path | None = None) -> dict[str, Any]:
    """What the port answers, in the Go program's output shape."""
    out: dict[str, Any] = {}
    patterns = case.get("patterns") or []
    if "ignorefile" in case:
        try:
            patterns = read_patterns(case["ignorefile"])
        except IgnoreFileError as err:
            return {"read_error": str(err)}
    out["patterns"] = patterns
    if "tree" in case:
        assert walk_root is not None
        ignore = walk_root.parent / "ignore"
        ignore.write_text(case["ignorefile"], encoding="utf-8")
        report = scan_context(walk_root, ignore_file=ignore, keep_paths=True)
        if report.fails:
            out["walk_error"] = "error"
        out["walk"] = sorted([p, k, s if k == "file" else 0] for p, k, s in report.sent_paths or [])
        return out
    try:
        pm = PatternMatcher(patterns)
    except PatternError as err:
        out["new_error"] = str(err)
        return out
    results = []
    for path in case.get("paths", []):
        from slimgo.lint.dockerignore import MatchInfo

        def chain(p: str = path) -> bool:
            info = MatchInfo()
            parts = p.split("/")
            matched = False
            for i in range(len(parts)):
                matched, info = pm.matches_using_parent_results("/".join(parts[: i + 1]), info)
            return matched

        results.append({"path": path, "or_parent": _verdict(lambda p=path: pm.matches_or_parent_matches(p)),
                        "parent_results": _verdict(chain)})
    out["results"] = results
    return out


def normalize_go(result: dict[str, Any], is_walk: bool) -> dict[str, Any]:
    """The Go answer in the comparable shape: errors as presence, walks as sorted [path, kind, size].

    ``is_walk`` comes from the case: Go omits an empty walk (`omitempty`), so the answer alone cannot tell.
    """
    out: dict[str, Any] = {}
    if result.get("read_error"):
        return {"read_error": True}
    out["patterns"] = result.get("patterns") or []
    if is_walk or "walk" in result or result.get("walk_error"):
        if result.get("walk_error"):
            out["walk_error"] = "error"
        out["walk"] = sorted([w["path"], w["kind"], w["size"] if w["kind"] == "file" else 0]
                             for w in result.get("walk") or [])
        return out
    if result.get("new_error"):
        out["new_error"] = True
        return out
    out["results"] = result.get("results") or []
    return out


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    out = dict(answer)
    for key in ("read_error", "new_error"):
        if key in out:
            out[key] = True
    if "read_error" in out:
        return {"read_error": True}
    if out.get("walk_error"):
        out.pop("walk", None)  # Go stops mid-walk; what it sent before the error is not comparable
    return out


def run_go(cases: list[dict[str, Any]], workdir: Path) -> list[dict[str, Any]]:
    """Run the Go program (real moby/patternmatcher and fsutil) on ``cases``; trees are made under workdir."""
    go = require_tool("go")
    go_cases = []
    for i, case in enumerate(cases):
        c = {k: v for k, v in case.items() if k != "tree"}
        if "tree" in case:
            root = workdir / f"t{i}" / "ctx"
            root.mkdir(parents=True)
            make_tree(root, case["tree"])
            c["walk_root"] = str(root)
        go_cases.append(c)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    proc = subprocess.run([go, "run", "."], cwd=GO_DIR, input=json.dumps({"cases": go_cases}), text=True,
                          capture_output=True, timeout=600, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    return results


def _compare(cases: list[dict[str, Any]], go_results: list[dict[str, Any]], tmp: Path) -> list[str]:
    mismatches = []
    for i, (case, go) in enumerate(zip(cases, go_results, strict=True)):
        walk_root = None
        if "tree" in case:
            walk_root = tmp / f"py{i}" / "ctx"
            walk_root.mkdir(parents=True)
            make_tree(walk_root, case["tree"])
        mine = comparable(python_answer(case, walk_root))
        theirs = comparable(normalize_go(go, "tree" in case))
        if mine != theirs:
            mismatches.append(f"case {i}: {json.dumps(case)[:300]}\n  go:     {theirs}\n  python: {mine}")
    return mismatches


def test_golden_file_covers_the_generated_cases() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["cases"] == json.loads(json.dumps(build_cases(golden["seed"])))
    assert len(golden["results"]) == len(golden["cases"]) > 150


def test_port_matches_recorded_go_answers(tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    mismatches = _compare(golden["cases"], golden["results"], tmp_path)
    assert not mismatches, "\n".join(mismatches[:10])


@pytest.mark.integration
def test_port_matches_go_on_fresh_random_cases(tmp_path: Path) -> None:
    seed = random.SystemRandom().randrange(1 << 30)
    cases = build_cases(seed, random_sets=150, walk_sets=30)
    go_results = run_go(cases, tmp_path / "go")
    mismatches = _compare(cases, go_results, tmp_path)
    assert not mismatches, f"seed {seed}\n" + "\n".join(mismatches[:10])


def write_golden(seed: int = 20240601) -> None:
    """Record the Go program's answers for ``build_cases(seed)`` into golden.json (run from the repo root)."""
    cases = build_cases(seed)
    with tempfile.TemporaryDirectory() as tmp:
        results = run_go(cases, Path(tmp))
    for result in results:
        result.pop("walk_root", None)
    GOLDEN.write_text(json.dumps({"seed": seed, "cases": cases, "results": results}, indent=1,
                                 ensure_ascii=False) + "\n", encoding="utf-8")
