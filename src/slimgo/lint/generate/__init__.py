"""`slimgo dockerfile`: a Dockerfile, .dockerignore and docker-bake.hcl for a Go module."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from slimgo.errors import InputError, UsageError
from slimgo.lint.generate import pins
from slimgo.lint.generate.cgo import cgo_needs
from slimgo.lint.generate.embeds import embed_problems
from slimgo.lint.generate.gomod import GenerateError, MainPackage, Module, find_module, main_packages
from slimgo.lint.generate.stamping import version_stamping

__all__ = ["APP_DIR", "SYNTAXES", "GenerateError", "Plan", "plan", "write"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("slimgo.lint.generate", "templates"),
    autoescape=False,  # Dockerfiles and HCL, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Plan:
    """The files to write (absolute path -> text), and notes for the user."""

    module: Module
    packages: list[MainPackage]
    files: dict[Path, str]
    notes: list[str] = field(default_factory=list)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


SYNTAXES = ("portable", "buildkit")
APP_DIR = "/app"  # where `slimgo build` puts the binary (its --app-dir default)


def _check_stage_names(packages: list[MainPackage]) -> None:
    """Each service is a final stage named after it, built in a stage `build-<name>` FROM the shared `build`."""
    names = {p.name for p in packages}
    for pkg in packages:
        if pkg.name == "build" or f"build-{pkg.name}" in names:
            raise GenerateError(pkg.rel, f"its service name {pkg.name!r} clashes with a build stage's name",
                                "generate this package's Dockerfile on its own (-o another directory)")


def plan(args: list[str], out_dir: Path | None = None, cwd: Path | None = None, *, syntax: str = "portable",
         bake: bool | None = None) -> Plan:
    """Work out what `slimgo dockerfile ARGS -o OUT_DIR` writes, without writing anything.

    ``syntax`` "portable" is a plain Dockerfile (BuildKit and buildah alike), "buildkit" adds cache and secret
    mounts. ``bake`` writes docker-bake.hcl when True, never when False, and for several services when None."""
    if syntax not in SYNTAXES:
        raise UsageError(f"--syntax {syntax}", "is not a known syntax", "use portable or buildkit")
    cwd = (cwd or Path.cwd()).resolve()
    first = (cwd / (args[0].removesuffix("...") or ".")).resolve() if args else cwd
    if args and not first.is_dir():  # say so before looking for a module from the wrong place
        raise InputError(args[0], "not a directory", "pass Go package directories such as ./cmd/api")
    module = find_module(first)
    packages = main_packages(module, args, cwd)
    _check_stage_names(packages)
    out = (cwd / out_dir).resolve() if out_dir else module.root
    at_root = out == module.root
    dockerfile = out / "Dockerfile"
    stamping = version_stamping(module.root)
    stamps = list(stamping.stamps) if stamping else []
    ctx = {
        "stamps": stamps,
        "stamp_args": list({st.arg: st for st in stamps if st.arg}.values()),
        "stamp_source": stamping.source if stamping else "",
        "module": module,
        "packages": packages,
        "several": len(packages) > 1,
        "buildkit": syntax == "buildkit",
        "builder": pins.BUILDER_IMAGE,
        "runtime": pins.RUNTIME_IMAGE,
        "uid": pins.RUNTIME_UID,
        "app_dir": APP_DIR,
        "gomod_files": "go.mod go.sum" if module.has_go_sum else "go.mod",
        "context": os.path.relpath(module.root, out),
        "dockerfile_rel": os.path.relpath(dockerfile, module.root),
        "dockerfile_name": os.path.relpath(dockerfile, module.root),
        # a Dockerfile written outside the module is not in the context: an ignore line for it would need `../`
        "dockerfile_in_context": dockerfile.is_relative_to(module.root),
    }
    files = {dockerfile: _ENV.get_template("Dockerfile.j2").render(ctx)}
    # BuildKit reads <Dockerfile>.dockerignore beside a Dockerfile given with -f, before the context's own
    ignore = out / ".dockerignore" if at_root else out / "Dockerfile.dockerignore"
    files[ignore] = _ENV.get_template("dockerignore.j2").render(ctx)
    if bake or (bake is None and len(packages) > 1):
        files[out / "docker-bake.hcl"] = _ENV.get_template("docker-bake.hcl.j2").render(ctx)
    return Plan(module, packages, files, _notes(module, files[ignore]))


def _notes(module: Module, ignore_text: str) -> list[str]:
    notes = []
    wanted = module.toolchain or module.go_version
    if wanted and _version_tuple(wanted)[:2] > _version_tuple(pins.BUILDER_GO)[:2]:
        notes.append(f"go.mod asks for go {wanted}, newer than the builder's {pins.BUILDER_GO}: the build downloads "
                     "that toolchain (GOTOOLCHAIN=auto); bump the builder image to skip the download")
    if module.has_vendor:
        notes.append("vendor/modules.txt is present: the build uses -mod=vendor and downloads nothing")
    needs = cgo_needs(module)
    if needs:
        notes.append(f"the default build needs cgo ({'; '.join(needs[:3])}): the generated CGO_ENABLED=0 build "
                     "leaves it out or fails; build with CGO_ENABLED=1 on the golang builder and ship on a glibc "
                     "base such as --build-arg RUNTIME_IMAGE=gcr.io/distroless/base-debian12:nonroot, or use a "
                     "pure-Go replacement")
    for problem in embed_problems(module, ignore_text.splitlines()):
        notes.append(f"//go:embed {problem.pattern} in {problem.package} ({problem.source}) {problem.why}: the "
                     "generated Dockerfile cannot build it; commit those files, or generate them (a web UI built "
                     "by yarn or npm, say) in a stage before the Go build and COPY them in")
    return notes


def write(p: Plan, *, force: bool = False) -> list[Path]:
    """Write every file of ``p`` or none: existing files are kept unless ``force``."""
    existing = [path for path in p.files if path.exists()]
    if existing and not force:
        names = ", ".join(str(path) for path in existing)
        raise GenerateError(names, "already exists", "pass --force to overwrite, or -o another directory")
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in p.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            staged.append((tmp, path))
    except OSError as err:
        for tmp, _ in staged:
            os.unlink(tmp)
        raise GenerateError(str(err.filename or "output"), err.strerror or str(err), "check -o") from None
    for tmp, path in staged:
        os.replace(tmp, path)
    return [path for _, path in staged]
