"""What `docker build DIR` sends: BuildKit's context walk (fsutil) with .dockerignore, and findings about it."""

from __future__ import annotations

__all__ = ["ContextReport", "scan_context", "suggest_ignore"]

import heapq
import os
import posixpath
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from slimgo.errors import InputError, LintError
from slimgo.lint.dockerignore import MatchInfo, PatternError, PatternMatcher, lint_dockerignore, read_lines
from slimgo.lint.dockerignore.ignorefile import IgnoreFileError
from slimgo.lint.dockerignore.rules import prunes_excluded_dirs, without_trailing_glob
from slimgo.lint.envfile import MAX_READ as MAX_ENV_READ
from slimgo.lint.envfile import judge_env
from slimgo.lint.findings import Finding, Severity
from slimgo.lint.findtree import count_listing, find_program, list_tree
from slimgo.units import human_bytes

IGNORE_NAME = ".dockerignore"
LARGEST = 10
MAX_ENTRIES = 5_000_000  # bound the walk; a context this size is a mistake in itself

Scandir = Callable[[str], Iterator[os.DirEntry[str]]]


@dataclass(frozen=True)
class Category:
    """A kind of path that rarely belongs in a build context, and the .dockerignore line that drops it."""

    rule: str
    severity: Severity
    what: str
    line: str


# Directory names and file patterns checked against what is sent (rule, severity, description, ignore line).
# A line starting with `**/` matches at any depth; any other line is anchored at the context root, so a
# directory found deeper is reported with its own path as the line to add.
DIR_CATEGORIES: dict[str, Category] = {
    ".git": Category("SG221", Severity.WARNING, "the git repository (history, objects, maybe credentials)", ".git"),
    "node_modules": Category("SG224", Severity.WARNING, "node_modules/ (dependencies the image build reinstalls)",
                             "**/node_modules"),
    ".venv": Category("SG224", Severity.WARNING, "a Python virtualenv (tools, not what the image builds)",
                      "**/.venv"),
    "vendor": Category("SG223", Severity.INFO, "vendor/ (exclude it when the build runs `go mod download`)",
                       "vendor"),
    "dist": Category("SG225", Severity.INFO, "a build output directory", "dist"),
    "bin": Category("SG225", Severity.INFO, "a build output directory", "bin"),
    "target": Category("SG225", Severity.INFO, "a build output directory", "target"),
    "out": Category("SG225", Severity.INFO, "a build output directory", "out"),
    ".terraform": Category("SG225", Severity.INFO, "Terraform's provider cache", "**/.terraform"),
    **{name: Category("SG225", Severity.INFO, "a tool cache", f"**/{name}")
       for name in ("__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".tox")},
}
# Names that are build outputs only when they hold no Go source (`internal/bin` may be a Go package).
OUTPUT_DIRS = frozenset({"dist", "bin", "target", "out"})
FILE_CATEGORIES: dict[str, Category] = {
    ".gitmodules": Category("SG222", Severity.INFO, "git submodule metadata", ".gitmodules"),
    ".env": Category("SG226", Severity.ERROR, "a secrets file", "**/.env"),
    "id_rsa": Category("SG226", Severity.ERROR, "an SSH private key", "**/id_rsa"),
    "id_dsa": Category("SG226", Severity.ERROR, "an SSH private key", "**/id_dsa"),
    "id_ecdsa": Category("SG226", Severity.ERROR, "an SSH private key", "**/id_ecdsa"),
    "id_ed25519": Category("SG226", Severity.ERROR, "an SSH private key", "**/id_ed25519"),
    ".netrc": Category("SG226", Severity.ERROR, "a credentials file", "**/.netrc"),
    ".npmrc": Category("SG226", Severity.WARNING, "an npm config that often holds a token", "**/.npmrc"),
}
SUFFIX_CATEGORIES: dict[str, Category] = {
    ".pem": Category("SG226", Severity.ERROR, "a PEM private key", "**/*.pem"),
    ".key": Category("SG226", Severity.ERROR, "a private key", "**/*.key"),
    ".p12": Category("SG226", Severity.ERROR, "a PKCS#12 key store", "**/*.p12"),
    ".pfx": Category("SG226", Severity.ERROR, "a PKCS#12 key store", "**/*.pfx"),
    ".test": Category("SG225", Severity.INFO, "a compiled Go test binary", "**/*.test"),
    ".exe": Category("SG225", Severity.INFO, "a compiled binary", "**/*.exe"),
}
# Suffixes whose name alone is not enough: the first bytes decide (a CA bundle is public, `py.test` is a script).
_SNIFFED = frozenset({".pem", ".key", ".test", ".exe"})
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
# Files reported one by one (secrets); the other file categories are summed up per ignore line.
_PER_FILE_RULES = frozenset({"SG226", "SG222"})
ENV_PREFIX = ".env."
ENV_CATEGORY = Category("SG226", Severity.ERROR, "a secrets file", "**/.env.*")
_ENV_LINES = frozenset({"**/.env", ENV_CATEGORY.line})


@dataclass
class Tally:
    files: int = 0
    bytes: int = 0
    dirs: int = 0


@dataclass
class ContextReport:
    """The numbers `docker build` would see, the largest paths sent, and the findings."""

    root: str
    ignore_file: str | None
    patterns: list[str]
    sent: Tally = field(default_factory=Tally)
    total: Tally = field(default_factory=Tally)
    largest: list[tuple[str, int]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sent_paths: list[tuple[str, str, int]] | None = None  # (path, kind, size) in walk order, when asked for
    hits: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # category line -> [(path, n, bytes)]
    pruned_dirs: int = 0
    fails: bool = False  # docker build would stop while sending the context

    def to_json(self) -> dict[str, object]:
        return {
            "context": self.root,
            "ignore_file": self.ignore_file,
            "patterns": self.patterns,
            "files_sent": self.sent.files,
            "bytes_sent": self.sent.bytes,
            "dirs_sent": self.sent.dirs,
            "files_total": self.total.files,
            "bytes_total": self.total.bytes,
            "dirs_total": self.total.dirs,
            "largest": [{"path": p, "bytes": b} for p, b in self.largest],
            "build_fails": self.fails,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass
class _Dir:
    path: str  # relative, "" for the root
    info: MatchInfo
    sent: bool  # the directory entry itself was sent (fsutil calls fn for a parent lazily)
    excluded: bool


class _Walker:
    def __init__(self, root: str, patterns: list[str], scandir: Scandir, keep_paths: bool) -> None:
        self.root = root
        self.pm = PatternMatcher(patterns) if patterns else None
        self.prune = prunes_excluded_dirs(patterns)
        self.exceptions = [without_trailing_glob(p.cleaned) + "/" for p in (self.pm.patterns if self.pm else [])
                           if p.exclusion]
        self.scandir = scandir
        self.report_paths: list[tuple[str, str, int]] | None = [] if keep_paths else None
        self.sent = Tally()
        self.total = Tally()
        self.largest: list[tuple[int, str]] = []
        self.hits: dict[str, list[tuple[str, int, int]]] = {}
        self.category_of: dict[str, Category] = {}
        self.file_category: dict[str, Category] = {}  # per-file verdicts that differ from the line's (.env)
        self.findings: list[Finding] = []
        self.inodes_total: set[tuple[int, int]] = set()
        self.inodes_sent: set[tuple[int, int]] = set()
        self.pruned = 0
        self.pruned_paths: list[str] = []
        self.find = find_program() if scandir is os.scandir else None
        # `find` counts pruned directories on the other core while Python walks what is sent.
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.find_jobs: list[Future[bytes | None]] = []
        self.entries = 0
        self.fails = False
        self.flagged_dirs: tuple[str, ...] = ()  # "dir/" prefixes of flagged directories

    def _excluded(self, rel: str, parent: _Dir) -> tuple[bool, MatchInfo]:
        if self.pm is None:
            return False, MatchInfo()
        return self.pm.matches_using_parent_results(rel, parent.info)

    def _may_skip(self, rel: str) -> bool:
        """fsutil skips an excluded directory unread unless an exception pattern lies under it."""
        if not self.prune:
            return False
        if self.pm is None or not self.pm.exclusions:
            return True
        dir_slash = rel + "/"
        return not any(p.startswith(dir_slash) for p in self.exceptions)

    def _record_sent(self, rel: str, kind: str, size: int, parents: list[_Dir]) -> None:
        # A file sent from inside an excluded directory drags its parent entries along (fsutil's parentDirs).
        for parent in parents:
            if not parent.sent and parent.path:
                parent.sent = True
                self.sent.dirs += 1
                if self.report_paths is not None:
                    self.report_paths.append((parent.path, "dir", 0))
        if kind == "dir":
            self.sent.dirs += 1
        else:
            self.sent.files += 1
            self.sent.bytes += size
            if size and kind == "file":
                item = (size, rel)
                if len(self.largest) < LARGEST:
                    heapq.heappush(self.largest, item)
                else:
                    heapq.heappushpop(self.largest, item)
        if self.report_paths is not None:
            self.report_paths.append((rel, kind, size))

    def walk(self) -> None:
        try:
            self._walk()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _walk(self) -> None:
        stack: list[tuple[_Dir, list[_Dir]]] = [(_Dir("", MatchInfo(), True, False), [])]
        # Depth-first, entries sorted by name: the order of Go's filepath.WalkDir, which fsutil uses.
        while stack:
            current, parents = stack.pop()
            abs_dir = os.path.join(self.root, current.path) if current.path else self.root
            try:
                with self.scandir(abs_dir) as it:  # type: ignore[attr-defined]
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as err:
                self._unreadable(current, err)
                continue
            chain = [*parents, current] if current.path else parents
            pending: list[tuple[_Dir, list[_Dir]]] = []
            for entry in entries:
                node = self._visit(entry, current, chain, abs_dir)
                if node is not None:
                    pending.append((node, chain))
            stack.extend(reversed(pending))
        self._count_all_pruned()

    def _count_entries(self, n: int) -> None:
        self.entries += n
        if self.entries > MAX_ENTRIES:
            raise LintError(self.root, f"the context holds more than {MAX_ENTRIES:,} entries",
                            "narrow the context directory")

    def _visit(self, entry: os.DirEntry[str], current: _Dir, chain: list[_Dir], abs_dir: str) -> _Dir | None:
        """Count, match and judge one entry; return the directory to descend into, if it is one."""
        # runs once per entry: the steps stay inline rather than in helpers
        self.entries += 1
        if self.entries > MAX_ENTRIES:
            self._count_entries(0)
        rel = f"{current.path}/{entry.name}" if current.path else entry.name
        st: os.stat_result | None = None
        try:
            # d_type answers dir/link without a syscall; only regular files need stat (size, links)
            if entry.is_dir(follow_symlinks=False):
                kind = "dir"
            elif entry.is_symlink():
                kind = "symlink"
            else:
                st = entry.stat(follow_symlinks=False)
                kind = "file" if stat.S_ISREG(st.st_mode) else "other"
        except OSError as err:
            self._unreadable_entry(rel, err)
            return None
        counted = self._add_total(kind, st)
        try:
            excluded, info = self._excluded(rel, current)
        except PatternError as err:
            raise LintError(f"{self.root}/{IGNORE_NAME}", f"pattern {err.pattern!r} cannot be used: "
                            f"{err.detail}", "fix the pattern (see `slimgo lint .dockerignore`)") from None
        if kind == "dir":
            return self._visit_dir(rel, entry.name, info, excluded, chain)
        if not excluded:
            self._send(rel, entry.name, kind, st, counted, chain, abs_dir)
        return None

    def _add_total(self, kind: str, st: os.stat_result | None) -> int:
        """Count an entry in the totals; return the bytes it adds (0 for a hard link already counted)."""
        if kind == "dir":
            self.total.dirs += 1
            return 0
        counted = st.st_size if st is not None and kind == "file" else 0
        if st is not None and kind == "file" and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            if key in self.inodes_total:
                counted = 0
            self.inodes_total.add(key)
        self.total.files += 1
        self.total.bytes += counted
        return counted

    def _visit_dir(self, rel: str, name: str, info: MatchInfo, excluded: bool, chain: list[_Dir]) -> _Dir | None:
        node = _Dir(rel, info, False, excluded)
        if excluded and self._may_skip(rel):
            self.pruned += 1
            self.pruned_paths.append(rel)
            if self.find is not None:
                self.find_jobs.append(self.pool.submit(list_tree, self.find, os.path.join(self.root, rel)))
            return None
        if not excluded:
            node.sent = True
            self._record_sent(rel, "dir", 0, chain)
            self._categorize(rel, name, True)
        return node

    def _send(self, rel: str, name: str, kind: str, st: os.stat_result | None, counted: int, chain: list[_Dir],
              abs_dir: str) -> None:
        sent_size = counted
        if st is not None and kind == "file" and st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            if key in self.inodes_sent:
                sent_size = 0
            self.inodes_sent.add(key)
        self._record_sent(rel, kind, sent_size if kind == "file" else 0, chain)
        self._categorize(rel, name, False, sent_size)
        if kind == "symlink" and not (self.flagged_dirs and rel.startswith(self.flagged_dirs)):
            self._check_link(rel, abs_dir, name)

    def _count_all_pruned(self) -> None:
        outputs = [job.result() for job in self.find_jobs]
        if not self.pruned_paths:
            return
        if self.find is not None and all(out is not None for out in outputs):
            for out in outputs:
                assert out is not None
                self._add_find_output(out)
            return
        for rel in self.pruned_paths:
            self._count_pruned(rel)

    def _add_find_output(self, out: bytes) -> None:
        count = count_listing(out, self.inodes_total)
        self.total.dirs += count.dirs
        self.total.files += count.files
        self.total.bytes += count.bytes
        self._count_entries(count.entries)

    def _count_pruned(self, rel: str) -> None:
        """Totals still count what a pruned directory holds; nothing in it is matched or sent."""
        stack = [os.path.join(self.root, rel)]
        while stack:
            path = stack.pop()
            try:
                with self.scandir(path) as it:  # type: ignore[attr-defined]
                    entries = list(it)
            except OSError:
                continue
            for entry in entries:
                self._count_entries(1)
                try:
                    if entry.is_dir(follow_symlinks=False):
                        self.total.dirs += 1
                        stack.append(entry.path)
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                self.total.files += 1
                if stat.S_ISREG(st.st_mode):
                    if st.st_nlink > 1:
                        key = (st.st_dev, st.st_ino)
                        if key in self.inodes_total:
                            continue
                        self.inodes_total.add(key)
                    self.total.bytes += st.st_size

    def _unreadable(self, current: _Dir, err: OSError) -> None:
        # fsutil ignores a permission error only inside an excluded directory; elsewhere the build stops.
        fatal = not current.excluded
        if fatal:
            self.fails = True
        self.findings.append(Finding(
            path=current.path or ".", line=0, rule="SG227",
            severity=Severity.ERROR if fatal else Severity.INFO,
            message=(f"directory cannot be read ({err.strerror or err}); `docker build` stops with "
                     "\"error from sender\"" if fatal else
                     f"excluded directory cannot be read ({err.strerror or err}); BuildKit skips it"),
            fix=f"add '{current.path}' to .dockerignore (with no '!' exception below it), or fix its permissions"
            if fatal else f"no change needed; '{current.path}' is excluded",
        ))

    def _unreadable_entry(self, rel: str, err: OSError) -> None:
        self.fails = True
        self.findings.append(Finding(
            path=rel, line=0, rule="SG227", severity=Severity.ERROR,
            message=f"cannot be read ({err.strerror or err}); `docker build` stops while sending the context",
            fix=f"add '{rel}' to .dockerignore, or fix its permissions",
        ))

    def _categorize(self, rel: str, name: str, is_dir: bool, size: int = 0) -> None:
        # Nothing below a flagged directory is judged again: `.venv/bin` or a vendored `.pem` are the
        # directory's problem, and its one ignore line fixes them all.
        if self.flagged_dirs and rel.startswith(self.flagged_dirs):
            return
        cat: Category | None
        if is_dir:
            cat = DIR_CATEGORIES.get(name)
            if cat is None or not self._dir_matches(rel, name):
                return
            line = cat.line if cat.line.startswith("**/") else rel
            self.hits.setdefault(line, []).append((rel, 0, 0))
            self.category_of[line] = cat
            self.flagged_dirs = (*self.flagged_dirs, rel + "/")
            return
        cat = FILE_CATEGORIES.get(name)
        if cat is None and name.startswith(ENV_PREFIX) and not name.endswith((".example", ".sample", ".template")):
            cat = ENV_CATEGORY
        suffix = posixpath.splitext(name)[1]
        if cat is None:
            cat = SUFFIX_CATEGORIES.get(suffix)
            if cat is not None and suffix in _SNIFFED and not self._content_matches(rel, suffix):
                return
        if cat is not None:
            if cat.line in _ENV_LINES:
                self.file_category[rel] = self._env_category(rel, cat)
            self.hits.setdefault(cat.line, []).append((rel, 1, size))
            self.category_of[cat.line] = cat

    def _env_category(self, rel: str, cat: Category) -> Category:
        """A .env file is an error when its content holds a credential, a warning when only its name says so."""
        try:
            with open(os.path.join(self.root, rel), "rb") as fh:
                text = fh.read(MAX_ENV_READ).decode("utf-8", "replace")
        except OSError:
            return replace(cat, severity=Severity.WARNING, what="a .env file (unreadable, so not judged)")
        verdict = judge_env(text)
        if verdict.secrets:
            shown = ", ".join(verdict.secrets[:5]) + (", ..." if len(verdict.secrets) > 5 else "")
            return replace(cat, what=f"a secrets file ({shown} hold credentials)")
        return replace(cat, severity=Severity.WARNING,
                       what=f"a .env file with no credential in its {verdict.settings} settings, the place where "
                            "secrets get added later")

    def _dir_matches(self, rel: str, name: str) -> bool:
        if name == "vendor":  # Go's vendor directory always has modules.txt; others are someone's source
            return os.path.isfile(os.path.join(self.root, rel, "modules.txt"))
        if name in OUTPUT_DIRS:
            try:
                with self.scandir(os.path.join(self.root, rel)) as it:  # type: ignore[attr-defined]
                    return not any(e.name.endswith(".go") for e in it)
            except OSError:
                return True
        return True

    def _content_matches(self, rel: str, suffix: str) -> bool:
        try:
            with open(os.path.join(self.root, rel), "rb") as fh:
                head = fh.read(65536)
        except OSError:
            return True  # cannot tell: keep the name's verdict
        if suffix in {".test", ".exe"}:
            return head.startswith(_EXECUTABLE_MAGIC)
        if b"PRIVATE KEY" in head:
            return True
        # a .pem without a private key holds certificates; a .key in PEM form without one is a public key
        return suffix == ".key" and b"-----BEGIN" not in head

    def _check_link(self, rel: str, abs_dir: str, name: str) -> None:
        try:
            target = os.readlink(os.path.join(abs_dir, name))
        except OSError:
            return
        parent = posixpath.dirname(rel)
        resolved = posixpath.normpath(posixpath.join(parent, target)) if not target.startswith("/") else None
        if resolved is None or resolved == ".." or resolved.startswith("../"):
            self.findings.append(Finding(
                path=rel, line=0, rule="SG228", severity=Severity.INFO,
                message=f"symlink to {target!r} points outside the context; Docker sends the link, not its target, "
                        "so COPY puts a dangling link in the image",
                fix=f"copy the target into the context, or add '{rel}' to .dockerignore",
            ))
        elif resolved == "." or parent == resolved or parent.startswith(resolved + "/"):
            self.findings.append(Finding(
                path=rel, line=0, rule="SG228", severity=Severity.INFO,
                message=f"symlink to {target!r} points at its own ancestor (a loop for anything that follows links); "
                        "Docker sends it as a link",
                fix=f"remove the link or add '{rel}' to .dockerignore",
            ))


def _dir_tallies(sent_paths: list[tuple[str, str, int]], dirs: list[str]) -> dict[str, tuple[int, int]]:
    """Files and bytes sent below each of ``dirs``, in one pass over what was sent."""
    counts = {d: [0, 0] for d in dirs}
    prefixes = tuple(d + "/" for d in dirs)
    for path, kind, size in sent_paths:
        if kind == "dir" or not path.startswith(prefixes):
            continue
        parent = posixpath.dirname(path)
        while parent:
            tally = counts.get(parent)
            if tally is not None:
                tally[0] += 1
                tally[1] += size
            parent = posixpath.dirname(parent)
    return {d: (c[0], c[1]) for d, c in counts.items()}


def _read_ignore(root: str, ignore_path: Path, given: bool) -> str | None:
    """The ignore file's text, None when the context has none; a named file that is missing is an error."""
    try:
        st = os.stat(root)
    except OSError as err:
        raise InputError(root, f"cannot be read ({err.strerror or err})", "pass an existing directory") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(root, "is not a directory", "pass the build context directory") from None
    if ignore_path.exists():
        try:
            raw = ignore_path.read_bytes()
        except OSError as err:
            raise LintError(str(ignore_path), f"cannot be read ({err.strerror or err})", "fix its permissions") \
                from None
        return raw.decode("utf-8", "surrogateescape")
    if given:
        raise LintError(str(ignore_path), "does not exist", "pass an existing ignore file")
    return None


def scan_context(
    root: str | Path,
    *,
    ignore_file: str | Path | None = None,
    scandir: Scandir = os.scandir,
    keep_paths: bool = False,
) -> ContextReport:
    """Walk ``root`` as BuildKit does for `docker build`, with its .dockerignore (or ``ignore_file``)."""
    root_s = os.fspath(root)
    ignore_path = Path(ignore_file) if ignore_file is not None else Path(root_s) / IGNORE_NAME
    text = _read_ignore(root_s, ignore_path, ignore_file is not None)
    findings = lint_dockerignore(str(ignore_path), text) if text is not None else []
    patterns: list[str] = []
    if text is not None:
        try:
            patterns = [line.pattern for line in read_lines(text)]
            PatternMatcher(patterns)
        except (IgnoreFileError, PatternError) as err:
            report = ContextReport(root_s, str(ignore_path), patterns, findings=sorted(findings), fails=True)
            if not any(f.rule == "SG201" for f in findings):
                report.findings.append(Finding(str(ignore_path), 1, "SG201", Severity.ERROR,
                                               f"docker build rejects this file: {err}", "fix the pattern"))
            return report
    walker = _Walker(root_s, patterns, scandir, keep_paths=True)
    try:
        walker.walk()
    except PatternError as err:  # a pattern that only fails when first used, as in Go
        findings.append(Finding(str(ignore_path), 1, "SG201", Severity.ERROR,
                                f"docker build fails on pattern {err.pattern!r}: {err.detail}", "fix the pattern"))
        return ContextReport(root_s, str(ignore_path), patterns, findings=sorted(findings), fails=True)
    report = ContextReport(
        root=root_s,
        ignore_file=str(ignore_path) if text is not None else None,
        patterns=patterns,
        sent=walker.sent,
        total=walker.total,
        largest=[(p, s) for s, p in sorted(walker.largest, reverse=True)],
        sent_paths=walker.report_paths if keep_paths else None,
        hits=walker.hits,
        pruned_dirs=walker.pruned,
        fails=walker.fails,
    )
    if text is None:
        findings.append(Finding(
            path=str(ignore_path), line=0, rule="SG220", severity=Severity.WARNING,
            message=f"no {IGNORE_NAME}: all {report.total.files:,} files ({human_bytes(report.total.bytes)}) are sent "
                    "to the builder",
            fix=f"slimgo context {root_s} --suggest > {ignore_path}",
        ))
    findings += _category_findings(walker)
    report.findings = sorted(findings + walker.findings, key=lambda f: (-f.severity.rank, f.rule, f.path))
    return report


def _shown(hits: list[tuple[str, int, int]]) -> str:
    return ", ".join(p for p, _, _ in hits[:3]) + (", ..." if len(hits) > 3 else "")


def _category_findings(walker: _Walker) -> list[Finding]:
    """One finding per flagged path, or one per ignore line when several paths share it."""
    findings: list[Finding] = []
    dir_hits = [p for line, hits in walker.hits.items() for p, n, _ in hits if n == 0]
    tallies = _dir_tallies(walker.report_paths or [], dir_hits) if dir_hits else {}
    for line, hits in sorted(walker.hits.items()):
        cat = walker.category_of[line]
        files_only = all(n == 1 for _, n, _ in hits)
        fix = f"add '{line}' to {IGNORE_NAME}"
        if len(hits) > 1 and not files_only:
            # every `__pycache__` of a tree shares one `**/` line: one finding with their sum
            sums = [tallies.get(path, (0, 0)) for path, _, _ in hits]
            findings.append(Finding(
                path=hits[0][0], line=0, rule=cat.rule, severity=cat.severity,
                message=f"{len(hits):,} directories matching '{line}', {cat.what} each "
                        f"({sum(f for f, _ in sums):,} files, {human_bytes(sum(b for _, b in sums))}), are sent with "
                        f"the build context: {_shown(hits)}",
                fix=fix,
            ))
        elif files_only and cat.rule not in _PER_FILE_RULES and len(hits) > 1:
            # forty `*.exe` files are one problem with one fix: say it once
            findings.append(Finding(
                path=hits[0][0], line=0, rule=cat.rule, severity=cat.severity,
                message=f"{len(hits):,} files matching '{line}', {cat.what} each "
                        f"({human_bytes(sum(s for _, _, s in hits))}), are sent with the build context: "
                        f"{_shown(hits)}",
                fix=fix,
            ))
        else:
            for path, n, size in hits[:20]:
                files, size = tallies.get(path, (0, 0)) if n == 0 else (0, size)
                detail = f"{files:,} files, {human_bytes(size)}" if n == 0 else human_bytes(size)
                own = walker.file_category.get(path, cat)
                findings.append(Finding(path=path, line=0, rule=own.rule, severity=own.severity,
                                        message=f"{own.what} ({detail}) is sent with the build context", fix=fix))
    return findings


def suggest_ignore(report: ContextReport) -> str:
    """A .dockerignore that keeps out what the scan flagged (and the usual suspects), ready to review."""
    lines = ["# Written by `slimgo context --suggest`: review before use.", "# Version control and tooling", ".git",
             ".gitignore", ".gitmodules", ".dockerignore", "**/.DS_Store", ""]
    flagged = sorted({line for line in report.hits if line not in lines})
    if flagged:
        lines += ["# Found in this context", *flagged, ""]
    # *.pem and *.key come in through the findings only when a private key is there: a CA bundle the build
    # copies must not vanish from the context
    lines += ["# Secrets", "**/.env", "**/.env.*", "**/id_rsa", "**/id_ed25519", "**/.netrc", ""]
    lines += ["# Build outputs and tests", "**/*.test", "**/*.out", "coverage*", ""]
    seen: set[str] = set()
    out: list[str] = []
    for line in lines:
        if line and not line.startswith("#"):
            if line in seen:
                continue
            seen.add(line)
        out.append(line)
    return "\n".join(out).rstrip() + "\n"

