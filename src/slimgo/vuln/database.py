"""The Go vulnerability database: fetched as the golang.org/x/vulndb module (or read from a mirror directory), its
OSV advisories indexed once into the slimgo cache, and loaded from there with bounded reads."""

from __future__ import annotations

__all__ = ["VULNDB_MODULE", "Database", "build_index", "index_path", "open_database", "open_module", "osv_files"]

import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slimgo.errors import InputError, SlimgoError, UsageError
from slimgo.vuln.osv import Advisory, AdvisoryError, from_record, parse_entry, to_record

VULNDB_MODULE = "golang.org/x/vulndb"
REFRESH = "slimgo vuln --refresh-db"
STALE_AFTER = timedelta(days=7)
INDEX_FORMAT = 1
MAX_ADVISORY_BYTES = 4 << 20  # the largest advisories are a few hundred KB
MAX_ADVISORIES = 200_000
MAX_INDEX_BYTES = 512 << 20
_KEPT_SKIPPED_NAMES = 20
_PSEUDO_TIME = re.compile(r"(?:^|[.-])(\d{14})-[0-9a-f]{12}$")


class VulnDbError(InputError):
    """The vulnerability database is missing, cannot be fetched, or is corrupt (exit code 2)."""


@dataclass(frozen=True)
class Database:
    """An indexed database: where it came from, how old it is, and its advisories grouped by module path."""

    source: str  # "golang.org/x/vulndb@v0.0.0-2026..." or the mirror directory
    version: str
    date: datetime | None
    count: int
    skipped: int
    skipped_files: tuple[str, ...]
    index_path: Path
    records: dict[str, dict[str, Any]] = field(repr=False)  # advisory id -> compact record
    modules: dict[str, list[str]] = field(repr=False)  # module path -> advisory ids

    def for_module(self, path: str) -> list[Advisory]:
        return [from_record(self.records[ident]) for ident in self.modules.get(path, [])]

    def advisory(self, ident: str) -> Advisory | None:
        record = self.records.get(ident)
        return from_record(record) if record is not None else None

    def stale(self, now: datetime) -> bool:
        return self.date is not None and now - self.date > STALE_AFTER


Downloader = Callable[[str, str, str], Any]  # (module, version, fix) -> gobuild.moddownload.Download


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.year < 2000:  # vulndb writes 0001-01-01 for "not recorded"
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def version_time(version: str) -> datetime | None:
    """The commit time a pseudo-version carries (v0.0.0-20261105234957-e22db6528018 -> 2026-11-05 23:49:57)."""
    found = _PSEUDO_TIME.search(version)
    if found is None:
        return None
    return datetime.strptime(found[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def osv_files(root: Path) -> tuple[Path, list[Path]]:
    """The advisory files of a vulndb checkout (data/osv), a served database (ID/) or a directory of OSV files."""
    for candidate in (root / "data" / "osv", root / "ID", root):
        if candidate.is_dir():
            files = sorted(p for p in candidate.iterdir() if p.suffix == ".json" and p.is_file())
            if files:
                return candidate, files[:MAX_ADVISORIES]
    raise VulnDbError(str(root), "holds no OSV advisories (no data/osv/*.json, ID/*.json or *.json)",
                      f"point --db at a copy of the Go vulnerability database, or drop --db and run `{REFRESH}`")


def _read_bounded(path: Path, limit: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise AdvisoryError(f"larger than {limit} bytes")
    return data


def build_index(files: list[Path]) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], list[str], str]:
    """Parse every advisory file: records by id, ids by module, the files skipped, the newest `modified`."""
    records: dict[str, dict[str, Any]] = {}
    modules: dict[str, list[str]] = {}
    skipped: list[str] = []
    newest = ""
    for path in files:
        try:
            advisory = parse_entry(json.loads(_read_bounded(path, MAX_ADVISORY_BYTES)))
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            skipped.append(path.name)
            continue
        records[advisory.id] = to_record(advisory)
        for module in dict.fromkeys(a.module for a in advisory.affected):
            modules.setdefault(module, []).append(advisory.id)
        if _parse_time(advisory.modified) is not None:
            newest = max(newest, advisory.modified)
    return records, modules, skipped, newest


def _write_atomically(target: Path, document: dict[str, Any]) -> None:
    """Write next to ``target`` and rename over it: a reader sees the old index or the new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".index-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
        os.chmod(name, 0o644)  # a shared cache: other users of the machine may read it
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class _Origin:
    key: str  # what the index is the index of (a module version, or a directory's signature)
    source: str
    version: str
    date: str  # RFC 3339 or ""


def index_path(cache: Path, key: str) -> Path:
    return cache / f"index-{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"



@contextmanager
def _locked(cache: Path, key: str) -> Iterator[None]:
    """One indexer per database at a time: a second process waits, then finds the index written."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f".lock-{hashlib.sha256(key.encode()).hexdigest()[:24]}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _load(path: Path, key: str | None) -> Database:
    corrupt = f"run `{REFRESH}` to fetch and index it again"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_INDEX_BYTES + 1)
    except FileNotFoundError:
        raise VulnDbError(str(path), "the vulnerability database index is missing", corrupt) from None
    except OSError as err:
        raise VulnDbError(str(path), f"cannot be read: {err.strerror or err}", corrupt) from None
    try:
        if len(raw) > MAX_INDEX_BYTES:
            raise ValueError(f"larger than {MAX_INDEX_BYTES} bytes")
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
            raise ValueError("not an index of this slimgo version")
        if key is not None and doc.get("key") != key:
            raise ValueError("it indexes another database")
        records, modules = doc["records"], doc["modules"]
        if not isinstance(records, dict) or not isinstance(modules, dict):
            raise ValueError("records or modules missing")
        return Database(str(doc["source"]), str(doc["version"]), _parse_time(str(doc["date"])),
                        len(records), int(doc["skipped"]), tuple(doc["skipped_files"]), path, records, modules)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise VulnDbError(str(path), f"the vulnerability database index is corrupt ({err})", corrupt) from None


def _index(cache: Path, origin: _Origin, root: Path) -> Database:
    """The index of the advisories under ``root``, built unless another run already built it."""
    target = index_path(cache, origin.key)
    with _locked(cache, origin.key):
        if not target.is_file():
            _, files = osv_files(root)
            records, modules, skipped, newest = build_index(files)
            if not records:
                raise VulnDbError(str(root), f"none of its {len(files)} advisory files could be read",
                                  f"run `{REFRESH}`, or point --db at an intact copy of the database")
            date = origin.date or _db_json_date(root) or newest
            _write_atomically(target, {
                "format": INDEX_FORMAT, "key": origin.key, "source": origin.source, "version": origin.version,
                "date": date, "skipped": len(skipped), "skipped_files": skipped[:_KEPT_SKIPPED_NAMES],
                "records": records, "modules": modules,
            })
    return _load(target, origin.key)


def _db_json_date(root: Path) -> str:
    """The `modified` time a served database (index/db.json) declares, if ``root`` is one."""
    try:
        data = json.loads(_read_bounded(root / "index" / "db.json", 1 << 16))
    except (OSError, ValueError, AdvisoryError):
        return ""
    value = data.get("modified") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _directory_key(root: Path) -> str:
    """A mirror directory changes in place: its index is keyed by the files' names, sizes and times."""
    where, files = osv_files(root)
    digest = hashlib.sha256(str(where.resolve()).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return f"dir:{digest.hexdigest()}"


def open_mirror(root: Path, cache: Path) -> Database:
    """The database in directory ``root`` (a vulndb checkout, a served copy or a directory of OSV files)."""
    if not root.is_dir():
        raise VulnDbError(str(root), "is not a directory", "give --db the directory of a copy of the database")
    return _index(cache, _Origin(_directory_key(root), str(root), "", ""), root)


def _pointer(cache: Path) -> Path:
    return cache / "current.json"


def open_module(cache: Path, download: Downloader, *, version: str | None = None, refresh: bool = False) -> Database:
    """The vulndb module: the version pinned, else the one fetched last, else (or on refresh) the latest."""
    if version is None and not refresh:
        try:
            current = json.loads(_read_bounded(_pointer(cache), 1 << 16))
            version = str(current["version"])
        except FileNotFoundError:
            refresh = True
        except (OSError, ValueError, KeyError, TypeError, AdvisoryError):
            raise VulnDbError(str(_pointer(cache)), "the record of the current vulnerability database is corrupt",
                              f"run `{REFRESH}`") from None
        else:
            return _load(index_path(cache, f"module:{VULNDB_MODULE}@{version}"), f"module:{VULNDB_MODULE}@{version}")
    wanted = version or "latest"
    if version is not None and index_path(cache, f"module:{VULNDB_MODULE}@{version}").is_file():
        return _load(index_path(cache, f"module:{VULNDB_MODULE}@{version}"), f"module:{VULNDB_MODULE}@{version}")
    fix = ("check GOPROXY (and GONOSUMDB/GOFLAGS) let `go mod download` reach the module proxy, then run "
           f"`{REFRESH}`; or give --db DIR with a copy of the database")
    try:
        fetched = download(VULNDB_MODULE, wanted, fix)
    except SlimgoError as err:  # no database without the module: the input of every scan is missing
        raise VulnDbError(err.subject, f"no vulnerability database: {err.cause}", err.fix) from None
    date = fetched.time or (str(version_time(fetched.version) or ""))
    origin = _Origin(f"module:{VULNDB_MODULE}@{fetched.version}", f"{VULNDB_MODULE}@{fetched.version}",
                     fetched.version, date)
    database = _index(cache, origin, Path(fetched.dir))
    if version is None:
        _write_atomically(_pointer(cache), {"version": fetched.version})
    return database


def open_database(cache: Path, *, db_dir: Path | None = None, version: str | None = None,
                  refresh: bool = False) -> Database:
    """The database a scan uses: the mirror ``db_dir``, else the vulndb module (fetched through `go mod download`)."""
    if db_dir is not None:
        if version or refresh:
            raise UsageError("--db", "cannot be combined with --db-version or --refresh-db",
                             "use either a copy of the database or the module")
        return open_mirror(db_dir, cache)
    from slimgo.gobuild.moddownload import download

    return open_module(cache, download, version=version, refresh=refresh)
