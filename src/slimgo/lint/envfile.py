"""Whether a .env file holds secrets, judged by its content as secret scanners do: key names, values, entropy."""

from __future__ import annotations

__all__ = ["MAX_READ", "EnvVerdict", "judge_env"]

import math
import re
from collections import Counter
from dataclasses import dataclass

from slimgo.lint.secretnames import secret_name

MAX_READ = 256 * 1024  # a .env file is small; what lies beyond this is not judged

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")
# token formats with a fixed prefix: a match is a credential whatever the key is called
_TOKENS = re.compile(
    r"^(AKIA|ASIA)[A-Z0-9]{16}$|^gh[pousr]_[A-Za-z0-9]{30,}$|^github_pat_[A-Za-z0-9_]{40,}$|^glpat-[A-Za-z0-9_-]{20}$"
    r"|^xox[abposr]-[A-Za-z0-9-]{10,}$|^(sk|rk)_(live|test)_[A-Za-z0-9]{16,}$|^sk-[A-Za-z0-9_-]{20,}$"
    r"|^AIza[A-Za-z0-9_-]{35}$|^npm_[A-Za-z0-9]{36}$|^SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}$"
    r"|^eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+$"
)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@", re.I)
_PLACEHOLDERS = frozenset({
    "changeme", "change_me", "change-me", "changeit", "xxx", "todo", "tbd", "none", "null", "nil", "secret",
    "password", "example", "placeholder", "dummy", "fake", "test", "sample", "empty", "redacted", "unset",
})  # fmt: skip
_PLACEHOLDER_SHAPES = re.compile(r"^(<.*>|\$\{?[A-Za-z_].*|x+|\*+|\.+|-+|(your|replace|insert|change|put|enter|add)"
                                 r"[-_ ].*|.*[-_ ](here|me))$", re.I)
_RANDOM_CHARS = re.compile(r"^[A-Za-z0-9+/=_-]+$")
_HEX = re.compile(r"^(sha256:|sha512:)?[0-9a-fA-F]+$")


@dataclass(frozen=True)
class EnvVerdict:
    """The names of the variables that look like secrets (never their values) and how many settings were read."""

    secrets: tuple[str, ...]
    settings: int


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()  # an unquoted value ends at a comment


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_looking(value: str) -> bool:
    """A long base64-like value of high entropy: a generated key or token (digests and plain words are not)."""
    if len(value) < 20 or not _RANDOM_CHARS.match(value) or _HEX.match(value):
        return False
    if not (re.search(r"[A-Za-z]", value) and re.search(r"[0-9]", value)):
        return False
    return _entropy(value) >= 0.85 * math.log2(min(len(value), 64))


def placeholder(value: str) -> bool:
    """An empty value, a reference to another variable, or the usual "fill me in" text."""
    v = value.strip()
    return not v or v.lower() in _PLACEHOLDERS or _PLACEHOLDER_SHAPES.match(v) is not None


def secret_value(key: str, value: str) -> bool:
    """Whether ``key=value`` holds a credential: a token format, a URL password, a secret name or random text."""
    if placeholder(value) or value.lower() in {"true", "false", "yes", "no", "on", "off"} or value.isdigit():
        return False
    if "PRIVATE KEY" in value or _TOKENS.match(value):
        return True
    url = _URL_PASSWORD.match(value)
    if url is not None:
        return not placeholder(url.group(1))
    return secret_name(key) or _random_looking(value)


def judge_env(text: str) -> EnvVerdict:
    """Read ``KEY=value`` lines (``export``, quotes and comments as dotenv and Compose read them)."""
    secrets: list[str] = []
    settings = 0
    for line in text.splitlines():
        m = _LINE.match(line)
        if m is None or line.lstrip().startswith("#"):
            continue
        settings += 1
        if secret_value(m.group(1), _unquote(m.group(2))):
            secrets.append(m.group(1))
    if "PRIVATE KEY-----" in text and not secrets:
        secrets.append("(a private key)")  # a multi-line quoted value
    return EnvVerdict(tuple(dict.fromkeys(secrets)), settings)
