"""Rules against secrets in images: secret-named ARG/ENV, credential files copied, credentials written by RUN."""

from __future__ import annotations

__all__ = ["CHECKS"]

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts
from slimgo.lint.dockerfile.hidden import read_text
from slimgo.lint.dockerfile.parse import Instruction
from slimgo.lint.envfile import MAX_READ as ENV_MAX_READ
from slimgo.lint.envfile import EnvVerdict, judge_env
from slimgo.lint.findings import Finding, Severity
from slimgo.lint.secretnames import secret_name


def secret_args_env(f: Facts) -> Iterator[Finding]:
    seen: set[tuple[int, str]] = set()
    for stage in f.df.stages:
        for ins in stage.instructions:
            # an ONBUILD ARG/ENV lands in every image built FROM this one
            cmd = ins.sub_cmd if ins.cmd == "ONBUILD" else ins.cmd
            onbuild = "ONBUILD " if ins.cmd == "ONBUILD" else ""
            names: list[str] = []
            if cmd == "ARG":
                names = [a.partition("=")[0] for a in ins.args]
            elif cmd == "ENV":
                names = list(ins.args[0::2])
            for name in names:
                if not secret_name(name) or (ins.line, name) in seen:
                    continue
                seen.add((ins.line, name))
                if cmd == "ARG":
                    yield RULES["SG130"].finding(
                        f.path, ins.line, f"{onbuild}ARG {name} looks like a secret: build args are recorded in "
                        "the image history and the build cache", fix=f"RUN --mount=type=secret,id={name.lower()},"
                        f"env={name} ... and drop the ARG",
                    )
                else:
                    yield RULES["SG131"].finding(
                        f.path, ins.line, f"{onbuild}ENV {name} looks like a secret: ENV values are stored in the "
                        "image config for anyone who pulls it", fix=f"RUN --mount=type=secret,id={name.lower()},"
                        f"env={name} ... and drop the ENV",
                    )
    for name, line in f.df.global_arg_lines.items():
        if secret_name(name):
            yield RULES["SG130"].finding(
                f.path, line, f"ARG {name} looks like a secret: build args are recorded in the image history",
                fix=f"RUN --mount=type=secret,id={name.lower()},env={name} ... and drop the ARG",
            )


_CREDENTIAL_FILES = re.compile(
    r"^(\.netrc|_netrc|\.git-credentials|\.env|\.env\..+|\.ssh|id_(rsa|dsa|ecdsa|ed25519)(_sk)?|id_[a-z0-9_]+|"
    r"\.npmrc|\.pypirc|\.pgpass|credentials|\.dockercfg)$"
)


# templates that document which variables exist, by convention without values: `COPY .env.example .` is fine
_ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")


def _credential_source(src: str) -> bool:
    parts = PurePosixPath(src.rstrip("/")).parts
    if ".ssh" in parts:
        return True
    name = parts[-1] if parts else ""
    if name.startswith(".env.") and name.endswith(_ENV_TEMPLATES):
        return False
    return not name.endswith(".pub") and bool(_CREDENTIAL_FILES.match(name))


def credential_copies(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for ins in stage.instructions:
            cmd = ins.sub_cmd if ins.cmd == "ONBUILD" else ins.cmd
            if cmd not in {"COPY", "ADD"}:
                continue
            sources = [a for a in ins.args[:-1] if not a.startswith("--")]  # ONBUILD keeps flags in args
            for src in sources:
                if not _credential_source(src):
                    continue
                shown = f"{ins.cmd if cmd == ins.cmd else 'ONBUILD ' + cmd} {src}"
                verdict = _env_verdict(f, src)
                if verdict is not None and not verdict.secrets:
                    # a .env the build context holds, read: settings only, so a warning (it may gain secrets)
                    yield replace(RULES["SG132"].finding(
                        f.path, ins.line, f"{shown} copies a .env file into a layer; it holds no credential now "
                        f"({verdict.settings} settings), but .env files are where secrets get added later",
                    ), severity=Severity.WARNING)
                    continue
                held = f" (it holds {', '.join(verdict.secrets[:5])})" if verdict is not None else ""
                yield RULES["SG132"].finding(
                    f.path, ins.line, f"{shown} puts a credential into a layer{held}, where it stays even if a "
                    "later step deletes it",
                )


def _env_verdict(f: Facts, src: str) -> EnvVerdict | None:
    """The content verdict for a .env source the build context holds; None for other files or unreadable ones."""
    name = PurePosixPath(src.rstrip("/")).name
    if f.context is None or not (name == ".env" or name.startswith(".env.")) or any(c in src for c in "*?[$"):
        return None
    text = read_text(f.context, src.lstrip("/"))
    return None if text is None else judge_env(text[:ENV_MAX_READ])


_WRITES = [
    # known_hosts, config and authorized_keys under .ssh/ hold no secret (ssh-keyscan >> known_hosts is routine)
    re.compile(r"(>>?|\btee\b(\s+-a)?)\s*[\"']?[^\s;&|]*(\.netrc|\.git-credentials|"
               r"\.ssh/(?!(known_hosts|config|authorized_keys)([\"'\s;&|)]|$))|\.npmrc|\.pypirc|"
               r"\.docker/config\.json)"),
    re.compile(r"\b(cp|mv|install)\b[^;&|\n]*\s[\"']?[^\s;&|]*(\.netrc|\.git-credentials|\.ssh/id_)[^\s;&|]*\s*$",
               re.M),
    re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/@'\"]*(:[^\s/@'\"]+|\$\{?[A-Za-z_]\w*\}?)[^\s/@'\"]*@"),
    re.compile(r"\bmachine\s+\S+\s+login\s+\S+\s+password\s"),
    re.compile(r"\bgit\s+config\b[^;&|\n]*credential\.helper\s+[\"']?store"),
]  # fmt: skip


def _writes_credentials(ins: Instruction) -> bool:
    script = ins.script.replace("\\\n", " ")
    return any(p.search(script) for p in _WRITES)


def credentials_in_run(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for ins in stage.instructions:
            if ins.cmd == "RUN" and _writes_credentials(ins):
                yield RULES["SG133"].finding(
                    f.path, ins.line, "this RUN writes credentials (a netrc, git credentials, an SSH key or a "
                    "token in a URL) into the filesystem, and so into a layer or the build cache",
                )


CHECKS = [secret_args_env, credential_copies, credentials_in_run]
