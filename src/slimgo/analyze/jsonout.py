"""The `--json` payload of `slimgo analyze` (docs/schemas/analyze.schema.json)."""

from __future__ import annotations

__all__ = ["report_json"]

from dataclasses import asdict
from typing import Any

from slimgo.analyze.report import Report


def report_json(report: Report, top: int = 20) -> dict[str, Any]:
    dive = report.dive
    return {
        "image": {"reference": report.reference, "digest": report.digest, "platform": report.platform},
        "layers": [{
            "index": row.index, "digest": row.digest, "media_type": row.media_type, "size": row.size,
            "uncompressed_size": row.uncompressed_size, "created_by": row.created_by, "empty": row.empty,
            "added": row.added, "modified": row.modified, "removed": row.removed,
        } for row in report.layers],
        "waste": {
            "dive": {
                "efficiency": dive.efficiency, "wasted_bytes": dive.wasted_bytes,
                "user_wasted_percent": dive.user_wasted_percent, "size_bytes": dive.size_bytes,
                "user_size_bytes": dive.user_size_bytes,
                "files": [{"path": f.path, "count": f.count, "wasted_bytes": f.wasted_bytes}
                          for f in dive.files[:top]],
            },
            "corrected": asdict(report.corrected),
        },
        "findings": [asdict(f) for f in report.findings],
        "largest": [{"path": path, "size": live.entry.size, "layer": report.scans[live.layer].digest}
                    for path, live in report.largest(top)],
        "verdicts": report.verdicts,
        "totals": {"size": report.size, "uncompressed_size": report.uncompressed_size, "files": report.files},
    }
