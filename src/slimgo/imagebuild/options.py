"""Image options (everything except how Go is invoked) as one frozen value built by the CLI."""

from __future__ import annotations

__all__ = ["FileSpec", "ImageOptions", "epoch_from_env", "parse_pairs", "parse_port"]

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.errors import UsageError
from slimgo.oci.platform import Platform

if TYPE_CHECKING:  # the layer code loads while go build runs, not before
    from slimgo.layer import Entry

TZDATA_MODES = ("auto", "always", "never")
_PORT = re.compile(r"^(\d{1,5})(?:/(tcp|udp|sctp))?$")


@dataclass(frozen=True)
class FileSpec:
    """`--file SRC:DEST[:MODE]`: a file or directory copied into the app layer."""

    source: Path
    dest: str
    mode: int | None = None

    @classmethod
    def parse(cls, text: str) -> FileSpec:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise UsageError(f"--file {text!r}", "is not SRC:DEST[:MODE]",
                             "e.g. --file config.yaml:/etc/app/config.yaml:0644")
        if not parts[1].startswith("/"):
            raise UsageError(f"--file {text!r}", "has a relative destination", "write DEST as an absolute path")
        mode = None
        if len(parts) == 3:
            try:
                mode = int(parts[2], 8)
            except ValueError:
                raise UsageError(f"--file {text!r}", f"mode {parts[2]!r} is not octal", "e.g. 0644") from None
        source = Path(parts[0])
        if not source.exists():
            raise UsageError(f"--file {text!r}", f"{source} does not exist", "check the source path")
        return cls(source, parts[1], mode)


def parse_port(text: str) -> str:
    m = _PORT.match(text.strip())
    if not m or not 0 < int(m.group(1)) < 65536:
        raise UsageError(f"--port {text!r}", "is not PORT[/tcp|udp|sctp]", "e.g. --port 8080/tcp")
    return f"{int(m.group(1))}/{m.group(2) or 'tcp'}"


def parse_pairs(values: tuple[str, ...], flag: str) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {value!r}", "is not KEY=VALUE", f"e.g. {flag} NAME=value")
        out.append((key, val))
    return tuple(out)


def epoch_from_env(value: str | None) -> int:
    """SOURCE_DATE_EPOCH as an int (0 when unset), refusing junk instead of guessing."""
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise UsageError(f"SOURCE_DATE_EPOCH={value!r}", "is not a number of seconds", "unset it or give an integer")
    return int(value)


def rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ImageOptions:
    platforms: tuple[Platform, ...]
    base: str = "static"
    tzdata: str = "auto"
    compression: str = "gzip"
    app_dir: str = "/app"
    files: tuple[FileSpec, ...] = ()
    args: tuple[str, ...] | None = None
    env: tuple[tuple[str, str], ...] = ()
    user: str | None = None
    workdir: str | None = None
    ports: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    epoch: int = 0
    allow_unsafe_layers: bool = False  # a --base image's layers are judged by slimgo.layercheck unless set
    compress: str | None = None  # --compress upx[:LEVEL]: pack the binary before it is layered
    entries: tuple[Entry, ...] = ()  # more files for the app layer (a ko project's kodata/)
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.tzdata not in TZDATA_MODES:
            raise UsageError(f"--tzdata {self.tzdata}", "is not a known mode", "use auto, always or never")
        if not self.app_dir.startswith("/"):
            raise UsageError(f"--app-dir {self.app_dir}", "is not absolute", "e.g. --app-dir /app")
        if self.compress:
            from slimgo.gobuild.upx import parse_level

            parse_level(self.compress)  # a typo is refused before anything is built

    @property
    def created(self) -> str:
        return rfc3339(self.epoch)
