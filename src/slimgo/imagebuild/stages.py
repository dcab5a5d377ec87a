"""The stages of `slimgo build` around `go build`: finding the settings (.slimgo.yaml or a ko project's .ko.yaml),
kodata, choosing the mains (--shard, --changed-since), the test gate and the cgo checks."""

from __future__ import annotations

__all__ = ["check_base_loader", "check_cgo_dropped", "find_settings_for", "run_tests", "select", "start_compiling",
           "with_kodata", "with_overlays"]

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING

from slimgo.gobuild.modroot import find_in_module
from slimgo.gobuild.options import GoBuildOptions
from slimgo.gobuild.toolchain import GoPackage, GoToolchain
from slimgo.imagebuild.options import ImageOptions, epoch_from_env
from slimgo.oci.platform import Platform
from slimgo.stores.transport import Stores

_KO_FILE = ".ko.yaml"  # ko.FILE_NAME, without loading ko to look for it

if TYPE_CHECKING:
    from slimgo.imagebuild.ko import KoSettings
    from slimgo.imagebuild.pipeline import BuildRequest, Plan
    from slimgo.imagebuild.settings import Settings


def select(request: BuildRequest, plans: list[Plan], toolchain: GoToolchain,
           on_note: Callable[[str, str], None]) -> list[Plan]:
    """--shard's share of the plans, then those changed since --changed-since; the others are named in a note."""
    if request.shard is not None:
        from slimgo.imagebuild.fleet import in_shard

        index, total = request.shard
        plans = [plan for plan in plans if in_shard(plan.package, index, total)]
        on_note("note", f"shard {index}/{total}: {len(plans)} main package(s): "
                f"{', '.join(p.package.binary_name for p in plans) or 'none'}")
    if request.changed_since is None or not plans:
        return plans
    from slimgo.imagebuild.fleet import changed_since

    flags = changed_since([(p.package, p.go, p.image.platforms[0]) for p in plans], request.changed_since, toolchain)
    chosen = [plan for plan, changed in zip(plans, flags, strict=True) if changed]
    unchanged = [plan.package.import_path for plan in plans if plan not in chosen]
    if unchanged:
        on_note("note", f"unchanged since {request.changed_since}, not built: {', '.join(unchanged)}")
    return chosen


def find_settings_for(request: BuildRequest, first: GoPackage) -> Settings | KoSettings:
    """--config, else .slimgo.yaml at the module root, else a ko project's .ko.yaml."""
    from slimgo.imagebuild.settings import find_settings, load_settings

    start = first.module_dir or first.dir
    settings_path = request.config_path or find_settings(start)
    # the ko module (and the layer code it needs) loads only for a ko project, else after go build starts
    if settings_path is None and (os.environ.get("KO_CONFIG_PATH") or find_in_module(start, _KO_FILE)):
        from slimgo.imagebuild.ko import find_ko_settings, load_ko_settings

        ko_path = find_ko_settings(start)
        if ko_path is not None:
            epoch = os.environ.get("SOURCE_DATE_EPOCH")
            return load_ko_settings(ko_path, epoch_from_env(epoch) if epoch else None)
    from slimgo.imagebuild.pipeline import SETTABLE

    return load_settings(settings_path, set(SETTABLE) | {"vuln"})  # vuln: the ignores of build --vuln


def with_kodata(image: ImageOptions, package: GoPackage) -> ImageOptions:
    """A ko project's kodata/ next to the main package goes to /var/run/ko, named by KO_DATA_PATH."""
    if not (package.dir / "kodata").is_dir():  # what ko.kodata looks for; most packages have none
        return image
    from dataclasses import replace

    from slimgo.imagebuild.ko import KODATA_DEST, kodata, kodata_entries

    source = kodata(package)
    if source is None:
        return image
    entries = kodata_entries(source, package.module_dir or package.dir)
    return replace(image, entries=(*image.entries, *entries), env=(("KO_DATA_PATH", KODATA_DEST), *image.env))


def check_base_loader(plan: Plan, stores: Stores) -> None:
    """A cgo build on a base without a dynamic loader is refused before compiling."""
    if not plan.go.cgo or plan.image.base in ("static", "scratch"):
        return  # the builder refuses these two by name
    from slimgo.imagebuild.gate import check_loader_before_cgo
    from slimgo.rootfs import Rootfs

    for platform in plan.image.platforms:
        image = stores.open_image(plan.image.base, platform)
        check_loader_before_cgo(Rootfs(image.layers), platform, plan.image.base)


def start_compiling(plans: Sequence[Plan], toolchain: GoToolchain, cache_dir: Path, workdir: Path,
                    pool: Executor) -> dict[int, Callable[[Platform], Path]]:
    """Start `go build` of each plan's platforms in ``pool``; for each plan index, the function that waits for
    a platform's binary. Mains of one module with the same flags and platform are built by one `go build`. A cgo
    plan is left out: its base is checked for a loader before anything compiles."""
    from slimgo.gobuild.binary import binary_path, compile_binary, compile_together

    groups: dict[tuple[Path, GoBuildOptions, str], list[int]] = {}
    for index, plan in enumerate(plans):
        if not plan.go.cgo:
            for platform in plan.image.platforms:
                groups.setdefault((plan.package.module_dir or plan.package.dir, plan.go, str(platform)),
                                  []).append(index)
    futures: dict[tuple[int, str], Future[Path]] = {}
    for (_module, gopts, platform_text), members in groups.items():
        platform = next(p for p in plans[members[0]].image.platforms if str(p) == platform_text)
        packages = [plans[i].package for i in members]
        # an -overlay belongs to one package's plan: such a package is built on its own
        if len(members) > 1 and gopts.overlay is None and len({p.binary_name for p in packages}) == len(packages):
            together = pool.submit(compile_together, toolchain, packages, cache_dir, gopts, platform)
            for i in members:
                futures[(i, platform_text)] = _pick(together, plans[i].package.import_path)
            continue
        for i in members:
            outdir = workdir / f"{plans[i].package.binary_name}-{platform_text.replace('/', '-')}"
            output = binary_path(cache_dir, outdir, plans[i].package, platform, gopts)
            futures[(i, platform_text)] = pool.submit(compile_binary, toolchain, plans[i].package, output, gopts,
                                                      platform)
    return {index: _waiter(index, futures) for index in {i for i, _ in futures}}


def _pick(together: Future[dict[str, Path]], import_path: str) -> Future[Path]:
    """The future of one binary of a `go build` of several."""
    one: Future[Path] = Future()

    def done(whole: Future[dict[str, Path]]) -> None:
        error = whole.exception()
        if error is not None:
            one.set_exception(error)
        else:
            one.set_result(whole.result()[import_path])

    together.add_done_callback(done)
    return one


def _waiter(index: int, futures: dict[tuple[int, str], Future[Path]]) -> Callable[[Platform], Path]:
    def wait(platform: Platform) -> Path:
        return futures[(index, str(platform))].result()

    return wait


def check_cgo_dropped(plan: Plan, toolchain: GoToolchain, on_note: Callable[[str, str], None]) -> None:
    """A static build that links a dependency's cgo-less stub is refused; other dropped cgo files are named."""
    if plan.go.cgo:
        return
    from slimgo.gobuild.cgodrop import dropped_cgo
    from slimgo.imagebuild.gate import check_dropped_cgo

    dropped = dropped_cgo(toolchain, plan.package, plan.go, plan.image.platforms[0])
    for warning in check_dropped_cgo(dropped, f"package {plan.package.import_path}"):
        on_note("warning", warning)


def run_tests(request: BuildRequest, plans: Sequence[Plan], toolchain: GoToolchain,
              on_line: Callable[[str], None]) -> None:
    """`go test` with the build's flags on the host, once per module (or the --test-pkgs patterns)."""
    from slimgo.errors import BuildError
    from slimgo.host import host_platform

    runs: dict[tuple[Path, GoBuildOptions], tuple[str, ...]] = {}
    for plan in plans:
        where = request.cwd if request.test_patterns else (plan.package.module_dir or plan.package.dir)
        runs.setdefault((where, plan.go), request.test_patterns or ("./...",))
    for (where, go), patterns in runs.items():
        if not toolchain.test(patterns, where, go, host_platform(), on_line):
            raise BuildError(f"go test {' '.join(patterns)} (in {where})", "failed, so no image was written",
                             "fix the failing tests shown above, or build without --test")


def with_overlays(plans: list[Plan], toolchain: GoToolchain, on_note: Callable[[str, str], None]) -> list[Plan]:
    """Each plan with the `-overlay` its --strip-debug-handlers and --inject ask for (the source is not written)."""
    from dataclasses import replace

    from slimgo.gobuild.overlay import plan_overlay

    out = []
    for plan in plans:
        if plan.go.strip_debug_handlers or plan.go.inject:
            overlay = plan_overlay(toolchain, plan.package, plan.go, plan.image.platforms,
                                   strip=plan.go.strip_debug_handlers, inject=plan.go.inject, on_note=on_note)
            plan = replace(plan, go=replace(plan.go, overlay=overlay))
        out.append(plan)
    return out
