"""ko's build templates (`{{.Env.X}}`, `{{.Git.Tag}}`, `{{.Date}}`...) expanded in flags, ldflags and env values."""

from __future__ import annotations

__all__ = ["expand", "template_data"]

import functools
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from slimgo.errors import UsageError

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_FIELD = re.compile(r"^-?\s*\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\s*-?$")


@functools.lru_cache(maxsize=8)
def _git_info(directory: Path) -> dict[str, str]:
    """One repository's git facts, asked once per run however many mains use them."""
    from slimgo.gobuild.vcs import git_info

    return git_info(directory)


def template_data(directory: Path, env: Mapping[str, str], epoch: int | None = None) -> dict[str, object]:
    """What ko gives a template: the environment (with the build's own env on top), git facts and the date
    (SOURCE_DATE_EPOCH when set, else now, as ko does)."""
    moment = epoch if epoch is not None else int(time.time())
    return {
        "Env": {"LDFLAGS": "", **os.environ, **env},
        "Git": dict(_git_info(directory)),
        "Date": datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Timestamp": str(moment),
    }


def expand(text: str, data: Mapping[str, object], where: str) -> str:
    """``text`` with every {{.Field}} / {{.Map.Key}} replaced; anything else in {{ }} is refused by name."""
    def one(match: re.Match[str]) -> str:
        action = match.group(1)
        field = _FIELD.match(action.strip())
        if field is None:
            raise UsageError(where, f"uses the template {match.group(0)!r}, which slimgo does not support",
                             "use plain fields: {{.Env.NAME}}, {{.Git.Tag}}, {{.Git.ShortCommit}}, "
                             "{{.Git.FullCommit}}, {{.Date}}, {{.Timestamp}}")
        name, key = field.group(1), field.group(2)
        value = data.get(name)
        if key is not None:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is None:
            raise UsageError(where, f"uses {match.group(0)!r}, which has no value",
                             "set the environment variable, or use a field ko defines (Env, Git, Date, Timestamp)")
        return str(value)

    return _ACTION.sub(one, text)
