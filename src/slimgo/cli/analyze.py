"""`slimgo analyze IMAGE`: layers, waste (dive-compatible and corrected), attack surface, verdicts; a CI gate."""

from __future__ import annotations

__all__ = ["analyze"]

from typing import TYPE_CHECKING

import click

from slimgo.cli import render
from slimgo.cli.options import chosen_format, format_option, platform_option, registry_options, stores_from
from slimgo.errors import UsageError
from slimgo.stores.transport import SYNTAX

if TYPE_CHECKING:
    from slimgo.oci.image import StoredImage
    from slimgo.oci.platform import Platform
    from slimgo.stores.transport import Stores


@click.command(help=f"""Show what an image is made of, what it wastes and what in it could hurt you.

    IMAGE is {SYNTAX}. With --ci, check it against rules (dive's .dive-ci file or slimgo's own) and exit 1 on a
    failed rule.
    """)
@click.argument("images", nargs=-1, metavar="IMAGE")
@click.option("--diff", "diff_mode", is_flag=True, help="Compare two images: size, layers, files and findings.")
@format_option("text", "json", "sarif")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="Rows in the largest-files "
              "and wasted-files tables.")
@click.option("--tree", is_flag=True, help="Show the merged file tree with sizes.")
@click.option("--depth", default=3, show_default=True, type=click.IntRange(min=1), help="Levels shown by --tree.")
@click.option("--base-layers", type=click.IntRange(min=0), default=None,
              help="How many layers belong to the base image (default: read from the history).")
@click.option("--base-image", metavar="IMAGE", default=None,
              help="The image this one was built FROM: the layers they share are the base (default: the image the "
                   "org.opencontainers.image.base.name annotation names, when it is a local oci:, oci-archive: or "
                   "docker-archive: image).")
@click.option("--ci", is_flag=True, help="Evaluate the CI rules and print PASS/FAIL per rule; exit 1 on a FAIL.")
@click.option("--ci-config", type=click.Path(dir_okay=False), default=None,
              help="Rules file: dive's .dive-ci format or slimgo's (default: ./.dive-ci or ./.slimgo-ci.yaml "
                   "when present).")
@platform_option("Image to pick from an index (default: this machine's).")
@registry_options
def analyze(images: tuple[str, ...], diff_mode: bool, fmt: str, as_json: bool, top: int, tree: bool, depth: int,
            base_layers: int | None, base_image: str | None, ci: bool, ci_config: str | None,
            platform_text: str | None, pull: str, insecure: tuple[str, ...]) -> int:
    from slimgo.analyze.report import analyze_image
    from slimgo.host import host_platform
    from slimgo.oci.platform import Platform

    expected = 2 if diff_mode else 1
    if len(images) != expected:
        raise UsageError("slimgo analyze", f"expects {'two images with --diff' if diff_mode else 'one image'}, "
                         f"got {len(images)}", "slimgo analyze IMAGE, or slimgo analyze --diff A B")
    output = chosen_format(fmt, as_json)
    if output == "sarif" and not ci:
        raise UsageError("--format sarif", "describes the CI gate's results", "add --ci")
    platform = Platform.parse(platform_text) if platform_text else host_platform()
    stores = stores_from(pull, insecure)
    opened = [stores.open_image(spec, platform) for spec in images]
    reports = []
    for image, spec in zip(opened, images, strict=True):
        count, source = (base_layers, "flag") if base_layers is not None else _base(stores, image, base_image,
                                                                                     platform)
        reports.append(analyze_image(image, spec, count, source))
    if diff_mode:
        return _diff(reports[0], reports[1], output)
    report = reports[0]
    if ci:
        return _gate(report, ci_config, output)
    from slimgo.analyze.slim import slim_verdict

    line = slim_verdict(opened[0], images[0], report)  # the saving, measured by building the slimmed image
    if line:
        report.verdicts.insert(0, line)
    if output == "json":
        from slimgo.analyze.jsonout import report_json

        render.document("slimgo.analyze", report_json(report, top))
        return 0
    from slimgo.analyze.text import render_report

    render.text(render_report(report, top, depth if tree else None))
    return 0


def _base(stores: Stores, image: StoredImage, spec: str | None, platform: Platform) -> tuple[int | None, str]:
    """The base layers from the base image itself: named by --base-image, or by the image's annotation when that
    names a local image. Without either (or when the annotated one cannot be read), the history decides."""
    from slimgo.analyze.report import ANNOTATION_BASE_NAME, LOCAL_TRANSPORTS, shared_layers
    from slimgo.errors import SlimgoError

    source = "image"
    if spec is None:
        spec, source = image.manifest.annotations.get(ANNOTATION_BASE_NAME), "annotation"
        if not spec or not spec.startswith(LOCAL_TRANSPORTS):
            return None, "history"
    try:
        return shared_layers(image, stores.open_image(spec, platform)), source
    except SlimgoError as err:
        if source == "image":
            raise
        render.warning(f"the base image the annotation names cannot be read ({err.cause}); using the history")
        return None, "history"


def _gate(report: object, ci_config: str | None, output: str) -> int:
    from slimgo.analyze.gate import evaluate, gate_json, gate_text, load_rules, sarif
    from slimgo.analyze.report import Report

    assert isinstance(report, Report)
    results = evaluate(report, load_rules(ci_config))
    if output == "sarif":
        render.json_document(sarif(report, results))
    elif output == "json":
        render.document("slimgo.analyze.ci", gate_json(report, results))
    else:
        render.text(gate_text(report, results))
    return 1 if any(r.status == "FAIL" for r in results) else 0


def _diff(a: object, b: object, output: str) -> int:
    from slimgo.analyze.diff import diff_json, diff_reports, diff_text
    from slimgo.analyze.report import Report

    assert isinstance(a, Report) and isinstance(b, Report)
    diff = diff_reports(a, b)
    if output == "json":
        render.document("slimgo.analyze.diff", diff_json(diff))
    else:
        render.text(diff_text(diff))
    return 0
