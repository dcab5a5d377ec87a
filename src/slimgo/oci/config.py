"""The image configuration (what runs, as whom, where) as an immutable view over its JSON."""

from __future__ import annotations

__all__ = ["ImageConfig", "env_get", "env_set"]

import copy
import json
from dataclasses import dataclass
from typing import Any

from slimgo.errors import ImageFormatError
from slimgo.oci.digest import Digest
from slimgo.oci.manifest import canonical_json
from slimgo.oci.platform import Platform


@dataclass(frozen=True)
class ImageConfig:
    """Wraps the config JSON so fields slimgo does not know (from a base image) survive untouched."""

    data: dict[str, Any]

    @classmethod
    def parse(cls, raw: bytes, where: str = "image config") -> ImageConfig:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as err:
            raise ImageFormatError(where, f"is not valid JSON ({err})", "the image is corrupt") from None
        if not isinstance(data, dict):
            raise ImageFormatError(where, "is not a JSON object", "the image is corrupt")
        return cls(data)

    @classmethod
    def empty(cls, platform: Platform) -> ImageConfig:
        return cls({**platform.to_json(), "config": {}, "rootfs": {"type": "layers", "diff_ids": []}})

    def to_bytes(self) -> bytes:
        return canonical_json(self.data)

    @property
    def runtime(self) -> dict[str, Any]:
        value = self.data.get("config")
        return value if isinstance(value, dict) else {}

    @property
    def platform(self) -> Platform:
        return Platform.from_json(self.data)

    @property
    def user(self) -> str:
        return str(self.runtime.get("User") or "")

    @property
    def env(self) -> list[str]:
        return [str(e) for e in self.runtime.get("Env") or []]

    @property
    def entrypoint(self) -> list[str]:
        return [str(e) for e in self.runtime.get("Entrypoint") or []]

    @property
    def cmd(self) -> list[str]:
        return [str(e) for e in self.runtime.get("Cmd") or []]

    @property
    def working_dir(self) -> str:
        return str(self.runtime.get("WorkingDir") or "")

    @property
    def exposed_ports(self) -> list[str]:
        return sorted((self.runtime.get("ExposedPorts") or {}).keys())

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.runtime.get("Labels") or {})

    @property
    def diff_ids(self) -> list[Digest]:
        rootfs = self.data.get("rootfs") or {}
        return [Digest.parse(d) for d in rootfs.get("diff_ids") or []]

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self.data.get("history") or [])

    def replace(self, **top: Any) -> ImageConfig:
        """A new config with top-level fields replaced (None removes a field)."""
        data = copy.deepcopy(self.data)
        for key, value in top.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return ImageConfig(data)

    def replace_runtime(self, **fields: Any) -> ImageConfig:
        """A new config with fields of its `config` (User, Env, Entrypoint, ...) replaced (None removes)."""
        runtime = copy.deepcopy(self.runtime)
        for key, value in fields.items():
            if value is None:
                runtime.pop(key, None)
            else:
                runtime[key] = value
        return self.replace(config=runtime)


def env_get(env: list[str], key: str) -> str | None:
    for item in env:
        name, _, value = item.partition("=")
        if name == key:
            return value
    return None


def env_set(env: list[str], key: str, value: str) -> list[str]:
    """Set ``key`` in a Docker-style env list, keeping its position; appends when absent."""
    out: list[str] = []
    placed = False
    for item in env:
        if item.partition("=")[0] == key:
            if not placed:
                out.append(f"{key}={value}")
                placed = True
        else:
            out.append(item)
    return out if placed else [*out, f"{key}={value}"]
