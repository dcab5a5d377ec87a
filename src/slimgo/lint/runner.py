"""`slimgo lint` without the CLI: find the files, pick each one's linter, apply suppressions and config."""

from __future__ import annotations

__all__ = ["INPUT_RULES", "LintConfig", "LintReport", "failing", "lint_paths", "load_config", "suppressed_rules"]

import errno
import fnmatch
import importlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slimgo.errors import InputError, LintError, UsageError
from slimgo.lint.findings import Finding, Severity

CONFIG_NAME = ".slimgo-lint.yaml"
MAX_BYTES = 32 * 1024 * 1024  # bigger inputs are not lint targets; reading them whole would cost memory
MAX_FILES = 200_000  # bound a directory walk
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "vendor", "__pycache__", ".venv"})
_RULE_ID = re.compile(r"^SG\d{3}$")
_IGNORE = re.compile(r"slimgo-ignore:\s*((?:SG\d{3})(?:\s*,\s*SG\d{3})*)")

DOCKERFILE, DOCKERIGNORE, KUBERNETES = "dockerfile", "dockerignore", "kubernetes"

# Problems with the input itself rather than its content (SG000-SG009): the runner's own findings.
SG001_UNREADABLE = "SG001"
SG002_BINARY = "SG002"
SG003_SYMLINK_LOOP = "SG003"
SG004_TOO_LARGE = "SG004"
SG005_NOT_LINTABLE = "SG005"
INPUT_RULES = {
    SG001_UNREADABLE: ("file or directory cannot be read", "fix its permissions or the path"),
    SG002_BINARY: ("binary or non-UTF-8 file", "pass only text files"),
    SG003_SYMLINK_LOOP: ("symbolic link loop", "fix or remove the link"),
    SG004_TOO_LARGE: ("input too large", "lint a narrower set of files"),
    SG005_NOT_LINTABLE: ("YAML without Kubernetes workloads", "pass Kubernetes manifests"),
}


@dataclass(frozen=True)
class LintConfig:
    """What the user switched off or re-ranked, and the options passed to the Kubernetes linter."""

    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    level: str = "restricted"
    image: Any = None  # ImageFacts from slimgo.lint.k8s, for checking a manifest against its image
    psa_version: int | None = None  # Pod Security policy version v1.<minor>; None is the latest
    namespaces: Any = None  # the file set's Namespace objects (slimgo.lint.k8s.namespace_labels), found by lint_paths

    def with_disabled(self, rules: Iterable[str]) -> LintConfig:
        return replace(self, disable=self.disable | _rule_ids(rules, "--disable"))


@dataclass(frozen=True)
class Target:
    path: Path
    kind: str
    explicit: bool  # named on the command line (rather than found in a directory)


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    suppressed: int = 0


def _rule_ids(rules: Iterable[object], where: str) -> frozenset[str]:
    out = set()
    for rule in rules:
        text = str(rule).strip().upper()
        if not _RULE_ID.match(text):
            raise UsageError(where, f"{rule!r} is not a rule ID", "rule IDs look like SG101")
        out.add(text)
    return frozenset(out)


def load_config(path: Path | None, cwd: Path | None = None) -> LintConfig:
    """Read ``path`` (or ./.slimgo-lint.yaml when present); unknown keys and bad values are errors."""
    if path is None:
        candidate = (cwd or Path.cwd()) / CONFIG_NAME
        if not candidate.is_file():
            return LintConfig()
        path = candidate
    import yaml  # only with a config file: a one-file lint does not pay for the YAML parser

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(str(path), f"cannot read the config: {err.strerror or err}", "check the path") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UsageError(str(path), f"not valid YAML: {err}", "fix the config's syntax") from None
    if data is None:
        return LintConfig()
    if not isinstance(data, dict):
        raise UsageError(str(path), "the config must be a mapping", "write `disable: [SG101]`")
    unknown = sorted(set(data) - {"disable", "severity"})
    if unknown:
        raise UsageError(str(path), f"unknown key(s) {', '.join(map(str, unknown))}", "use `disable` and `severity`")
    disable = data.get("disable") or []
    if not isinstance(disable, list):
        raise UsageError(str(path), "`disable` must be a list of rule IDs", "write `disable: [SG101, SG105]`")
    severity_map = data.get("severity") or {}
    if not isinstance(severity_map, dict):
        raise UsageError(str(path), "`severity` must map rule IDs to a severity", "write `severity: {SG105: info}`")
    severities: dict[str, Severity] = {}
    for rule, level in severity_map.items():
        (rule_id,) = _rule_ids([rule], str(path))
        try:
            severities[rule_id] = Severity(str(level).lower())
        except ValueError:
            raise UsageError(str(path), f"severity {level!r} for {rule_id}", "use error, warning or info") from None
    return LintConfig(disable=_rule_ids(disable, str(path)), severity=severities)


def kind_of(path: Path) -> str | None:
    """The kind a file name says (None: only its content can tell)."""
    name = path.name
    lower = name.lower()
    if lower.endswith(".dockerignore"):
        return DOCKERIGNORE
    if name in {"Dockerfile", "Containerfile"} or lower.endswith(".dockerfile") or lower.endswith(".containerfile"):
        return DOCKERFILE
    if fnmatch.fnmatch(name, "Dockerfile.*") or fnmatch.fnmatch(name, "Containerfile.*"):
        return DOCKERFILE
    if lower.endswith((".yaml", ".yml")):
        return KUBERNETES
    return None


def _finding(path: Path, rule: str, message: str, fix: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(str(path), 0, rule, severity, message, fix)


def discover(paths: Iterable[str]) -> Iterator[Target | Finding]:
    """Files to lint under ``paths``, in order; problems met on the way come out as findings."""
    for raw in paths:
        path = Path(raw)
        try:
            path.stat()
        except OSError as err:
            if err.errno == errno.ELOOP:
                yield _finding(path, SG003_SYMLINK_LOOP, "symbolic link loop", "fix or remove the link")
                continue
            raise InputError(raw, err.strerror or str(err), "check the path") from None
        if path.is_dir():
            yield from _walk(path)
        else:
            yield Target(path, kind_of(path) or DOCKERFILE, explicit=True)


def _walk(top: Path) -> Iterator[Target | Finding]:
    # follows directory symlinks, but each real directory once: a link back to an ancestor is a cycle
    seen: set[tuple[int, int]] = set()
    stack = [top]
    count = 0
    while stack:
        directory = stack.pop()
        try:
            st = directory.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen:
                yield _finding(directory, SG003_SYMLINK_LOOP, "directory reached again through a symbolic link; "
                               "not searched twice", "nothing to do unless the link is a mistake", Severity.INFO)
                continue
            seen.add(key)
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            rule = SG003_SYMLINK_LOOP if err.errno == errno.ELOOP else SG001_UNREADABLE
            yield _finding(directory, rule, f"cannot read directory: {err.strerror or err}", "fix its permissions")
            continue
        subdirs = []
        for entry in entries:
            count += 1
            if count > MAX_FILES:
                yield _finding(top, SG004_TOO_LARGE, f"more than {MAX_FILES} entries; the rest was not searched",
                               "lint a narrower directory", Severity.WARNING)
                return
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError as err:
                yield _finding(path, SG003_SYMLINK_LOOP if err.errno == errno.ELOOP else SG001_UNREADABLE,
                               f"cannot stat: {err.strerror or err}", "fix or remove it")
                continue
            if is_dir:
                if entry.name not in SKIP_DIRS:
                    subdirs.append(path)
                continue
            if entry.is_symlink() and not os.path.exists(entry.path):
                if _is_loop(entry.path):
                    yield _finding(path, SG003_SYMLINK_LOOP, "symbolic link loop", "fix or remove the link")
                continue
            kind = kind_of(path)
            if kind is not None:
                yield Target(path, kind, explicit=False)
        stack.extend(reversed(subdirs))


def _is_loop(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as err:
        return err.errno == errno.ELOOP
    return False


def read_text(path: Path) -> str | Finding:
    """The file's text, or the finding that says why it cannot be linted."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or device would block or never end
            return _finding(path, SG001_UNREADABLE, "not a regular file", "pass regular files or directories")
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as err:
        rule = SG003_SYMLINK_LOOP if err.errno == errno.ELOOP else SG001_UNREADABLE
        return _finding(path, rule, f"cannot read: {err.strerror or err}", "fix its permissions or the path")
    if len(data) > MAX_BYTES:
        return _finding(path, SG004_TOO_LARGE, f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not linted",
                        "lint only Dockerfiles, .dockerignore files and manifests")
    if b"\x00" in data[:8192]:
        return _finding(path, SG002_BINARY, "binary file (NUL bytes), not text", "pass only text files")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return Finding(str(path), line, SG002_BINARY, Severity.ERROR, "not UTF-8 text", "save the file as UTF-8")


Linter = Callable[[str, str], list[Finding]]


def _kubernetes(config: LintConfig) -> tuple[Linter, Callable[[str], bool]]:
    try:
        k8s = importlib.import_module("slimgo.lint.k8s")
    except ImportError:  # this build has no Kubernetes linter: no YAML file is a lint target
        return _no_kubernetes, lambda _text: False

    def lint(path: str, text: str) -> list[Finding]:
        result: list[Finding] = k8s.lint_kubernetes(path, text, level=config.level, version=config.psa_version,
                                                    image=config.image, namespaces=config.namespaces)
        return result

    return lint, k8s.is_kubernetes_yaml


def _no_kubernetes(path: str, text: str) -> list[Finding]:
    raise LintError(path, "Kubernetes manifests cannot be linted by this build", "lint Dockerfiles only")


def _linter(kind: str, config: LintConfig) -> Linter:
    if kind == DOCKERFILE:
        from slimgo.lint.dockerfile import lint_dockerfile

        return lint_dockerfile
    if kind == DOCKERIGNORE:
        module = importlib.import_module("slimgo.lint.dockerignore")
        linter: Linter = module.lint_dockerignore
        return linter
    return _kubernetes(config)[0]


def suppressed_rules(lines: list[str], line: int) -> set[str]:
    """Rule IDs named by `slimgo-ignore:` on ``line`` or the line above (1-based; 0 means the whole file)."""
    rules: set[str] = set()
    for n in {max(line, 1), line - 1}:
        if 1 <= n <= len(lines):
            for m in _IGNORE.finditer(lines[n - 1]):
                rules.update(r.strip() for r in m.group(1).split(","))
    return rules


def lint_text(path: str, text: str, kind: str, config: LintConfig) -> tuple[list[Finding], int]:
    """Lint one file's text; return the kept findings and how many were suppressed."""
    findings = _linter(kind, config)(path, text)
    lines = text.splitlines()
    kept: list[Finding] = []
    dropped = 0
    for finding in findings:
        if finding.rule in config.disable or finding.rule in suppressed_rules(lines, finding.line):
            dropped += 1
            continue
        severity = config.severity.get(finding.rule)
        kept.append(finding if severity is None else replace(finding, severity=severity))
    return kept, dropped


def lint_paths(paths: Iterable[str], config: LintConfig | None = None) -> LintReport:
    """Lint every file under ``paths``; every finding, sorted by file and line."""
    config = config or LintConfig()
    report = LintReport()
    k8s_check: Callable[[str], bool] | None = None
    manifests: list[tuple[str, str]] = []  # linted last: a Namespace in any file sets the policy of its workloads
    for item in discover(paths):
        if isinstance(item, Finding):
            if item.rule not in config.disable:
                report.findings.append(item)
            continue
        text = read_text(item.path)
        if isinstance(text, Finding):
            report.findings.append(text)
            report.files.append(str(item.path))
            continue
        kind = item.kind
        if kind == DOCKERFILE and item.explicit and kind_of(item.path) is None:
            # a file with an unknown name given by hand: a manifest if it says so, else a Dockerfile
            k8s_check = k8s_check or _kubernetes(config)[1]
            kind = KUBERNETES if k8s_check(text) else DOCKERFILE
        elif kind == KUBERNETES:
            k8s_check = k8s_check or _kubernetes(config)[1]
            if not k8s_check(text):
                if item.explicit and SG005_NOT_LINTABLE in config.disable:
                    report.suppressed += 1
                elif item.explicit:
                    report.findings.append(_finding(
                        item.path, SG005_NOT_LINTABLE, "YAML without any Kubernetes workload (Pod, Deployment, "
                        "StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)",
                        "pass Kubernetes manifests, Dockerfiles or .dockerignore files", Severity.INFO))
                    report.files.append(str(item.path))
                continue
        report.files.append(str(item.path))
        if kind == KUBERNETES:
            manifests.append((str(item.path), text))
            continue
        findings, dropped = lint_text(str(item.path), text, kind, config)
        report.findings.extend(findings)
        report.suppressed += dropped
    if manifests:
        namespaces = importlib.import_module("slimgo.lint.k8s").namespace_labels(text for _, text in manifests)
        config = replace(config, namespaces=namespaces)
    for path, text in manifests:
        findings, dropped = lint_text(path, text, KUBERNETES, config)
        report.findings.extend(findings)
        report.suppressed += dropped
    report.findings.sort()
    return report


def failing(findings: Iterable[Finding], fail_on: str) -> bool:
    """Whether any finding is at or above ``fail_on`` (error, warning, info; ``never`` never fails)."""
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(f.severity.rank >= threshold for f in findings)
