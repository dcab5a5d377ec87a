"""`slimgo vuln IMAGE|BINARY`: the known vulnerabilities a Go binary (or every Go binary of an image) really links."""

from __future__ import annotations

__all__ = ["vuln"]

from pathlib import Path
from typing import TYPE_CHECKING

import click

from slimgo.cli import render
from slimgo.cli.options import chosen_format, format_option, platform_option, registry_options, stores_from
from slimgo.stores.transport import SYNTAX

if TYPE_CHECKING:
    from slimgo.vuln.database import Database


@click.command(help=f"""Report the known vulnerabilities of a Go binary, or of every Go binary in an image.

    TARGET is a binary path, or an image: {SYNTAX}. Advisories come from the Go vulnerability database (the
    golang.org/x/vulndb module, fetched through the Go module proxy as `go mod download` does and indexed
    into the slimgo cache), or from --db DIR. An advisory is "present" when its vulnerable functions are linked
    into the binary, "affected" when only the module version matches.
    """)
@click.argument("target")
@format_option("text", "json", "sarif")
@click.option("--fail-on", type=click.Choice(["present", "affected", "never"]), default="present",
              show_default=True, help="Exit 1 when an advisory not ignored is present (or affects a module).")
@click.option("--ignore", "ignore", multiple=True, metavar="ID[=REASON]",
              help="Do not fail on this advisory (GO-YYYY-NNNN or an alias); repeatable. Also read from the "
                   "vuln.ignore list of .slimgo.yaml.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Settings file with a vuln.ignore list (default: .slimgo.yaml found from here up to go.mod).")
@click.option("--db", "db_dir", type=click.Path(path_type=Path, file_okay=False),
              help="A copy of the database instead of the module: a vulndb checkout, a served copy (ID/) or a "
                   "directory of OSV files.")
@click.option("--db-version", metavar="VERSION",
              help="Use this version of golang.org/x/vulndb (default: the one fetched last).")
@click.option("--refresh-db", is_flag=True, help="Fetch the newest database before scanning.")
@click.option("--verbose", is_flag=True, help="Text: also list the advisories whose vulnerable symbols are not linked.")
@platform_option("For an image index: the platform to scan (default: this machine's).")
@registry_options
def vuln(target: str, fmt: str, as_json: bool, fail_on: str, ignore: tuple[str, ...], config_path: Path | None,
         db_dir: Path | None, db_version: str | None, refresh_db: bool, verbose: bool, platform_text: str | None,
         pull: str, insecure: tuple[str, ...]) -> int:
    from datetime import UTC, datetime

    from slimgo.vuln.output import age_days
    from slimgo.vuln.scan import check_target, failing, scan_target

    check_target(target)
    ignores = _ignores(config_path, ignore)
    database = _database(db_dir, db_version, refresh_db)
    now = datetime.now(UTC)
    report = scan_target(target, database, now, stores=stores_from(pull, insecure), platform=platform_text,
                         ignores=ignores)
    if database.stale(now):
        render.warning(f"the vulnerability database is {age_days(report, now)} days old "
                       f"({database.source}); run `slimgo vuln --refresh-db`")
    if database.skipped:
        render.warning(f"{database.skipped} advisory files of the database could not be read and were skipped")
    failed = bool(failing(report.findings, fail_on))
    fmt = chosen_format(fmt, as_json)
    if fmt == "json":
        from slimgo.vuln.output import json_payload

        render.document("slimgo.vuln", json_payload(report, now, fail_on, failed))
    elif fmt == "sarif":
        from slimgo.vuln.output import sarif

        render.json_document(sarif(report))
    else:
        from slimgo.vuln.output import text

        render.text(text(report, now, verbose))
    return 1 if failed else 0


def _ignores(config_path: Path | None, flags: tuple[str, ...]) -> dict[str, str]:
    from slimgo.errors import InputError
    from slimgo.vuln import ignores

    if config_path is not None and not config_path.is_file():
        raise InputError(str(config_path), "no such settings file", "give the path of a .slimgo.yaml")
    path = config_path or ignores.find_settings(Path.cwd())
    merged = ignores.from_settings(path) if path is not None else {}
    merged.update(ignores.from_flags(flags))
    return merged


def _database(db_dir: Path | None, version: str | None, refresh: bool) -> Database:
    from slimgo.cachedir import cache_root
    from slimgo.vuln.database import open_database

    render.log("reading the Go vulnerability database")
    return open_database(cache_root() / "vuln", db_dir=db_dir, version=version, refresh=refresh)
