"""Variable names that say they hold a secret (API_TOKEN, DB_PASSWORD), shared by the Dockerfile and .env checks."""

from __future__ import annotations

__all__ = ["secret_name"]

import re

# BuildKit's SecretsUsedInArgOrEnv word list, plus a few common spellings; a name is split on "_" and "-"
_SECRET_WORDS = frozenset(
    {"apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "pass", "secret",
     "token", "pat", "privatekey"}
)  # fmt: skip
# words that make the name describe where a secret lives, or something public, rather than the secret itself
_HARMLESS_WORDS = frozenset({"public", "file", "path", "dir", "sock", "url", "endpoint", "host", "id", "type"})


def secret_name(name: str) -> bool:
    words = {w.lower() for w in re.split(r"[_\-.]", name) if w}
    return bool(words & _SECRET_WORDS) and not words & _HARMLESS_WORDS
