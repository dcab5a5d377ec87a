"""`analyze_image`: one image read once, layer by layer, into a report of layers, waste, findings and verdicts."""

from __future__ import annotations

__all__ = ["ANNOTATION_BASE_NAME", "LOCAL_TRANSPORTS", "Report", "analyze_image", "shared_layers"]

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slimgo.analyze.audit import Finding, audit
from slimgo.analyze.dive import DiveWaste, dive_waste
from slimgo.analyze.merge import Live, Merged, merge
from slimgo.analyze.scan import LayerScan, scan_layer
from slimgo.layercheck import EntryJudge, Limits
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import StoredImage
from slimgo.units import human_bytes

ANNOTATION_BASE_NAME = "org.opencontainers.image.base.name"
LOCAL_TRANSPORTS = ("oci:", "oci-archive:", "docker-archive:")
VERDICT_MIN_BYTES = 1 << 20  # a dead copy smaller than this is not worth a line


@dataclass(frozen=True)
class LayerRow:
    """One history step: a layer, or an empty step (ENV, CMD...) that made none."""

    index: int | None  # index among the layers; None for an empty step
    digest: str | None
    media_type: str | None
    size: int
    uncompressed_size: int
    created_by: str
    empty: bool
    added: int = 0
    modified: int = 0
    removed: int = 0


@dataclass(frozen=True)
class Corrected:
    wasted_bytes: int  # dead bytes (shadowed or deleted) whose removal happened in a layer above the base
    wasted_percent: float  # of all file bytes the layers ship
    base_layers: int
    base_source: str  # flag | image | annotation | history | assumed
    base_wasted_bytes: int  # dead bytes the base image carries itself


@dataclass
class Report:
    reference: str
    digest: str
    platform: str
    layers: list[LayerRow]
    scans: list[LayerScan] = field(repr=False)
    merged: Merged = field(repr=False)
    dive: DiveWaste
    corrected: Corrected
    findings: list[Finding]
    verdicts: list[str]
    size: int
    uncompressed_size: int
    config: ImageConfig = field(repr=False)

    @property
    def files(self) -> int:
        return sum(1 for live in self.merged.live.values() if live.entry.kind != "dir")

    def largest(self, top: int) -> list[tuple[str, Live]]:
        files = [(p, live) for p, live in self.merged.live.items() if live.entry.kind == "file"]
        return sorted(files, key=lambda item: (-item[1].entry.size, item[0]))[:top]


def layer_rows(scans: Sequence[LayerScan], merged: Merged, history: list[dict[str, Any]]) -> list[LayerRow]:
    rows: list[LayerRow] = []
    next_layer = 0
    for step in history:
        created_by = str(step.get("created_by") or "")
        if step.get("empty_layer") or next_layer >= len(scans):
            rows.append(LayerRow(None, None, None, 0, 0, created_by, True))
            continue
        rows.append(_row(scans[next_layer], merged, created_by))
        next_layer += 1
    rows.extend(_row(scan, merged, "") for scan in scans[next_layer:])
    return rows


def _row(scan: LayerScan, merged: Merged, created_by: str) -> LayerRow:
    changes = merged.changes[scan.index]
    return LayerRow(scan.index, scan.digest, scan.media_type, scan.size, scan.uncompressed_size, created_by, False,
                    changes.added, changes.modified, changes.removed)


def shared_layers(image: StoredImage, base: StoredImage) -> int:
    """How many of ``image``'s first layers are ``base``'s layers (the same diff_ids, in order)."""
    count = 0
    for ours, theirs in zip(image.layers, base.layers, strict=False):
        if ours.diff_id != theirs.diff_id:
            break
        count += 1
    return count


def base_layers(history: list[dict[str, Any]], layer_count: int, explicit: int | None,
                explicit_source: str) -> tuple[int, str]:
    """How many layers belong to the base image, and how that was decided."""
    if explicit is not None:
        return min(explicit, layer_count), explicit_source
    made = 0
    boundary: int | None = None
    for step in history:
        created_by = str(step.get("created_by") or "")
        if step.get("empty_layer"):
            if "CMD" in created_by or "ENTRYPOINT" in created_by:
                boundary = made  # a base image ends with its CMD; what follows is the user's
            continue
        if created_by.startswith("slimgo: static base"):
            boundary = made + 1
        made += 1
    if boundary is not None and 0 < boundary < layer_count:
        return boundary, "history"
    return min(1, layer_count), "assumed"


def corrected_waste(scans: Sequence[LayerScan], merged: Merged, base: int, source: str) -> Corrected:
    total = sum(e.size for scan in scans for e in scan.entries if e.kind == "file")
    wasted = merged.dead_killed_in(base)
    base_wasted = sum(n for (killer, _), n in merged.dead.items() if killer < base)
    percent = 100.0 * wasted / total if total else 0.0
    return Corrected(wasted, round(percent, 4), base, source, base_wasted)


def verdicts(merged: Merged, base: int, findings: Sequence[Finding]) -> list[str]:
    lines = []
    for (killer, victim), dead in sorted(merged.dead.items(), key=lambda kv: -kv[1]):
        if killer < base or killer == victim or dead < VERDICT_MIN_BYTES:
            continue
        lines.append(f"layer {killer} deletes or replaces {human_bytes(dead)} added by layer {victim}: "
                     + ("do both in one RUN (or a build stage)" if victim >= base
                        else "the base ships it; pick a smaller base instead of deleting from it"))
    rules = {f.rule for f in findings}
    if "SG310" in rules:
        lines.append("remove the secret files listed: a file deleted by a later layer is still in the image")
    if "SG312" in rules:
        lines.append("set USER 65532 (a numeric non-root user)")
    return lines


def analyze_image(image: StoredImage, reference: str, explicit_base: int | None = None,
                  base_source: str = "flag") -> Report:
    """``explicit_base`` is the number of base layers when the caller knows it (``base_source`` says how)."""
    config = image.config
    judge = EntryJudge(Limits.from_env())  # one judge for the stack: a layer may write through a lower one's link
    scans = [scan_layer(i, layer, judge) for i, layer in enumerate(image.layers)]
    dive = dive_waste(scans)  # before the merge: dive's trees are gone by the time the merged view is built
    merged = merge(scans)
    history = config.history
    base, source = base_layers(history, len(scans), explicit_base, base_source)
    findings = audit(scans, merged, config)
    return Report(
        reference=reference, digest=str(image.digest), platform=str(config.platform),
        layers=layer_rows(scans, merged, history), scans=scans, merged=merged, dive=dive,
        corrected=corrected_waste(scans, merged, base, source), findings=findings,
        verdicts=verdicts(merged, base, findings),
        size=sum(s.size for s in scans), uncompressed_size=sum(s.uncompressed_size for s in scans), config=config,
    )
