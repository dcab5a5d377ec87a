"""Rules on the shipped stage: numeric non-root USER, exec-form start, nothing extra installed or copied."""

from __future__ import annotations

__all__ = ["CHECKS"]

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts, installed_packages
from slimgo.lint.dockerfile.images import default_user, parse_ref
from slimgo.lint.dockerfile.parse import Instruction, expand
from slimgo.lint.findings import Finding, Severity


def final_user(f: Facts) -> Iterator[Finding]:
    final = f.df.final
    users = [ins for ins in final.all_instructions() if ins.cmd == "USER"]
    if not users:
        inherited = default_user(final.root.image)
        if inherited is not None:
            # the base already runs as a numeric non-root user: worth stating, not worth a warning
            yield replace(RULES["SG140"].finding(
                f.path, final.line, f"the final stage sets no USER and relies on {final.root.image} running as "
                f"{inherited}: a change of base could silently make it root",
                fix=f"state it: USER {inherited}:{inherited}",
            ), severity=Severity.INFO)
            return
        yield RULES["SG140"].finding(
            f.path, final.line, "the final stage sets no USER: the image runs as whatever its base says "
            "(root for scratch), and Kubernetes cannot verify runAsNonRoot",
        )
        return
    last = users[-1]
    spec = expand(last.args[0], last.env)
    user = spec.split(":", 1)[0]
    if "$" in user:
        return  # decided at build time
    if user in {"root", "0"}:
        yield RULES["SG141"].finding(f.path, last.line, f"USER {spec}: the container runs as root")
    elif not user.isdigit():
        yield RULES["SG142"].finding(
            f.path, last.line, f"USER {spec} is a name: Kubernetes can only check runAsNonRoot against a numeric "
            "UID",
            fix="use the numeric UID:GID, e.g. USER 65532:65532 for distroless nonroot",
        )


def _ships_a_shell(f: Facts) -> bool:
    for ins in f.df.final.all_instructions():
        if ins.cmd in {"COPY", "ADD"}:
            names = {PurePosixPath(a).name for a in ins.args}
            if names & {"sh", "bash", "busybox", "ash", "dash"} or "busybox" in "".join(ins.flag("from")):
                return True
    return False


def exec_form(f: Facts) -> Iterator[Finding]:
    starts: dict[str, Instruction] = {}
    for ins in f.df.final.all_instructions():
        if ins.cmd in {"ENTRYPOINT", "CMD"}:
            starts[ins.cmd] = ins
    shellless = f.final_base.has_shell is False and not _ships_a_shell(f)
    entrypoint = starts.get("ENTRYPOINT")
    for ins in sorted(starts.values(), key=lambda i: i.line):
        if ins.json:
            continue
        if ins.cmd == "CMD" and entrypoint is not None and entrypoint.json:
            # CMD only supplies arguments here: no shell runs, the entrypoint gets "/bin/sh -c ..." as argv
            shown = " ".join(ins.original.split()[1:])
            yield RULES["SG150"].finding(
                f.path, ins.line, f"shell-form CMD after an exec-form ENTRYPOINT: "
                f"{' '.join(entrypoint.args) or 'the entrypoint'} receives the arguments "
                f"[\"/bin/sh\", \"-c\", \"{shown}\"], not {shown}",
                fix=f"write the arguments in exec form: CMD {_json_words(shown)}",
            )
            continue
        if shellless:
            yield RULES["SG151"].finding(
                f.path, ins.line, f"{ins.cmd} in shell form runs /bin/sh -c, and {f.df.final.root.image} has no "
                "shell: the container cannot start",
            )
        else:
            yield RULES["SG150"].finding(
                f.path, ins.line, f"{ins.cmd} in shell form wraps the process in /bin/sh -c: it runs as a child "
                "of the shell and does not receive SIGTERM",
            )


def _json_words(text: str) -> str:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return json.dumps(words)


_URL = re.compile(r"^(https?|ftp)://|^git@|\.git(#.*)?$", re.I)


def remote_add(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for ins in stage.instructions:
            if ins.cmd != "ADD" or ins.flag("checksum"):
                continue
            for src in ins.args[:-1]:
                if _URL.search(src):
                    yield RULES["SG160"].finding(
                        f.path, ins.line, f"ADD {src} downloads without verifying what it got",
                    )


# what each tool is, so a finding can say what it adds; debugging tools are rarely run by the program itself
_DEBUG_TOOLS: dict[str, str] = {
    "strace": "a system-call tracer", "ltrace": "a library-call tracer", "gdb": "a debugger", "dlv": "a debugger",
    "delve": "a debugger", "tcpdump": "a packet capture tool", "nmap": "a network scanner",
    "netcat": "a raw network client", "netcat-openbsd": "a raw network client",
    "netcat-traditional": "a raw network client", "nc": "a raw network client", "ncat": "a raw network client",
    "socat": "a raw network relay", "telnet": "a raw network client", "vim": "an editor",
}
# tools a program may well run itself (a `ps` for a process monitor, `curl` in a health check)
_RUNTIME_TOOLS: dict[str, str] = {
    "procps": "process tools (ps, top, kill)", "curl": "an HTTP client with its TLS and protocol libraries",
    "wget": "an HTTP client", "bash": "a shell", "busybox": "a shell and hundreds of Unix tools",
    "iputils-ping": "ping",
}
_TOOLS = {**_DEBUG_TOOLS, **_RUNTIME_TOOLS}


def _tool_finding(f: Facts, line: int, verb: str, tools: list[str]) -> Finding:
    """SG164, worded as what the tools cost; info when every one is something a program commonly runs."""
    shown = "; ".join(f"{t} ({_TOOLS[t]})" for t in tools)
    finding = RULES["SG164"].finding(
        f.path, line, f"{verb} {shown} into the final stage: more to download, scan and patch, and more at hand "
        "for whoever gets to run code in the container; keep only what the program itself runs",
        fix="if the program runs it, keep it and add `# slimgo-ignore: SG164`; otherwise move it to a separate "
        ":debug target",
    )
    return replace(finding, severity=Severity.INFO) if all(t in _RUNTIME_TOOLS for t in tools) else finding


def _command_verb(words: tuple[str, ...]) -> str:
    """`apk add` for `apk --no-cache add ...`: the program and its first non-option word."""
    verb = next((w for w in words[1:] if not w.startswith("-")), "")
    return f"{words[0]} {verb}".strip()


def final_stage_contents(f: Facts) -> Iterator[Finding]:
    final = f.df.final
    for run in f.runs[final.index]:
        pkgs = installed_packages(run.cmd)
        if pkgs is None:
            continue
        yield RULES["SG161"].finding(
            f.path, run.ins.line, f"`{_command_verb(run.cmd.words)}` in the final stage ships a package manager's "
            "work (and usually the package manager) in the image",
        )
        tools = sorted(set(pkgs) & _TOOLS.keys())
        if tools and not f.final_is_debug:
            yield _tool_finding(f, run.ins.line, "installs", tools)
    for ins in final.instructions:
        if ins.cmd not in {"COPY", "ADD"}:
            continue
        sources = ins.args[:-1]
        froms = ins.flag("from")
        if froms and any(s.rstrip("/.") == "" for s in sources):
            yield RULES["SG162"].finding(
                f.path, ins.line, f"COPY --from={froms[-1]} / copies a whole filesystem, toolchain and all",
            )
        if f.final_is_debug:
            continue
        names = {PurePosixPath(s).name for s in sources}
        from_image = parse_ref(froms[-1]).name if froms and not f.is_stage_ref(froms[-1]) else ""
        tools = sorted((names | {from_image}) & _TOOLS.keys())
        if tools:
            yield _tool_finding(f, ins.line, "copies", tools)


CHECKS = [final_user, exec_form, remote_add, final_stage_contents]
