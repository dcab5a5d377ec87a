"""Advisories to ignore: `--ignore ID[=REASON]` flags and the `vuln.ignore` list of a `.slimgo.yaml`."""

from __future__ import annotations

__all__ = ["find_settings", "from_flags", "from_settings"]

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from slimgo.errors import UsageError
from slimgo.gobuild.modroot import SETTINGS_FILE, find_in_module

_ID = re.compile(r"^(GO-\d{4}-\d{4,}|CVE-\d{4}-\d{4,}|GHSA(-[0-9a-z]{4}){3})$")
_MAX_SETTINGS_BYTES = 1 << 20
EXAMPLE = "vuln:\n    ignore:\n      - id: GO-2022-1059\n        reason: we never parse Accept-Language"


def _check(ident: str, where: str) -> str:
    if not _ID.match(ident):
        raise UsageError(where, f"{ident!r} is not an advisory id",
                         "give a GO-YYYY-NNNN id (or a CVE-/GHSA- alias), e.g. --ignore GO-2022-1059='not reachable'")
    return ident


def from_flags(values: Iterable[str]) -> dict[str, str]:
    ignores: dict[str, str] = {}
    for value in values:
        ident, _, reason = value.partition("=")
        ignores[_check(ident.strip(), "--ignore")] = reason.strip()
    return ignores


def find_settings(start: Path) -> Path | None:
    """The nearest .slimgo.yaml from ``start`` up to the directory holding go.mod (as `slimgo build` finds it)."""
    return find_in_module(start, SETTINGS_FILE)


def _entries(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, list):
        raise UsageError(where, "vuln.ignore is not a list", f"write it as\n    {EXAMPLE}")
    ignores: dict[str, str] = {}
    for item in raw:
        if isinstance(item, str):
            ignores[_check(item, where)] = ""
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            ignores[_check(item["id"], where)] = str(item.get("reason") or "")
        else:
            raise UsageError(where, f"vuln.ignore has an entry that is not an id: {item!r}",
                             f"write it as\n    {EXAMPLE}")
    return ignores


def from_settings(path: Path) -> dict[str, str]:
    """The `vuln.ignore` entries of a settings file (strings, or {id, reason} mappings)."""
    import yaml

    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_SETTINGS_BYTES + 1)
        if len(raw) > _MAX_SETTINGS_BYTES:
            raise UsageError(str(path), f"is larger than {_MAX_SETTINGS_BYTES} bytes", "keep settings files small")
        data = yaml.safe_load(raw) or {}
    except OSError as err:
        raise UsageError(str(path), f"cannot be read: {err.strerror}", "check the file's permissions") from None
    except yaml.YAMLError:
        raise UsageError(str(path), "is not valid YAML", f"fix the syntax; ignores are written\n    {EXAMPLE}") \
            from None
    if not isinstance(data, dict):
        raise UsageError(str(path), "is not a mapping", f"ignores are written\n    {EXAMPLE}")
    section = data.get("vuln") or {}
    if not isinstance(section, dict):
        raise UsageError(str(path), "vuln is not a mapping", f"write it as\n    {EXAMPLE}")
    return _entries(section.get("ignore") or [], str(path))
