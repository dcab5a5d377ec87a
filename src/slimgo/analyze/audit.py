"""The attack-surface audit: what in an image could help an attacker (shells, package managers, setuid files,
compilers, secrets...), each finding with a rule id, severity, path or config key, layer and fix."""

from __future__ import annotations

__all__ = ["RULES", "Finding", "audit"]

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from slimgo.analyze.merge import Merged
from slimgo.analyze.scan import Entry, LayerScan
from slimgo.layercheck import UNSAFE_FIX
from slimgo.oci.config import ImageConfig

BIN_DIRS = frozenset({"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"})
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish"})
PACKAGE_MANAGERS = frozenset({"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper",
                              "pip", "pip3", "npm", "gem"})
COMPILER = re.compile(r"^(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|tcc|rustc|javac)(-[0-9.]+)?$")
GO_TOOL = re.compile(r"(^|/)(go/bin/go|pkg/tool/[^/]+/compile)$|^/usr/lib/go-[^/]+/bin/go$")
# Files that hold credentials (dockle's CIS-DI-0010 list, and the usual cloud and registry ones).
SECRET_NAMES = frozenset({".env", ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".pgpass", ".htpasswd",
                          "credentials.json", "credential.json", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
                          "application_default_credentials.json", "service-account.json"})
SECRET_SUFFIXES = ("/.docker/config.json", "/.aws/credentials", "/.aws/config", "/.kube/config",
                   "/.azure/accessTokens.json", "/.config/gcloud/credentials.db", "/.ssh/authorized_keys")
# dockle's suspicious ENV key words (GPG_KEY accepted), plus token shapes worth flagging wherever they appear.
SUSPICIOUS_KEY = re.compile(r"PASSWD|PASSWORD|SECRET|KEY|ACCESS|TOKEN|CREDENTIAL")
ACCEPTED_KEYS = frozenset({"GPG_KEY", "GPG_KEYS"})
TOKEN_VALUE = re.compile(r"AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20}"
                         r"|xox[baprs]-[A-Za-z0-9-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|sk_live_[0-9a-zA-Z]{24}")
ENV_IN_HISTORY = re.compile(r"\bENV\s+([A-Za-z_][A-Za-z0-9_]*)[= ]")

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # error | warning | info
    path: str  # a path in the image, or a config key ("config.User", "config.Env.API_TOKEN")
    layer: str | None  # digest of the layer that holds it; None for config findings
    message: str
    fix: str


# rule id -> (severity, title, fix). Image audit rules are SG300-SG399 (lint's are SG001-SG299 and SG400-SG499).
RULES: dict[str, tuple[str, str, str]] = {
    "SG301": ("warning", "shell in the image", "rebuild on a base without a shell (slimgo build --base static)"),
    "SG302": ("warning", "package manager in the image",
              "install packages in a build stage and copy only what runs into the final image"),
    "SG303": ("info", "package database", "a final image needs no package database; use a distroless base"),
    "SG304": ("warning", "setuid file", "drop the setuid bit (chmod u-s) or remove the file"),
    "SG305": ("warning", "setgid file", "drop the setgid bit (chmod g-s) or remove the file"),
    "SG306": ("warning", "world-writable path without the sticky bit", "chmod o-w, or add the sticky bit to dirs"),
    "SG307": ("warning", "file capabilities (security.capability)", "drop the capability (setcap -r)"),
    "SG308": ("warning", "compiler left in the image", "compile in a build stage; copy only the output"),
    "SG309": ("warning", "Go toolchain left in the image", "build in a golang stage; copy only the binary"),
    "SG310": ("error", "secret file (CIS-DI-0010)",
              "never COPY credentials into an image: use build secrets (RUN --mount=type=secret)"),
    "SG311": ("error", "credential in ENV, label or history (CIS-DI-0010)",
              "pass secrets at run time (env from a secret store), never bake them into the config"),
    "SG312": ("warning", "runs as root", "set USER to a numeric non-root id (e.g. USER 65532)"),
    "SG313": ("info", "USER is a name, not a number", "use a numeric USER so runAsNonRoot can verify it"),
    "SG314": ("info", "shell-form entrypoint", "use the exec form: ENTRYPOINT [\"/app\"]"),
    "SG317": ("warning", "layer inflates far beyond its compressed size (a decompression bomb?)",
              "check what the layer holds; a real layer rarely compresses better than 100:1"),
    # Not an SG3xx id: the finding `lint --image` gives the same entries (SG444), judged by slimgo.layercheck.
    "SG444": ("error", "unsafe layer entry", UNSAFE_FIX),
}
BOMB_RATIO = 100
BOMB_MIN = 64 << 20  # small layers of zeros are harmless whatever their ratio


def _finding(rule: str, path: str, layer: str | None, detail: str) -> Finding:
    severity, title, fix = RULES[rule]
    return Finding(rule, severity, path, layer, f"{title}: {detail}" if detail else title, fix)


def audit(scans: Sequence[LayerScan], merged: Merged, config: ImageConfig) -> list[Finding]:
    digest = [scan.digest for scan in scans]
    findings = [*_filesystem(merged, digest), *_packages(scans, merged), *_secrets(scans, merged),
                *_config(config), *_unsafe(scans)]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.rule, f.path))


def _filesystem(merged: Merged, digest: list[str]) -> Iterator[Finding]:
    busybox_links = sum(1 for live in merged.live.values()
                        if live.entry.kind in ("symlink", "hardlink") and live.entry.linkname.endswith("busybox"))
    for path, live in merged.live.items():  # the caller sorts the findings
        entry, mode, kind = live.entry, live.entry.mode, live.entry.kind
        directory = path.rpartition("/")[0] or "/"
        if directory in BIN_DIRS or "go" in path:
            yield from _binary(path, entry, digest[live.layer], busybox_links)
        if not (mode & 0o6002 or entry.capability):
            continue  # the common case: nothing below applies
        layer = digest[live.layer]
        if kind == "file" and mode & 0o4000:
            yield _finding("SG304", path, layer, f"mode {mode:o}, owner uid {entry.uid}")
        if kind == "file" and mode & 0o2000:
            yield _finding("SG305", path, layer, f"mode {mode:o}, group gid {entry.gid}")
        if kind in ("file", "dir") and mode & 0o002 and not mode & 0o1000:
            yield _finding("SG306", path, layer, f"mode {mode:o}")
        if entry.capability:
            yield _finding("SG307", path, layer, "")


def _binary(path: str, entry: Entry, layer: str, busybox_links: int) -> Iterator[Finding]:
    if entry.kind == "dir":
        return
    directory, name = posixpath.split(path)
    in_bin = directory in BIN_DIRS
    if in_bin and name == "busybox":
        yield _finding("SG301", path, layer, f"busybox with {busybox_links} applet links")
    elif in_bin and name in SHELLS and not entry.linkname.endswith("busybox"):
        yield _finding("SG301", path, layer, name + (f" -> {entry.linkname}" if entry.linkname else ""))
    if in_bin and name in PACKAGE_MANAGERS:
        yield _finding("SG302", path, layer, name)
    if in_bin and COMPILER.match(name):
        yield _finding("SG308", path, layer, name)
    if entry.kind == "file" and GO_TOOL.search(path):
        yield _finding("SG309", path, layer, "")


def dpkg_packages(status: bytes) -> list[str]:
    names, current = [], ""
    for line in status.decode("utf-8", "replace").splitlines():
        if line.startswith("Package:"):
            current = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and line.split(":", 1)[1].split()[-1:] == ["installed"] and current:
            names.append(current)
    return sorted(set(names))


def apk_packages(installed: bytes) -> list[str]:
    return sorted({line[2:].strip() for line in installed.decode("utf-8", "replace").splitlines()
                   if line.startswith("P:")})


def _packages(scans: Sequence[LayerScan], merged: Merged) -> Iterator[Finding]:
    for path, parse in (("/var/lib/dpkg/status", dpkg_packages), ("/lib/apk/db/installed", apk_packages)):
        live = merged.live.get(path)
        if live is None:
            continue
        data = scans[live.layer].captured.get(path, b"")
        names = parse(data)
        shown = ", ".join(names[:15]) + (", ..." if len(names) > 15 else "")
        yield _finding("SG303", path, scans[live.layer].digest, f"{len(names)} packages ({shown})")


def _secret_file(entry: Entry, captured: bytes | None) -> str | None:
    if entry.kind == "dir":
        return "a .git directory (history may hold secrets)" if entry.base == ".git" else None
    if entry.kind != "file":
        return None
    if captured is not None and b"PRIVATE KEY-----" in captured:
        return "a private key"
    if entry.base in SECRET_NAMES or entry.path.endswith(SECRET_SUFFIXES):
        return f"a credential file ({entry.base})"
    return None


def _secrets(scans: Sequence[LayerScan], merged: Merged) -> Iterator[Finding]:
    """Every layer, not only the final view: a secret deleted by a later layer is still in the image."""
    for scan in scans:
        for entry in scan.entries:
            name = entry.path.rpartition("/")[2]
            if not (name in SECRET_NAMES or name == ".git" or entry.path in scan.captured
                    or entry.path.endswith(SECRET_SUFFIXES)):
                continue  # the common case, decided without a call
            what = _secret_file(entry, scan.captured.get(entry.path))
            if what is None:
                continue
            live = merged.live.get(entry.path)
            gone = live is None or live.layer != scan.index
            note = " (deleted or replaced by a later layer, but still readable in this one)" if gone else ""
            yield _finding("SG310", entry.path, scan.digest, what + note)


def _config(config: ImageConfig) -> Iterator[Finding]:
    user = config.user.split(":", 1)[0]
    if user in ("", "root", "0"):
        yield _finding("SG312", "config.User", None, f"User is {config.user or 'empty'}")
    elif not user.isdigit():
        yield _finding("SG313", "config.User", None, f"User is {config.user}")
    shell_form = (["/bin/sh", "-c"], ["sh", "-c"])
    if config.entrypoint[:2] in shell_form or (not config.entrypoint and config.cmd[:2] in shell_form):
        yield _finding("SG314", "config.Entrypoint", None, " ".join(config.entrypoint or config.cmd))
    yield from _config_secrets(config)


def _suspicious(key: str) -> bool:
    return key.upper() not in ACCEPTED_KEYS and SUSPICIOUS_KEY.search(key.upper()) is not None


def _config_secrets(config: ImageConfig) -> Iterator[Finding]:
    for item in config.env:
        key, _, value = item.partition("=")
        if _suspicious(key) or TOKEN_VALUE.search(value):
            yield _finding("SG311", f"config.Env.{key}", None, f"suspicious ENV key {key}")
    for key, value in config.labels.items():
        if TOKEN_VALUE.search(str(value)):
            yield _finding("SG311", f"config.Labels.{key}", None, "a token-shaped label value")
    for i, step in enumerate(config.history):
        created_by = str(step.get("created_by") or "")
        if TOKEN_VALUE.search(created_by):
            yield _finding("SG311", f"history[{i}]", None, "a token-shaped value in created_by")
        for key in ENV_IN_HISTORY.findall(created_by):
            if _suspicious(key) and not any(e.startswith(key + "=") for e in config.env):
                yield _finding("SG311", f"history[{i}]", None, f"suspicious ENV key {key} set while building")


def _unsafe(scans: Sequence[LayerScan]) -> Iterator[Finding]:
    for scan in scans:
        if scan.uncompressed_size > BOMB_MIN and scan.uncompressed_size > BOMB_RATIO * max(scan.size, 1):
            yield _finding("SG317", "/", scan.digest, f"{scan.size} bytes inflate to {scan.uncompressed_size} "
                           f"({scan.uncompressed_size // max(scan.size, 1)}:1)")
        for name, why in scan.unsafe:  # the verdict of slimgo.layercheck, as run and lint --image give it
            yield _finding("SG444", name, scan.digest, why)
