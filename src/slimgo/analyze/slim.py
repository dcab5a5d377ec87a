"""`slim`: re-package an image's entrypoint binary onto the static base, with exactly what it needs to run: the
binary alone when it is static, else its ELF interpreter, its DT_NEEDED libraries (transitively) and glibc's NSS
modules, all taken from the image itself; plus files the user keeps."""

from __future__ import annotations

__all__ = ["SlimReport", "slim_image", "slim_report", "slim_verdict"]

import posixpath
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slimgo.analyze.view import MergedView
from slimgo.base.static import NONROOT_UID, rootfs_entries
from slimgo.errors import SlimgoError, UsageError
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig, env_get
from slimgo.oci.image import Layer, StoredImage, assemble

INTERPRETERS = ("python", "node", "java", "ruby", "perl", "php", "bash", "sh", "dash", "ash", "busybox", "deno",
                "bun", "dotnet", "lua", "Rscript")
LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib")
NSS = ("libnss_files.so.2", "libnss_dns.so.2")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
READ_LIMIT = 1 << 30


class SlimRefused(SlimgoError):
    """The image cannot be slimmed this way (a script, an interpreter, no entrypoint)."""


@dataclass
class SlimPlan:
    binary: str
    linking: str  # static | dynamic
    files: dict[str, bytes] = field(default_factory=dict)  # path in the new image -> contents
    modes: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # the name the entrypoint uses -> the file it reaches


def _argv(config: ImageConfig, where: str) -> list[str]:
    argv = config.entrypoint + config.cmd
    if not argv:
        raise SlimRefused(where, "has no Entrypoint or Cmd, so there is no program to keep",
                          "set an ENTRYPOINT, or build the program with slimgo build")
    return argv


def find_entrypoint(rootfs: MergedView, config: ImageConfig, where: str) -> tuple[str, str]:
    """The name the image runs its program by (after PATH) and the file it is (symlinks resolved in the image)."""
    argv = _argv(config, where)
    program = argv[0]
    name = posixpath.basename(program)
    if any(re.fullmatch(re.escape(i) + r"[0-9.]*", name) for i in INTERPRETERS):
        raise SlimRefused(where, f"runs {program}, an interpreter or shell: what it runs is a script whose "
                          "dependencies slimgo cannot see", "slim images whose entrypoint is a compiled binary")
    candidates = [program] if "/" in program else [
        posixpath.join(d, program) for d in (env_get(config.env, "PATH") or DEFAULT_PATH).split(":") if d]
    if "/" in program and not program.startswith("/"):
        candidates = [posixpath.join(config.working_dir or "/", program)]
    for candidate in candidates:
        node = rootfs.resolve(candidate)
        if node is not None and node.kind == "file":
            return candidate, node.path
    raise SlimRefused(where, f"runs {program}, which is not a file in the image (looked at "
                      f"{', '.join(candidates)})", "fix the image's ENTRYPOINT")


def plan_slim(rootfs: MergedView, config: ImageConfig, where: str, keep: Sequence[str], scratch: Path) -> SlimPlan:
    from slimgo.elf._reader import open_elf
    from slimgo.elf.linking import linking_of

    called, binary = find_entrypoint(rootfs, config, where)
    data = rootfs.read(binary, READ_LIMIT)
    if data.startswith(b"#!"):
        interpreter = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        raise SlimRefused(where, f"runs {binary}, a script for {interpreter}",
                          "slim images whose entrypoint is a compiled binary")
    if not data.startswith(b"\x7fELF"):
        raise SlimRefused(where, f"runs {binary}, which is not an ELF binary", "slim compiled programs only")
    local = scratch / "entrypoint"
    local.write_bytes(data)
    linking = linking_of(open_elf(local))
    node = rootfs.resolve(binary)
    plan = SlimPlan(binary, "static" if linking.static else "dynamic")
    if called != binary:
        plan.links[called] = binary  # keep the name the entrypoint uses working
    plan.files[binary], plan.modes[binary] = data, (node.mode if node else 0o755) & 0o7555
    if not linking.static:
        _add_libraries(rootfs, plan, linking.interpreter, linking.needed, scratch)
    for path in keep:
        _keep(rootfs, plan, path, where)
    return plan


def _lib_path(rootfs: MergedView, name: str) -> str | None:
    for directory in LIB_DIRS:
        node = rootfs.resolve(posixpath.join(directory, name))
        if node is not None and node.kind == "file":
            return posixpath.join(directory, name)
    return None


def _add_libraries(rootfs: MergedView, plan: SlimPlan, interpreter: str | None, needed: list[str],
                   scratch: Path) -> None:
    from slimgo.elf._reader import open_elf
    from slimgo.elf.linking import linking_of

    if interpreter:
        plan.files[interpreter], plan.modes[interpreter] = rootfs.read(interpreter, READ_LIMIT), 0o755
    queue = [*needed, *NSS]
    seen: set[str] = set()
    while queue and len(seen) < 500:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        path = _lib_path(rootfs, name)
        if path is None:
            if name in NSS:
                continue  # a musl or NSS-less image: nothing to copy
            raise SlimRefused(plan.binary, f"needs {name} (DT_NEEDED), which is not in the image",
                              "the source image cannot run this binary either; fix it first")
        data = rootfs.read(path, READ_LIMIT)
        plan.files[path], plan.modes[path] = data, 0o755
        local = scratch / f"lib-{len(seen)}"
        local.write_bytes(data)
        queue.extend(linking_of(open_elf(local)).needed)


def _keep(rootfs: MergedView, plan: SlimPlan, path: str, where: str) -> None:
    node = rootfs.resolve(path)
    if node is None or node.kind != "file":
        raise UsageError(f"--keep {path}", f"is not a regular file in {where}", "name a file the image holds")
    plan.files[node.path], plan.modes[node.path] = rootfs.read(node.path, READ_LIMIT), node.mode & 0o7777


def slim_image(image: StoredImage, report: object, where: str, keep: Sequence[str], user: str | None,
               workdir: Path, base: StoredImage | None = None,
               base_name: str = "static") -> tuple[StoredImage, SlimPlan]:
    """The slimmed image (its layers written under ``workdir``) and the plan it was made from; on the embedded
    static base, or on ``base`` (another image's layers and history). ``report`` is the image's analysis."""
    from slimgo.analyze.report import Report

    assert isinstance(report, Report)
    config = image.config
    rootfs = MergedView(report.merged, image.layers)
    with tempfile.TemporaryDirectory(prefix="slimgo-slim-") as scratch:
        plan = plan_slim(rootfs, config, where, keep, Path(scratch))
    entries = [Entry(p.lstrip("/"), mode=plan.modes[p], data=d) for p, d in sorted(plan.files.items())]
    entries += [Entry(p.lstrip("/"), kind="symlink", linkname=target) for p, target in sorted(plan.links.items())]
    app = build_layer(entries, workdir)
    layers: list[Layer]
    if base is None:
        layers = [build_layer(rootfs_entries(), workdir)]
        history = [{"created_by": "slimgo: static base (passwd, group, CA certificates)"}]
    else:
        layers, history = list(base.layers), base.config.history
    runtime = {k: config.runtime.get(k) for k in ("Env", "ExposedPorts", "WorkingDir", "Entrypoint", "Cmd",
                                                  "Labels", "StopSignal", "Volumes") if config.runtime.get(k)}
    runtime["User"] = user or f"{NONROOT_UID}:{NONROOT_UID}"
    step = {"created_by": f"slimgo slim {where} --base {base_name}: {plan.binary} ({plan.linking})"}
    fresh = ImageConfig({**config.platform.to_json(), "config": runtime, "history": [*history, step]})
    return assemble(fresh, [*layers, app]), plan


@dataclass(frozen=True)
class SlimReport:
    binary: str
    linking: str
    before: tuple[int, int, int]  # compressed, uncompressed, layers
    after: tuple[int, int, int]
    kept: list[str]
    dropped_files: int
    dropped_bytes: int
    findings_gone: list[str]


def slim_report(plan: SlimPlan, before: object, after: object) -> SlimReport:
    from slimgo.analyze.report import Report

    assert isinstance(before, Report) and isinstance(after, Report)
    kept = sorted(plan.files)
    dropped = [live.entry.size for path, live in before.merged.live.items()
               if live.entry.kind != "dir" and path not in plan.files]
    remaining = {(f.rule, f.path) for f in after.findings}
    gone = sorted({f"{f.rule} {f.path}" for f in before.findings if (f.rule, f.path) not in remaining})
    return SlimReport(plan.binary, plan.linking, (before.size, before.uncompressed_size, len(before.scans)),
                      (after.size, after.uncompressed_size, len(after.scans)), kept, len(dropped), sum(dropped),
                      gone)


def slim_verdict(image: StoredImage, where: str, report: object) -> str | None:
    """The measured saving of `slimgo slim` for an image with a shell or package manager, as a verdict line."""
    from slimgo.analyze.report import Report
    from slimgo.units import human_bytes

    assert isinstance(report, Report)
    rules = {f.rule for f in report.findings}
    if not rules & {"SG301", "SG302"}:
        return None
    try:
        with tempfile.TemporaryDirectory(prefix="slimgo-slim-") as work:
            slimmed, plan = slim_image(image, report, where, (), None, Path(work))
            after = sum(layer.descriptor.size for layer in slimmed.layers)
    except SlimgoError as err:
        return f"slimgo slim cannot rebuild it on the static base: {err.cause}"
    gone = [what for rule, what in (("SG301", "no shell"), ("SG302", "no package manager"),
                                    ("SG303", "no package database")) if rule in rules]
    return (f"rebuild on --base static (slimgo slim {where} -o DEST): {human_bytes(report.size - after)} "
            f"smaller, {', '.join(gone)} (keeps {plan.binary}, {plan.linking})")
