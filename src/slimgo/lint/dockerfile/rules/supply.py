"""Rules on what a build fetches: unverified downloads, plain-http repositories, upgrades, modules changed mid-build."""

from __future__ import annotations

__all__ = ["CHECKS"]

import re
from collections.abc import Iterator

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts, Run
from slimgo.lint.dockerfile.shell import is_go
from slimgo.lint.findings import Finding

_DOWNLOADERS = frozenset({"curl", "wget"})
_URL = re.compile(r"^(https?|ftp)://", re.I)
# what a download is when its name says it is a program or an archive of one
_ARTIFACT = re.compile(
    r"\.(tar|tgz|tbz2?|txz|tzst|gz|xz|bz2|zst|zip|7z|deb|rpm|apk|jar|war|bin|exe|run|appimage|so|sh)$"
    r"|/releases/download/|/-/releases/|/bin/[^/]+$", re.I)
# a download piped into a shell or an unpacker runs or unpacks what arrived, unseen
_PIPED = re.compile(r"\b(curl|wget)\b[^|;&\n]*\|\s*(sudo\s+)?(sh|bash|ash|dash|zsh|tar|python3?|perl|gunzip|bsdtar)\b")
_VERIFIERS = re.compile(r"\b(sha(1|224|256|384|512)sum|shasum|b2sum|b3sum|gpgv?|cosign|minisign|signify|"
                        r"slsa-verifier|openssl\s+dgst|checksum)\b")


def _downloaded_urls(run: Run) -> list[str]:
    words = run.cmd.words
    if words[0].rsplit("/", 1)[-1] not in _DOWNLOADERS:
        return []
    return [w for w in words[1:] if _URL.match(w)]


def unverified_download(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        seen: set[int] = set()
        for run in f.runs[stage.index]:
            line = run.ins.line
            if line in seen:
                continue
            script = run.ins.script
            piped = _PIPED.search(script) is not None
            urls = [u for u in _downloaded_urls(run) if piped or _ARTIFACT.search(u.split("?", 1)[0])]
            if not urls or _VERIFIERS.search(script):
                continue
            seen.add(line)
            how = "runs or unpacks it straight from the pipe" if piped else "uses it"
            yield RULES["SG165"].finding(
                f.path, line, f"{run.cmd.words[0]} {urls[0]} downloads a program or archive and {how} without "
                "checking a checksum or signature in the same RUN: a changed or hijacked file goes into the image",
            )


_HTTP_REPO = re.compile(
    r"\bdeb(-src)?\s+(\[[^\]]*\]\s+)?http://|--repository[= ]+['\"]?http://|\s-X\s+['\"]?http://"
    r"|--add-repo[= ]+['\"]?http://|baseurl\s*=\s*http://|http://\S+['\"]?\s*>>?\s*/etc/apk/repositories"
    r"|\bs[|#/,]https://[^|#/,]*[|#/,]http://", re.I)


def plain_http_repositories(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for ins in stage.instructions:
            if ins.cmd != "RUN":
                continue
            m = _HTTP_REPO.search(ins.script)
            if m is not None:
                yield RULES["SG166"].finding(
                    f.path, ins.line, f"a package repository is added over plain http:// ({m.group(0).strip()}): "
                    "anyone on the network path sees what is installed and can serve stale or withheld metadata",
                )


_UPGRADES = {"apt-get": {"upgrade", "dist-upgrade", "full-upgrade"}, "apt": {"upgrade", "full-upgrade"},
             "apk": {"upgrade"}, "yum": {"update", "upgrade"}, "dnf": {"update", "upgrade", "distro-sync"},
             "microdnf": {"update", "upgrade"}, "zypper": {"update", "up", "dist-upgrade", "dup"},
             "tdnf": {"update", "upgrade"}}  # fmt: skip


def final_stage_upgrade(f: Facts) -> Iterator[Finding]:
    final = f.df.final
    for stage in final.chain():
        for run in f.runs[stage.index]:
            words = run.cmd.words
            verbs = _UPGRADES.get(words[0].rsplit("/", 1)[-1], set())
            verb = next((w for w in words[1:] if w in verbs), None)
            if verb is not None or (words[0] == "apk" and "--upgrade" in words[1:]):
                yield RULES["SG167"].finding(
                    f.path, run.ins.line, f"`{words[0]} {verb or 'add --upgrade'}` in the final stage: what the image "
                    "holds depends on the day it was built, and the base's digest no longer says what is inside",
                )


def modules_changed_in_build(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for run in f.runs[stage.index]:
            words = run.cmd.words
            tidy = is_go(run.cmd, "mod") and "tidy" in words[2:3]
            if tidy or is_go(run.cmd, "get"):
                what = "go mod tidy" if tidy else "go get"
                yield RULES["SG168"].finding(
                    f.path, run.ins.line, f"`{what}` during the build changes go.mod and go.sum: the image is "
                    "built from dependencies nobody reviewed, fetched at build time",
                )


CHECKS = [unverified_download, plain_http_repositories, final_stage_upgrade, modules_changed_in_build]
