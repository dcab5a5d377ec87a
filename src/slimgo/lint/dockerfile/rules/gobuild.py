"""Rules on how Go is built: static, stripped, trimmed, cached, cross-compiled, tools pinned."""

from __future__ import annotations

__all__ = ["CHECKS"]

import re
from collections.abc import Iterator

from slimgo.lint.dockerfile.catalog import RULES
from slimgo.lint.dockerfile.facts import Facts, Run, installed_packages
from slimgo.lint.dockerfile.hidden import runs_hidden_build
from slimgo.lint.dockerfile.images import has_c_compiler, libc_of, parse_ref
from slimgo.lint.dockerfile.parse import Instruction, Stage
from slimgo.lint.dockerfile.shell import go_build, is_go, ldflag_words
from slimgo.lint.findings import Finding

# packages that give cgo a C compiler; *-dev libraries only matter with one
_C_COMPILERS = re.compile(r"^(gcc|g\+\+|clang|build-base|build-essential|musl-tools|gcc-[a-z0-9-]+|cc)$")


def _compiler_in(f: Facts, stage: Stage) -> bool | None:
    """Whether the builder can run a C compiler: its base ships one, or a RUN installs one."""
    for s in stage.chain():
        for run in f.runs[s.index]:
            pkgs = installed_packages(run.cmd)
            if pkgs and any(_C_COMPILERS.match(p) for p in pkgs):
                return True
    return has_c_compiler(stage.root.image)


def _build_runs(f: Facts, stage: Stage) -> list[Run]:
    return [r for r in f.runs[stage.index] if is_go(r.cmd, "build")]


def _links_statically(run: Run) -> bool:
    """`-extldflags -static` (or `--static`), or the netgo and osusergo tags with cgo merely not switched off."""
    opts = go_build(run.cmd)
    if "-static" in (opts.ldflags or "") or "-static" in (run.cmd.expanded_env.get("CGO_LDFLAGS") or ""):
        return True
    tags = set(re.split(r"[,\s]+", opts.tags or ""))
    return run.cmd.expanded_env.get("CGO_ENABLED") is None and {"netgo", "osusergo"} <= tags


def _cgo_finding(f: Facts, stage: Stage, run: Run) -> Finding | None:
    """SG110 when the build makes a binary that needs a C library the final stage does not have."""
    cgo = run.cmd.expanded_env.get("CGO_ENABLED")
    if cgo == "0" or (cgo is not None and "$" in cgo) or _links_statically(run):
        return None
    builder = stage.root.image
    compiler = _compiler_in(f, stage)
    if cgo is None and compiler is False:
        return None  # no C compiler: the go command turns cgo off by itself
    final = f.df.final.root.image
    final_libc = libc_of(final)
    built_with = libc_of(builder) or "a C library"
    why = ("CGO_ENABLED is 1" if cgo is not None else
           f"CGO_ENABLED is not set and {builder} has a C compiler" if compiler else
           f"CGO_ENABLED is not set (cgo is on if {builder} has a C compiler)")
    if run.via:
        why += f" (go build in {run.via})"
    if f.final_base.has_libc is False:
        return RULES["SG110"].finding(
            f.path, run.ins.line, f"{why}, so the binary links {built_with} dynamically (net, os/user), and the "
            f"final base {final} has no C library: the container cannot start",
        )
    if final_libc is not None and built_with in ("glibc", "musl") and final_libc != built_with:
        return RULES["SG110"].finding(
            f.path, run.ins.line, f"{why}, so the binary links {built_with} dynamically, and the final base "
            f"{final} has {final_libc}: the binary cannot start there",
            fix=f"set CGO_ENABLED=0, or build on a {final_libc} image to match the final base",
        )
    return None


def static_stripped(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for run in _build_runs(f, stage):
            cgo = _cgo_finding(f, stage, run)
            if cgo is not None:
                yield cgo
            opts = go_build(run.cmd)
            flags = ldflag_words(opts.ldflags or "")
            where = f" (go build in {run.via})" if run.via else ""
            if ("-s" not in flags or "-w" not in flags) and not opts.for_debugger:
                missing = " and ".join(x for x in ("-s", "-w") if x not in flags)
                yield RULES["SG111"].finding(
                    f.path, run.ins.line, f"-ldflags lacks {missing}{where}: symbol table and DWARF stay in the "
                    "binary",
                )
            if not opts.trimpath:
                yield RULES["SG112"].finding(
                    f.path, run.ins.line, f"go build without -trimpath{where} records build paths in the binary",
                )


def _copies_context_root(ins: Instruction) -> bool:
    if ins.cmd not in {"COPY", "ADD"} or ins.flag("from"):
        return False
    return any(src.rstrip("/") in {".", "./", ""} or src in {"./", "."} for src in ins.args[:-1])


def _copies_gomod(ins: Instruction) -> bool:
    return ins.cmd in {"COPY", "ADD"} and any(s.rstrip("/").endswith("go.mod") for s in ins.args[:-1])


def module_cache_order(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        builds = _build_runs(f, stage)
        if not builds or any(go_build(r.cmd).mod_vendor for r in builds):
            continue
        gomod_copied = False
        downloaded = False
        for ins in stage.all_instructions():
            if _copies_context_root(ins):
                if not (gomod_copied and downloaded):
                    yield RULES["SG120"].finding(
                        f.path, ins.line, "the whole context is copied before `go mod download`: any source "
                        "change invalidates the module download layer",
                    )
                break
            if _copies_gomod(ins):
                gomod_copied = True
            if ins.cmd == "RUN" and gomod_copied and re.search(r"\bgo\s+mod\s+download\b", ins.script):
                downloaded = True


_GOCACHE_DEFAULT = "/root/.cache/go-build"
_GOMODCACHE_DEFAULT = "/go/pkg/mod"


def _covers(target: str, path: str | None, marker: str) -> bool:
    target = target.rstrip("/")
    if not target:
        return False
    if marker in target or marker.upper() in target:
        return True
    return path is not None and (path == target or path.startswith(target + "/"))


def _cache_paths(ins: Instruction) -> tuple[str, str]:
    gopath = ins.env.get("GOPATH") or "/go"
    gocache = ins.env.get("GOCACHE") or _GOCACHE_DEFAULT
    gomodcache = ins.env.get("GOMODCACHE") or f"{gopath.split(':')[0]}/pkg/mod"
    return gocache, gomodcache


def cache_mounts(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        runs = f.runs[stage.index]
        # when the download used a cache mount, the modules are not in any layer: go build must mount them too
        # (a download in a stage this one is built FROM counts: its layer holds the modules)
        downloads = [r for s in stage.chain() for r in f.runs[s.index] if _is_download(r)]
        build_lines = {r.ins.line for r in runs if is_go(r.cmd, "build")}
        download_lines = {r.ins.line for r in runs if _is_download(r)}
        seen: set[int] = set()
        for run in runs:
            # one RUN may download and build: judge the instruction, not each command of it
            is_build = run.ins.line in build_lines
            is_download = run.ins.line in download_lines
            if run.ins.line in seen or not (is_build or is_download):
                continue
            seen.add(run.ins.line)
            gocache, gomodcache = _cache_paths(run.ins)
            targets = [m.target for m in run.ins.mounts if m.type == "cache"]
            has_mod = any(_covers(t, gomodcache, "pkg/mod") or "gomodcache" in t.lower() for t in targets)
            has_build = any(_covers(t, gocache, "go-build") or "gocache" in t.lower() for t in targets)
            missing = []
            if is_build and not has_build:
                missing.append(f"the build cache ({gocache})")
            if not has_mod and (is_download or not downloads or _downloads_cached(downloads)):
                missing.append(f"the module cache ({gomodcache})")
            if missing:
                yield RULES["SG121"].finding(
                    f.path, run.ins.line, f"no BuildKit cache mount for {' or '.join(missing)}: every build "
                    "starts cold",
                )


def _is_download(run: Run) -> bool:
    return is_go(run.cmd, "mod") and "download" in run.cmd.words[2:3]


def _downloads_cached(downloads: list[Run]) -> bool:
    return any(m.type == "cache" for r in downloads for m in r.ins.mounts)


_REMOTE_PKG = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}(/|$)")


def go_install_pinned(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        for run in f.runs[stage.index]:
            if not is_go(run.cmd, "install"):
                continue
            for pkg in go_build(run.cmd).packages:
                path, _, version = pkg.partition("@")
                if _REMOTE_PKG.match(path) and version in {"", "latest"}:
                    what = "@latest" if version else "no @version"
                    yield RULES["SG163"].finding(
                        f.path, run.ins.line, f"go install {pkg} with {what}: the tool changes under you",
                        fix=f"pin it: go install {path}@vX.Y.Z",
                    )


def _platform_of(stage: Stage) -> str | None:
    for s in stage.chain():
        if s.platform is not None:
            return s.platform
    return None


def _refers(value: str | None, name: str) -> bool:
    return value is not None and re.search(rf"\$\{{?{name}\b", value) is not None


# ARGs that carry the target platform; xx's tools read any of them and fall back to the build machine without
_TARGET_ARGS = ("TARGETPLATFORM", "TARGETARCH", "TARGETPAIR")
_XX_TARGET = re.compile(r"\bxx-info\b|\bxx-go\s+env\b")


def _targets_arch(values: list[str | None], declared: set[str]) -> bool:
    """Whether a GOARCH value comes from the target platform: $TARGETARCH, $TARGETPLATFORM or xx-info."""
    for value in values:
        if value is None:
            continue
        if any(_refers(value, arg) and arg in declared for arg in _TARGET_ARGS):
            return True
        if _XX_TARGET.search(value) and declared & set(_TARGET_ARGS):
            return True
    return False


def _go_env_goarch(f: Facts, stage: Stage, before_line: int) -> list[str | None]:
    """GOARCH values written by `go env -w` (or wrapped in by `xx-go --wrap`) earlier in the stage chain."""
    found: list[str | None] = []
    for s in stage.chain():
        for run in f.runs[s.index]:
            if s is stage and run.ins.line >= before_line:
                continue
            words = run.cmd.words
            if words[0].endswith("xx-go") and "--wrap" in words[1:]:
                found.append("$(xx-go env GOARCH)")  # from here on `go` is xx-go
            elif is_go(run.cmd, "env") and "-w" in words[2:]:
                found += [w.partition("=")[2] for w in words[2:] if w.startswith("GOARCH=")]
    return found


def cross_compile(f: Facts) -> Iterator[Finding]:
    builders = f.builder_stages()
    reported_roots: set[int] = set()
    for stage in builders:
        platform = _platform_of(stage)
        on_build_platform = platform is not None and "BUILDPLATFORM" in platform
        if not on_build_platform:
            # --platform belongs on the FROM that names the image, which may be a stage this one builds on
            root = stage.root
            if root.index not in reported_roots:
                reported_roots.add(root.index)
                via = "" if root is stage else f" (built FROM {root.label()})"
                yield RULES["SG170"].finding(
                    f.path, root.line, f"builder {stage.label()}{via} has no --platform=$BUILDPLATFORM: a "
                    "multi-arch build compiles under QEMU emulation, many times slower",
                    fix=f"FROM --platform=$BUILDPLATFORM {root.raw_image}{f' AS {root.name}' if root.name else ''}"
                    ", and cross-compile with GOOS=$TARGETOS GOARCH=$TARGETARCH",
                )
            continue
        declared = {a for s in stage.chain() for a in s.declared_args}
        for run in _build_runs(f, stage):
            goarch = [run.cmd.env.get("GOARCH"), run.cmd.expanded_env.get("GOARCH")]
            if run.cmd.words[0].endswith("xx-go"):
                goarch.append("$(xx-go env GOARCH)")  # xx-go sets GOOS/GOARCH from the target platform itself
            if _targets_arch([*goarch, *_go_env_goarch(f, stage, run.ins.line)], declared):
                continue
            uses_xx = any(v is not None and "xx-" in v for v in goarch)
            why = ("xx reads the target from ARG TARGETPLATFORM or TARGETARCH, which this stage does not declare"
                   if uses_xx else "GOARCH does not come from an ARG TARGETARCH declared in the stage")
            yield RULES["SG171"].finding(
                f.path, run.ins.line, f"{stage.label()} runs on $BUILDPLATFORM but its go build does not target "
                f"the platform being built ({why}): every platform gets the build machine's binary",
            )


def _looks_like_go(f: Facts, stage: Stage) -> bool:
    if parse_ref(stage.root.image).repository in {"golang", "tinygo/tinygo"}:
        return True
    for s in stage.chain():
        if any(r.cmd.words[0].rsplit("/", 1)[-1] in {"go", "xx-go"} for r in f.runs[s.index]):
            return True
        if any(ins.cmd in {"COPY", "ADD"} and any(a.endswith("go.mod") for a in ins.args) for ins in s.instructions):
            return True
    return False


def hidden_build(f: Facts) -> Iterator[Finding]:
    for stage in f.df.stages:
        runs = f.runs[stage.index]
        if any(is_go(r.cmd, "build") or is_go(r.cmd, "install") for r in runs) or not _looks_like_go(f, stage):
            continue
        handoff = next((r for r in runs if r.via is None and runs_hidden_build(r.cmd.words)), None)
        if handoff is None:
            continue
        shown = " ".join(handoff.cmd.words[:3])
        read = next((r.via for r in runs if r.via and r.ins.line == handoff.ins.line), None)
        why = (f"{read} holds no go build slimgo can see" if read else
               "the Makefile or script it runs was not found next to the Dockerfile" if f.context else
               "the Makefile or script it runs is not available here")
        yield RULES["SG169"].finding(
            f.path, handoff.ins.line, f"`{shown}` builds the program out of sight ({why}): its go build flags "
            "(CGO_ENABLED, -trimpath, -ldflags) could not be checked",
        )


def final_platform(f: Facts) -> Iterator[Finding]:
    final = f.df.final
    platform = _platform_of(final)
    if platform is not None and "BUILDPLATFORM" in platform:
        where = next(s for s in final.chain() if s.platform is not None)
        yield RULES["SG172"].finding(
            f.path, where.line, f"the final stage is FROM --platform={platform}: every platform's image gets "
            f"{final.root.image} for the build machine's architecture, so binaries and libraries from it (or the "
            "image's platform itself) do not match the target",
            fix=f"drop --platform from the final FROM: FROM {where.raw_image}",
        )


CHECKS = [static_stripped, module_cache_order, cache_mounts, go_install_pinned, cross_compile, hidden_build,
          final_platform]
