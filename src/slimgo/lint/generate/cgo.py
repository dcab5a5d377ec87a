"""Whether a module's default build needs cgo: a cgo-only module in go.mod, or `import "C"` in its own code."""

from __future__ import annotations

__all__ = ["cgo_needs"]

import re
from pathlib import Path

from slimgo.lint.generate.gomod import Module, go_sources

MAX_SOURCE = 256 * 1024
# modules that only work with cgo (C libraries behind them); a pure-Go alternative is named where one exists
CGO_MODULES: dict[str, str] = {
    "github.com/mattn/go-sqlite3": "modernc.org/sqlite is a pure-Go SQLite driver",
    "github.com/confluentinc/confluent-kafka-go": "github.com/twmb/franz-go is a pure-Go Kafka client",
    "github.com/confluentinc/confluent-kafka-go/v2": "github.com/twmb/franz-go is a pure-Go Kafka client",
    "gopkg.in/gographics/imagick.v3": "",
    "gopkg.in/gographics/imagick.v2": "",
    "github.com/h2non/bimg": "",
    "github.com/davidbyttow/govips/v2": "",
    "github.com/linxGnu/grocksdb": "",
    "github.com/tecbot/gorocksdb": "",
    "github.com/libvirt/libvirt-go": "",
}
_REQUIRE = re.compile(r"^\s*(?:require\s+)?([A-Za-z0-9.\-_~/]+)\s+v\d", re.M)
_IMPORT_C = re.compile(r'^\s*import\s+"C"\s*$|^\s*"C"\s*$', re.M)


def cgo_needs(module: Module) -> list[str]:
    """What in the module needs cgo, each with where it was found (and a pure-Go way out when there is one)."""
    found: list[str] = []
    try:
        gomod = (module.root / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        gomod = ""
    for required in dict.fromkeys(_REQUIRE.findall(gomod)):
        if required in CGO_MODULES:
            alt = CGO_MODULES[required]
            found.append(f"{required} (go.mod)" + (f"; {alt}" if alt else ""))
    reported: set[Path] = set()
    for path, text in go_sources(module, MAX_SOURCE):
        if len(found) > 10:
            break
        if path.parent in reported or not _IMPORT_C.search(text):
            continue
        found.append(f'import "C" in {path.relative_to(module.root).as_posix()}')
        reported.add(path.parent)  # one file per directory is enough to name it
    return found
