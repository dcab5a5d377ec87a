"""A ko project's `.ko.yaml` read as slimgo settings: base images, platforms, go build env/flags/ldflags per main,
with ko's templates, and every key slimgo does not carry over named in a warning."""

from __future__ import annotations

__all__ = [
    "KODATA_DEST",
    "KoSettings",
    "find_ko_settings",
    "kodata",
    "kodata_entries",
    "load_ko_settings",
    "repository",
]

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slimgo.errors import UsageError
from slimgo.gobuild.modroot import find_in_module
from slimgo.gobuild.toolchain import GoPackage
from slimgo.imagebuild.templates import expand, template_data
from slimgo.layer import Entry

FILE_NAME = ".ko.yaml"
KODATA_DEST = "/var/run/ko"  # where ko puts kodata/, and what KO_DATA_PATH names
_TOP = {"defaultBaseImage", "baseImageOverrides", "defaultPlatforms", "defaultEnv", "defaultFlags",
        "defaultLdflags", "builds"}
_BUILD = {"id", "dir", "main", "env", "flags", "ldflags"}


@dataclass(frozen=True)
class KoBuild:
    id: str
    directory: Path  # the main package's directory (dir/main), resolved
    env: tuple[str, ...] | None
    flags: tuple[str, ...] | None
    ldflags: tuple[str, ...] | None


@dataclass(frozen=True)
class KoSettings:
    """A parsed .ko.yaml; ``for_package`` gives the slimgo settings of one main package."""

    path: Path
    base: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()
    builds: tuple[KoBuild, ...] = ()
    warnings: tuple[str, ...] = ()
    epoch: int | None = None

    def for_package(self, package: GoPackage) -> dict[str, Any]:
        build = next((b for b in self.builds if b.directory == package.dir.resolve()), None)
        env = build.env if build and build.env is not None else self.env
        flags = build.flags if build and build.flags is not None else self.flags
        ldflags = build.ldflags if build and build.ldflags is not None else self.ldflags
        where = f"{self.path} ({'builds ' + build.id if build else 'defaults'})"
        pairs = dict(_pair(e, where) for e in env)
        # git is asked only when a template is used (ko's {{.Git.*}} come from the project's repository)
        data = template_data(self.path.parent, pairs, self.epoch) if any(
            "{{" in item for item in (*env, *flags, *ldflags)) else {}
        values: dict[str, Any] = {}
        base = self.overrides.get(package.import_path, self.base)
        if base:
            values["base"] = base
        if self.platforms:
            values["platform"] = ",".join(self.platforms)
        if ldflags:
            values["ldflags"] = " ".join(expand(item, data, where) for item in ldflags)
        if env:
            values["go_env"] = tuple(expand(item, data, where) for item in env)
        if flags:
            values["go_flags"] = tuple(expand(item, data, where) for item in flags)
        return values


def _pair(entry: str, where: str) -> tuple[str, str]:
    key, sep, value = entry.partition("=")
    if not sep or not key:
        raise UsageError(where, f"env entry {entry!r} is not KEY=VALUE", "write it as NAME=value")
    return key, value


def _strings(value: Any, where: str, split: bool = False) -> tuple[str, ...]:
    """ko's StringArray / FlagArray: a list, or one string (split on spaces for flags)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split()) if split else (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise UsageError(where, "is not a string or a list of strings", "e.g.  defaultFlags: [-tags=netgo]")


def base_spec(reference: str, where: str) -> str:
    """ko names base images as registry references; slimgo's --base takes transports."""
    if not reference or any(c.isspace() for c in reference):
        raise UsageError(where, f"base image {reference!r} is not an image reference",
                         "e.g.  defaultBaseImage: gcr.io/distroless/static:nonroot")
    if reference.startswith(("docker://", "oci:", "oci-archive:", "docker-archive:")):
        return reference
    return f"docker://{reference}"


def _build(item: Any, index: int, root: Path, path: Path, warnings: list[str]) -> KoBuild:
    where = f"{path} (builds[{index}])"
    if not isinstance(item, dict):
        raise UsageError(where, "is not a mapping", "give id, dir, main, env, flags and ldflags under it")
    for key in sorted(set(map(str, item)) - _BUILD):
        warnings.append(f"{where}: {key!r} is not supported by slimgo and is ignored")
    directory = (root / str(item.get("dir") or ".") / str(item.get("main") or ".")).resolve()
    if directory.suffix == ".go":
        directory = directory.parent
    if not directory.is_relative_to(root.resolve()):
        raise UsageError(where, f"points outside the project ({directory})", "keep dir and main inside it")
    return KoBuild(
        id=str(item.get("id") or index),
        directory=directory,
        env=_strings(item["env"], f"{where} env") if "env" in item else None,
        flags=_strings(item["flags"], f"{where} flags", split=True) if "flags" in item else None,
        ldflags=_strings(item["ldflags"], f"{where} ldflags") if "ldflags" in item else None,
    )


def find_ko_settings(start: Path) -> Path | None:
    """The .ko.yaml ko would read: KO_CONFIG_PATH (a file or a directory), else the one at the module root."""
    override = os.environ.get("KO_CONFIG_PATH")
    if override:
        candidate = Path(override)
        return candidate / FILE_NAME if candidate.is_dir() else candidate
    return find_in_module(start, FILE_NAME)


def load_ko_settings(path: Path, epoch: int | None = None) -> KoSettings:
    import yaml  # only when there is a file to read: most builds have none

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as err:
        raise UsageError(str(path), f"cannot be read: {err.strerror}", "check the file's permissions") from None
    except yaml.YAMLError:
        raise UsageError(str(path), "is not valid YAML", "fix its syntax") from None
    if not isinstance(data, dict):
        raise UsageError(str(path), "is not a mapping", "e.g.  defaultBaseImage: gcr.io/distroless/static")
    warnings = [f"{path}: {key!r} is not supported by slimgo and is ignored" for key in sorted(set(map(str, data))
                                                                                              - _TOP)]
    platforms = _strings(data.get("defaultPlatforms"), f"{path} defaultPlatforms")
    if "all" in platforms:
        warnings.append(f"{path}: defaultPlatforms 'all' (every platform of the base) is not supported; "
                        "the host's platform is built (pass --platform)")
        platforms = ()
    overrides = data.get("baseImageOverrides") or {}
    if not isinstance(overrides, dict):
        raise UsageError(f"{path} baseImageOverrides", "is not a mapping of import path to image",
                         "e.g.  baseImageOverrides: {example.com/cmd/app: gcr.io/distroless/base}")
    builds = data.get("builds") or []
    if not isinstance(builds, list):
        raise UsageError(f"{path} builds", "is not a list", "give one mapping per main package")
    root = path.parent
    parsed = tuple(_build(item, i, root, path, warnings) for i, item in enumerate(builds))
    envs = [("defaultEnv", _strings(data.get("defaultEnv"), f"{path} defaultEnv"))]
    envs += [(f"builds {b.id} env", b.env or ()) for b in parsed]
    for where, entries in envs:
        if any(e.startswith("CGO_ENABLED=") for e in entries):
            warnings.append(f"{path}: CGO_ENABLED in {where} is not used: slimgo builds with CGO_ENABLED=0 unless "
                            "--cgo (which also needs a --base with a C library)")
    base = data.get("defaultBaseImage")
    return KoSettings(
        path=path,
        base=base_spec(str(base), f"{path} defaultBaseImage") if base else None,
        overrides={str(k): base_spec(str(v), f"{path} baseImageOverrides.{k}") for k, v in overrides.items()},
        platforms=platforms,
        env=_strings(data.get("defaultEnv"), f"{path} defaultEnv"),
        flags=_strings(data.get("defaultFlags"), f"{path} defaultFlags", split=True),
        ldflags=_strings(data.get("defaultLdflags"), f"{path} defaultLdflags"),
        builds=parsed,
        warnings=tuple(warnings),
        epoch=epoch,
    )


def kodata(package: GoPackage) -> Path | None:
    """The package's kodata/ directory, when it has one."""
    candidate = package.dir / "kodata"
    return candidate if candidate.is_dir() else None


_MAX_KODATA_ENTRIES = 100_000


def _inside(path: Path, root: Path) -> bool:
    """Whether a resolved kodata path stays in the module (the one judgement of a link target)."""
    return path == root or path.is_relative_to(root)


def kodata_entries(source: Path, module_root: Path) -> list[Entry]:
    """kodata/ as layer entries under /var/run/ko, symlinks followed (as ko does) but only inside the module."""
    root = module_root.resolve()
    entries: list[Entry] = [Entry(KODATA_DEST.lstrip("/"), kind="dir", mode=0o755)]
    pending: list[tuple[Path, str, frozenset[Path]]] = [(source, KODATA_DEST.lstrip("/"), frozenset())]
    while pending:
        directory, dest, seen = pending.pop()
        real_dir = directory.resolve()
        if real_dir in seen:
            raise UsageError(str(directory), "is a symlink loop in kodata", "remove the link that points back up")
        for path in sorted(directory.iterdir()):
            target = f"{dest}/{path.name}"
            real = path.resolve()
            if not _inside(real, root):
                raise UsageError(str(path), f"in kodata resolves to {real}, outside the module {root}",
                                 "copy the file into the module, or remove the link")
            if real.is_dir():
                entries.append(Entry(target, kind="dir", mode=0o755))
                pending.append((path, target, seen | {real_dir}))
            elif real.is_file():
                entries.append(Entry(target, mode=0o755 if os.access(real, os.X_OK) else 0o644, source=real))
            if len(entries) > _MAX_KODATA_ENTRIES:
                raise UsageError(str(source), f"holds more than {_MAX_KODATA_ENTRIES} entries",
                                 "kodata is for static assets; ship large trees another way")
    return entries


def repository(slimgo_repo: str | None, ko_docker_repo: str | None) -> str:
    """Where images are pushed: SLIMGO_REPO, else ko's KO_DOCKER_REPO (but not ko's daemon and kind targets)."""
    if slimgo_repo:
        return slimgo_repo
    repo = (ko_docker_repo or "").strip()
    if repo.split("/", 1)[0] in ("ko.local", "kind.local"):
        raise UsageError(f"KO_DOCKER_REPO={repo}", "names ko's Docker-daemon or kind target, which slimgo does not "
                         "write to", "push to a registry (KO_DOCKER_REPO=HOST/REPO), or pass -o "
                         "docker-archive:FILE and load that")
    return repo
