"""`slimgo dockerfile [PACKAGE...] [-o DIR]`: write a lint-clean Dockerfile, .dockerignore and docker-bake.hcl."""

from __future__ import annotations

from pathlib import Path

import click

from slimgo.lint.generate import plan, write


@click.command()
@click.argument("packages", nargs=-1)
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory to write into (default: the module root).")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the files instead of writing them.")
def dockerfile(packages: tuple[str, ...], out_dir: Path | None, force: bool, to_stdout: bool) -> int:
    """Generate a multi-stage, cross-compiling, distroless Dockerfile for Go main PACKAGES (default: all)."""
    p = plan(list(packages), out_dir)
    for note in p.notes:
        click.echo(f"note: {note}", err=True)
    if to_stdout:
        for path, text in p.files.items():
            click.echo(f"# ---- {path}\n{text}", nl=False)
        return 0
    for path in write(p, force=force):
        click.echo(f"wrote {path}")
    services = ", ".join(f"{pkg.name} ({pkg.rel})" for pkg in p.packages)
    click.echo(f"services: {services}")
    return 0
