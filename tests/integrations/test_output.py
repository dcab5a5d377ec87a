"""Output a script can trust: stdout holds only each verb's results, --quiet leaves errors alone on stderr, progress
reaches a terminal only, and NO_COLOR turns colour off wherever slimgo would use it."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from slimgo.cli.main import COMMANDS
from tests.conftest import require_root, require_tool
from tests.integrations.conftest import EXAMPLE, SRC, Run, run_slimgo, slimgo_env
from tests.stores.registry.conftest import Registry

DIGEST = r"@sha256:[0-9a-f]{64}"
PRINTER = """package main

import "fmt"

func main() { fmt.Println("the program's own output") }
"""
BAD_DOCKERFILE = "FROM golang:1.22\nCOPY . .\nRUN go build -o /app .\nCMD /app\n"


@dataclass
class Workspace:
    root: Path
    env: dict[str, str]
    registry: Registry

    def slimgo(self, *args: str, stdin: str = "") -> Run:
        return run_slimgo(*args, cwd=self.root / "hello", env=self.env, stdin=stdin)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, local_registry: Registry) -> Workspace:
    """examples/hello and a program that prints one line, built into a layout; a bad Dockerfile; a registry."""
    require_tool("go")
    root = tmp_path_factory.mktemp("output")
    shutil.copytree(EXAMPLE, root / "hello")
    (root / "hello" / "Dockerfile").write_text(BAD_DOCKERFILE)
    printer = root / "hello" / "cmd" / "printer"
    printer.mkdir(parents=True)
    (printer / "main.go").write_text(PRINTER)
    env = slimgo_env(DOCKER_CONFIG=str(root / "docker"), SLIMGO_CACHE_DIR=str(root / "cache"))
    (root / "osv").mkdir()  # a one-advisory mirror, so `vuln` needs no download here (and dated today: no warning)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (root / "osv" / "GO-2000-0001.json").write_text(json.dumps({
        "id": "GO-2000-0001", "modified": now, "published": now,
        "affected": [{"package": {"name": "example.com/nothing", "ecosystem": "Go"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}))
    space = Workspace(root, env, local_registry)
    built = space.slimgo("build", "./...", "-o", f"oci:{root / 'layout'}")
    assert built.code == 0, built.err
    return space


@dataclass(frozen=True)
class Case:
    argv: Callable[[Workspace], list[str]]
    results: Callable[[Workspace, str], bool]  # is this stdout nothing but the verb's results?
    code: int = 0
    stdin: str = ""
    needs_root: bool = False


def _signed(space: Workspace) -> Path:
    """A copy of the layout, signed with a key whose password is empty (signing.key, signing.pub)."""
    from slimgo.stores.transport import Stores
    from slimgo.supply.attest import attest_image
    from slimgo.supply.cosign import sign_image
    from slimgo.supply.keys import generate, load_private

    layout = space.root / "signed"
    if not layout.exists():
        shutil.copytree(space.root / "layout", layout)
        pair = generate(b"")
        (space.root / "signing.key").write_bytes(pair.private_pem)
        (space.root / "signing.pub").write_bytes(pair.public_pem)
        key = load_private(pair.private_pem, "signing.key", b"")
        sign_image(Stores(), f"oci:{layout}:hello", key)
        (space.root / "signing.pub.json").write_text('{"note": "a predicate"}')
        attest_image(Stores(), f"oci:{layout}:hello", key, "https://cosign.sigstore.dev/attestation/v1", {})
    return layout


def one_document(kind: str) -> Callable[[Workspace, str], bool]:
    def check(_: Workspace, out: str) -> bool:
        document = json.loads(out)  # exactly one JSON document, nothing before or after it
        return isinstance(document, dict) and str(document.get("kind", "")).startswith(kind)

    return check


def lines_match(*patterns: str) -> Callable[[Workspace, str], bool]:
    def check(space: Workspace, out: str) -> bool:
        lines = out.splitlines()
        expected = [p.replace("{root}", re.escape(str(space.root))) for p in patterns]
        return out.endswith("\n") and len(lines) == len(expected) and all(
            re.fullmatch(p, line) for p, line in zip(expected, lines, strict=True))

    return check


# Each verb's common path, as a script would call it, and what its stdout must be.
CASES: dict[str, Case] = {
    "build": Case(lambda s: ["build", ".", "-o", f"oci:{s.root / 'built'}:hello"],
                  lines_match("oci:{root}/built:hello" + DIGEST)),
    "resolve": Case(lambda s: ["resolve", "-f", "-", "--repo", f"{s.registry.host}/r"], lambda s, out: re.fullmatch(rf"image: {re.escape(s.registry.host)}/r/\w+{DIGEST}\n", out) is not None, stdin="image: slimgo://.\n"),  # noqa: E501
    "copy": Case(lambda s: ["copy", f"oci:{s.root / 'layout'}:hello", f"oci:{s.root / 'copied'}:v1"],
                 lines_match("oci:{root}/copied:v1" + DIGEST)),
    "inspect": Case(lambda s: ["inspect", f"oci:{s.root / 'layout'}:hello", "--json"],
                    one_document("slimgo.inspect")),
    "lint": Case(lambda s: ["lint", "Dockerfile", "--format", "json"], one_document("slimgo.lint"), code=1),
    "context": Case(lambda s: ["context", ".", "--json"], one_document("slimgo.context")),
    "dockerfile": Case(lambda s: ["dockerfile", ".", "--force", "-o", str(s.root / "generated")],
                       lines_match("wrote {root}/generated/Dockerfile",
                                   r"wrote {root}/generated/Dockerfile\.dockerignore", r"services: hello \(\.\)")),
    "run": Case(lambda s: ["run", "--network", "none", f"oci:{s.root / 'layout'}:printer"],
                lines_match("the program's own output"), needs_root=True),
    "login": Case(lambda s: ["login", s.registry.host, "-u", "ci", "--password-stdin"],
                  lines_match("Login Succeeded"), stdin="not-a-secret\n"),
    "logout": Case(lambda s: ["logout", s.registry.host], lambda _, out: out.strip() != ""),
    "analyze": Case(lambda s: ["analyze", f"oci:{s.root / 'layout'}:hello", "--json"], one_document("slimgo.analyze")),
    "slim": Case(lambda s: ["slim", f"oci:{s.root / 'layout'}:hello", "-o", f"oci:{s.root / 'slimmed'}:hello"],
                 lines_match("oci:{root}/slimmed:hello" + DIGEST)),
    "vuln": Case(lambda s: ["vuln", "--json", "--db", str(s.root / "osv"), f"oci:{s.root / 'layout'}:hello"],
                 one_document("slimgo.vuln")),
    "sbom": Case(lambda s: ["sbom", f"oci:{s.root / 'layout'}:hello"],
                 lambda _, out: json.loads(out)["spdxVersion"] == "SPDX-2.3"),
    "keygen": Case(lambda s: ["keygen", "--force", "--output-key-prefix", str(s.root / "k")],
                   lines_match(r"{root}/k\.key", r"{root}/k\.pub"), stdin="not-a-secret\n"),
    "sign": Case(lambda s: ["sign", f"oci:{_signed(s)}:hello", "--key", str(s.root / "signing.key")],
                 lines_match(r"oci:{root}/signed:sha256-[0-9a-f]{64}\.sig" + DIGEST), stdin="\n"),
    "verify": Case(lambda s: ["verify", f"oci:{_signed(s)}:hello", "--key", str(s.root / "signing.pub")],
                   lines_match(r"oci:{root}/signed:hello: verified \(.*\)")),
    "attest": Case(lambda s: ["attest", f"oci:{_signed(s)}:hello", "--key", str(s.root / "signing.key"),
                              "--predicate", str(s.root / "signing.pub.json")],
                   lines_match(r"oci:{root}/signed:sha256-[0-9a-f]{64}\.att" + DIGEST), stdin="\n"),
    "verify-attestation": Case(lambda s: ["verify-attestation", f"oci:{_signed(s)}:hello", "--key",
                                          str(s.root / "signing.pub")],
                               lambda _, out: out != "" and all(line.endswith(" verified attestation "
                                                                              "https://cosign.sigstore.dev/attestation/v1")
                                                                for line in out.splitlines())),
    "completion": Case(lambda s: ["completion", "bash"],
                       lambda _, out: out.startswith("_slimgo_completion() {")
                       and "complete -o nosort -F _slimgo_completion slimgo" in out),
    "bench": Case(lambda s: ["bench", "-n", "1", "--variant", "strip", "--json", "./cmd/printer"],
                  one_document("slimgo.bench")),
    "report": Case(lambda s: ["report", f"oci:{s.root / 'layout'}:hello", "-o", str(s.root / "report.html")],
                   lines_match("wrote {root}/report.html")),
}


def test_every_verb_has_an_output_case() -> None:
    assert set(COMMANDS) <= set(CASES), f"add a case for {sorted(set(COMMANDS) - set(CASES))} to CASES"


@pytest.mark.parametrize("verb", sorted(CASES))
@pytest.mark.parametrize("quiet", [False, True], ids=["default", "quiet"])
def test_stdout_holds_only_results(workspace: Workspace, verb: str, quiet: bool) -> None:
    case = CASES[verb]
    if case.needs_root:
        require_root()
        require_tool("runc")
    argv = (["--quiet"] if quiet else []) + case.argv(workspace)
    result = workspace.slimgo(*argv, stdin=case.stdin)
    assert result.code == case.code, result.err
    assert case.results(workspace, result.out), f"stdout of slimgo {' '.join(argv)}:\n{result.out}"
    assert "\x1b[" not in result.out, "no terminal codes when stdout is not a terminal"
    if quiet:
        assert result.err == "", f"--quiet leaves only errors on stderr, got:\n{result.err}"


def test_quiet_still_reports_errors(workspace: Workspace) -> None:
    result = workspace.slimgo("--quiet", "inspect", f"oci:{workspace.root / 'missing'}")
    assert result.code == 2 and result.out == ""
    assert "error:" in result.err


def on_a_terminal(args: list[str], cwd: Path, env: dict[str, str], *, stream: str) -> tuple[int, str, str]:
    """Run slimgo with ``stream`` (stdout or stderr) on a pseudo-terminal; returns (code, the pipe, the terminal)."""
    master, slave = pty.openpty()
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
    with subprocess.Popen([sys.executable, "-m", "slimgo", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=pipes["stdout"], stderr=pipes["stderr"]) as proc:
        os.close(slave)
        seen = _read_terminal(master, proc)
        os.close(master)
        piped = proc.stdout if stream == "stderr" else proc.stderr
        assert piped is not None
        other = piped.read().decode()
        code = proc.wait(timeout=60)
    return code, other, seen.decode(errors="replace")


def _read_terminal(master: int, proc: subprocess.Popen[bytes]) -> bytearray:
    seen = bytearray()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    return seen


COLOUR = re.compile(r"\x1b\[([0-9;]*)m")


def coloured(text: str) -> bool:
    """Any SGR sequence that sets a foreground or background colour (bold alone is not colour)."""
    for params in COLOUR.findall(text):
        codes = [int(p) for p in params.split(";") if p]
        if any(30 <= c <= 49 or 90 <= c <= 107 for c in codes):
            return True
    return False


def terminal_env(workspace: Workspace, **extra: str) -> dict[str, str]:
    return {**workspace.env, "TERM": "xterm-256color", "COLUMNS": "120", "PYTHONPATH": str(SRC), **extra}


def test_progress_reaches_a_terminal_and_quiet_silences_it(workspace: Workspace) -> None:
    hello = workspace.root / "hello"
    args = ["build", ".", "-o", f"oci:{workspace.root / 'tty'}:hello"]
    code, out, terminal = on_a_terminal(args, hello, terminal_env(workspace), stream="stderr")
    assert code == 0, terminal
    assert re.fullmatch(r"oci:.*/tty:hello" + DIGEST + "\n", out)
    assert "building " in terminal and "built" in terminal
    code, out, terminal = on_a_terminal(["--quiet", *args], hello, terminal_env(workspace), stream="stderr")
    assert code == 0 and out.startswith("oci:")
    assert terminal == "", terminal
    code, out, terminal = on_a_terminal(args, hello, terminal_env(workspace, SLIMGO_QUIET="1"), stream="stderr")
    assert terminal == "", "SLIMGO_QUIET=1 is --quiet"


def test_no_color_turns_colour_off_on_a_terminal(workspace: Workspace) -> None:
    hello = workspace.root / "hello"
    code, _, terminal = on_a_terminal(["lint", "Dockerfile"], hello, terminal_env(workspace), stream="stdout")
    assert code == 1 and "SG101" in terminal
    assert coloured(terminal), "findings are coloured on a terminal"
    code, _, terminal = on_a_terminal(["lint", "Dockerfile"], hello, terminal_env(workspace, NO_COLOR="1"),
                                      stream="stdout")
    assert code == 1 and "SG101" in terminal
    assert not coloured(terminal), terminal

    args = ["build", ".", "-o", f"oci:{workspace.root / 'colour'}:hello"]
    _, _, terminal = on_a_terminal(args, hello, terminal_env(workspace), stream="stderr")
    assert coloured(terminal), "the build summary is coloured on a terminal"
    _, _, terminal = on_a_terminal(args, hello, terminal_env(workspace, NO_COLOR="1"), stream="stderr")
    assert "built" in terminal and not coloured(terminal), terminal
