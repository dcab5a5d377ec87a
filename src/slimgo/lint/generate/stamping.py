"""The `-X` version stamping a project already does (goreleaser config or Makefile), as build ARGs for a Dockerfile."""

from __future__ import annotations

__all__ = ["version_stamping"]

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from slimgo.lint.dockerfile.hidden import MAX_FILE, parse_makefile, read_text
from slimgo.lint.secretnames import secret_name

MAX_STAMPS = 10
_SYMBOL = re.compile(r"^[A-Za-z0-9_./-]+\.[A-Za-z_][A-Za-z0-9_]*$")
_LITERAL = re.compile(r"^[A-Za-z0-9_.+:@-]{1,64}$")
_X_FLAG = re.compile(r"-X[= ]+['\"]?([^'\"\s=]+)=('[^']*'|\"[^\"]*\"|[^'\"\s]*)")
_MAKE_REF = re.compile(r"^\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]$")
_GORELEASER = {  # goreleaser template fields -> (ARG, default)
    "Version": ("VERSION", "dev"), "RawVersion": ("VERSION", "dev"), "Tag": ("VERSION", "dev"),
    "Commit": ("COMMIT", "unknown"), "FullCommit": ("COMMIT", "unknown"), "ShortCommit": ("COMMIT", "unknown"),
    "Date": ("BUILD_DATE", "unknown"), "CommitDate": ("BUILD_DATE", "unknown"),
    "Timestamp": ("BUILD_DATE", "unknown"), "CommitTimestamp": ("BUILD_DATE", "unknown"),
}
_TEMPLATE = re.compile(r"^\{\{\s*\.(?:Env\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


@dataclass(frozen=True)
class Stamp:
    """One `-X symbol=value`: a literal value, or a build ARG (with its default) the value comes from."""

    symbol: str
    value: str  # what goes into -ldflags: a literal, or ${ARG}
    arg: str | None
    default: str | None


@dataclass(frozen=True)
class Stamping:
    stamps: tuple[Stamp, ...]
    source: str  # the file they were read from


def _arg_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).upper().strip("_") or "VALUE"
    return name if not name[0].isdigit() else f"V_{name}"


def _stamp(symbol: str, value: str, literals: dict[str, str]) -> Stamp | None:
    value = value.strip("'\"")
    if not _SYMBOL.match(symbol):
        return None  # a symbol built from variables, or not a Go package.name
    if _LITERAL.match(value):
        return Stamp(symbol, value, None, None)
    template = _TEMPLATE.match(value)
    if template is not None and template.group(1) in _GORELEASER:
        arg, default = _GORELEASER[template.group(1)]
    else:
        ref = _MAKE_REF.match(value)
        arg = _arg_name(ref.group(1) if ref else template.group(1) if template else symbol.rsplit(".")[-1])
        default = "dev" if "VERSION" in arg else "unknown"
        known = literals.get(ref.group(1)) if ref else None
        if known is not None and _LITERAL.match(known):
            default = known  # the Makefile's own fixed value
    return Stamp(symbol, f"${{{arg}}}", arg, default)


def _from_ldflags(texts: list[str], variables: dict[str, str]) -> list[Stamp]:
    stamps: dict[str, Stamp] = {}
    for text in texts:
        text = re.sub(r"\{\{\s*(.*?)\s*\}\}", r"{{\1}}", text)  # `{{ .Version }}` reads as one word
        for symbol, value in _X_FLAG.findall(text):
            symbol = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]",
                            lambda m: variables.get(m.group(1), m.group(0)), symbol)
            stamp = _stamp(symbol, value, variables)
            if stamp is not None and stamp.arg is not None and secret_name(stamp.arg):
                continue  # a secret has no place in a binary, nor in a build ARG
            if stamp is not None and len(stamps) < MAX_STAMPS:
                stamps.setdefault(stamp.symbol, stamp)
    return list(stamps.values())


def _goreleaser(root: Path) -> Stamping | None:
    for name in (".goreleaser.yaml", ".goreleaser.yml", "goreleaser.yaml", "goreleaser.yml"):
        text = read_text(root, name)
        if text is None:
            continue
        try:
            data = yaml.safe_load(text[:MAX_FILE])
        except yaml.YAMLError:
            return None
        builds = data.get("builds") if isinstance(data, dict) else None
        texts: list[str] = []
        for build in builds if isinstance(builds, list) else []:
            flags = build.get("ldflags") if isinstance(build, dict) else None
            texts += [flags] if isinstance(flags, str) else [f for f in flags or [] if isinstance(f, str)]
        stamps = _from_ldflags(texts, {})
        return Stamping(tuple(stamps), name) if stamps else None
    return None


def _makefile(root: Path) -> Stamping | None:
    for name in ("Makefile", "makefile", "GNUmakefile"):
        text = read_text(root, name)
        if text is None:
            continue
        mk = parse_makefile(text)
        recipes = [line for _prereqs, lines in mk.rules.values() for line in lines if "go build" in line
                   or "go install" in line or "-ldflags" in line]
        literal_vars = {k: v for k, v in mk.variables.items() if "$" not in v}
        stamps = _from_ldflags([*mk.variables.values(), *recipes], literal_vars)
        return Stamping(tuple(stamps), name) if stamps else None
    return None


def version_stamping(root: Path) -> Stamping | None:
    """The -X flags of the project's release config, else of its Makefile; None when it stamps nothing."""
    return _goreleaser(root) or _makefile(root)
