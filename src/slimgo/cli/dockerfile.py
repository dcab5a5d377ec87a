"""`slimgo dockerfile [PACKAGE...] [-o DIR]`: write a lint-clean Dockerfile, .dockerignore and docker-bake.hcl."""

from __future__ import annotations

__all__ = ["dockerfile"]

from pathlib import Path

import click

from slimgo.cli import render


@click.command()
@click.argument("packages", nargs=-1)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory to write into (default: the module root).")
@click.option("--syntax", type=click.Choice(["portable", "buildkit"]), default="portable", show_default=True,
              help="portable: a plain Dockerfile that BuildKit and buildah/podman build alike; buildkit: add "
                   "BuildKit cache mounts and secret mounts for private modules.")
@click.option("--bake/--no-bake", default=None,
              help="Write docker-bake.hcl (a target per service) or not. Default: only for several services.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the files instead of writing them.")
def dockerfile(packages: tuple[str, ...], out_dir: Path | None, syntax: str, bake: bool | None, force: bool,
               to_stdout: bool) -> int:
    """Generate a multi-stage, cross-compiling, distroless Dockerfile for Go main PACKAGES (default: all)."""
    from slimgo.lint.generate import plan, write

    p = plan(list(packages), out_dir, syntax=syntax, bake=bake)
    for note in p.notes:
        render.note(note)
    if to_stdout:
        for path, text in p.files.items():
            render.text(f"# ---- {path}\n{text}")
        return 0
    for path in write(p, force=force):
        render.result_line(f"wrote {path}")
    services = ", ".join(f"{pkg.name} ({pkg.rel})" for pkg in p.packages)
    render.result_line(f"services: {services}")
    return 0
