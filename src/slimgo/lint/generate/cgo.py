"""Whether a module's default build needs cgo: a cgo-only module in go.mod, or `import "C"` in its own code."""

from __future__ import annotations

__all__ = ["cgo_needs"]

import os
import re
from pathlib import Path

from slimgo.lint.generate.gomod import MAX_DIRS, Module

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
_SKIP_DIRS = {"vendor", "testdata", "node_modules"}


def cgo_needs(module: Module) -> list[str]:
    """What in the module needs cgo, each with where it was found (and a pure-Go way out when there is one)."""
    found: list[str] = []
    try:
        gomod = (module.root / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        gomod = ""
    for path in dict.fromkeys(_REQUIRE.findall(gomod)):
        if path in CGO_MODULES:
            alt = CGO_MODULES[path]
            found.append(f"{path} (go.mod)" + (f"; {alt}" if alt else ""))
    seen = 0
    for dirpath, dirnames, files in os.walk(module.root):
        seen += 1
        if seen > MAX_DIRS:
            break
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d not in _SKIP_DIRS
                             and not (here / d / "go.mod").exists())
        for name in sorted(files):
            if not name.endswith(".go") or name.endswith("_test.go"):
                continue
            try:
                with open(here / name, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(MAX_SOURCE)
            except OSError:
                continue
            if _IMPORT_C.search(text):
                found.append(f'import "C" in {(here / name).relative_to(module.root).as_posix()}')
                break
        if len(found) > 10:
            break
    return found
