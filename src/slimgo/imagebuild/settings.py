"""`.slimgo.yaml` at the module root: defaults for every build flag, plus per-main overrides; flags win."""

from __future__ import annotations

__all__ = ["find_settings", "load_settings"]

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slimgo.errors import UsageError
from slimgo.gobuild.modroot import SETTINGS_FILE, find_in_module
from slimgo.gobuild.toolchain import GoPackage


@dataclass(frozen=True)
class Settings:
    path: Path | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    mains: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def for_package(self, package: GoPackage) -> dict[str, Any]:
        return self.for_main(package.binary_name)

    def for_main(self, name: str) -> dict[str, Any]:
        """The settings for one main package, with relative paths made relative to the settings file."""
        merged = {**self.defaults, **self.mains.get(name, {})}
        if self.path is None:
            return merged
        base = self.path.parent
        if "file" in merged:
            merged["file"] = [_anchor_file(str(item), base) for item in _as_list(merged["file"])]
        if "output" in merged:
            merged["output"] = [_anchor_output(str(item), base) for item in _as_list(merged["output"])]
        return merged


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _anchor_file(spec: str, base: Path) -> str:
    """`SRC:DEST[:MODE]` with a relative SRC taken from the settings file's directory."""
    source, sep, rest = spec.partition(":")
    if not sep or Path(source).is_absolute():
        return spec
    return f"{base / source}:{rest}"


def _anchor_output(spec: str, base: Path) -> str:
    """`oci:DIR[:TAG]` and the archive transports with a relative path taken from the settings file's directory."""
    transport, sep, rest = spec.partition(":")
    if not sep or transport not in ("oci", "oci-archive", "docker-archive") or rest.startswith("/"):
        return spec
    return f"{transport}:{base / rest}"


def _normalise(data: dict[str, Any], where: str, known: set[str]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name not in known:
            raise UsageError(where, f"has an unknown setting {key!r}",
                             f"settings are build flag names: {', '.join(sorted(k.replace('_', '-') for k in known))}")
        out[name] = value
    return out


def find_settings(start: Path) -> Path | None:
    """The nearest .slimgo.yaml from ``start`` up to the directory holding go.mod (the module root)."""
    return find_in_module(start, SETTINGS_FILE)


def load_settings(path: Path | None, known: set[str]) -> Settings:
    if path is None:
        return Settings()
    import yaml  # only when there is a file to read: most builds have none

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as err:
        raise UsageError(str(path), f"cannot be read: {err.strerror}", "check the file's permissions") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(str(path), f"is not valid YAML{line}", "fix the syntax (it is a mapping of flag: value)") \
            from None
    if not isinstance(data, dict):
        raise UsageError(str(path), "is not a mapping of flag names to values", "e.g.  platform: linux/amd64")
    mains_raw = data.pop("mains", {}) or {}
    if not isinstance(mains_raw, dict):
        raise UsageError(str(path), "'mains' is not a mapping of main package names to settings",
                         "e.g.  mains: {server: {port: [8080]}}")
    mains = {}
    for name, values in mains_raw.items():
        if not isinstance(values, dict):
            raise UsageError(str(path), f"mains.{name} is not a mapping", "give flag: value pairs under it")
        mains[str(name)] = _normalise(values, f"{path} (mains.{name})", known)
    return Settings(path, _normalise(data, str(path), known), mains)
