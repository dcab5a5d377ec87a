"""The versioned JSON form of inspect reports (schema: docs/schemas/inspect.schema.json)."""

from __future__ import annotations

__all__ = ["diff_json", "report_json", "reports_json"]

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from slimgo.elf.buildinfo import BuildInfo, Module
from slimgo.inspect.binary import BinaryReport
from slimgo.inspect.bloat import DEFAULT_THRESHOLD, bloat_of
from slimgo.inspect.size import SizeReport

if TYPE_CHECKING:  # only `inspect --diff` loads the diff module
    from slimgo.inspect.diff import Diff

SCHEMA_VERSION = 1
KIND_REPORT = "slimgo.inspect.report"
KIND_DIFF = "slimgo.inspect.diff"
KIND_REPORTS = "slimgo.inspect.reports"


def _module(mod: Module | None) -> dict[str, Any] | None:
    if mod is None:
        return None
    return {"path": mod.path, "version": mod.version, "sum": mod.sum}


def _go(info: BuildInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "supported": info.supported,
        "note": info.note,
        "version": info.go_version,
        "path": info.path,
        "main": _module(info.main),
        "deps": [{**(_module(dep) or {}), "replace": _module(dep.replace)} for dep in info.deps],
        "settings": info.settings_dict(),
        "settings_list": [[key, value] for key, value in info.settings],
    }


def _size(size: SizeReport) -> dict[str, Any]:
    return {
        "file_bytes": size.file_bytes,
        "sections": [{"name": name, "size": nbytes} for name, nbytes in size.sections],
        "text_bytes": size.text_bytes,
        "function_bytes": size.function_bytes,
        "padding_bytes": size.padding_bytes,
        "attributed_bytes": size.attributed_bytes,
        "packages": [{"name": p.name, "size": p.size, "group": p.group, "functions": p.functions,
                      "pclntab_bytes": p.pclntab_bytes, "data_bytes": p.data_bytes, "total_bytes": p.total_bytes,
                      "module": p.module}
                     for p in size.packages],
        "modules": [asdict(m) for m in size.modules],
        "unattributed_bytes": size.unattributed_bytes,
        "attributed_by_section": size.attributed_by_section,
        "unattributed_by_section": size.unattributed_by_section,
        "groups": size.groups,
        "strip_savings_bytes": size.strip_savings_bytes,
        "layer": asdict(size.layer) if size.layer else None,
        "function_table": size.table_source,
    }


def _bloat(report: BinaryReport, threshold: int) -> dict[str, Any]:
    bloat = bloat_of(report, threshold)
    return {"threshold_bytes": bloat.threshold_bytes, "total_bytes": bloat.total_bytes,
            "embeds_method": bloat.embeds_method, "items": [asdict(item) for item in bloat.items]}


def report_json(report: BinaryReport, bloat_threshold: int = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """The report as the documented JSON object (schema_version 1)."""
    linking = report.linking
    hardening = report.hardening
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND_REPORT,
        "target": report.target,
        "platform": report.platform,
        "image": asdict(report.image) if report.image else None,
        "packed": asdict(report.packed) if report.packed else None,
        "go": _go(report.go),
        "linking": None if linking is None else {
            "static": linking.static,
            "interpreter": linking.interpreter,
            "needed": linking.needed,
            "rpath": linking.rpath,
            "runpath": linking.runpath,
            "glibc_required": linking.glibc_required,
            "required_versions": linking.required_versions,
            "versioned_symbols": linking.versioned_symbols,
            "elf_class": linking.elf_class,
            "machine": linking.machine,
            "byteorder": linking.byteorder,
            "elf_type": linking.elf_type,
            "shared_object": linking.shared_object,
        },
        "hardening": None if hardening is None else {
            "pie": hardening.pie,
            "nx": hardening.nx,
            "relro": hardening.relro,
            "rwx_segments": hardening.rwx_segments,
            "stripped": hardening.stripped,
            "symtab": hardening.symtab,
            "dwarf": hardening.dwarf,
            "go_build_id": hardening.go_build_id,
            "gnu_build_id": hardening.gnu_build_id,
            "stack_canary": hardening.stack_canary,
            "fortify": hardening.fortify,
            "checks": [asdict(check) for check in hardening.checks],
        },
        "size": _size(report.size),
        "bloat": _bloat(report, bloat_threshold),
        "problems": [asdict(problem) for problem in report.problems],
    }


def reports_json(reports: list[BinaryReport], bloat_threshold: int = DEFAULT_THRESHOLD) -> dict[str, Any]:
    """Several reports, one per platform of an image index."""
    return {"schema_version": SCHEMA_VERSION, "kind": KIND_REPORTS,
            "reports": [report_json(r, bloat_threshold) for r in reports]}


def diff_json(diff: Diff) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND_DIFF,
        "a": diff.a,
        "b": diff.b,
        "file_bytes": asdict(diff.file_bytes),
        "sections": [asdict(row) for row in diff.sections],
        "packages": [asdict(row) for row in diff.packages],
        "groups": [asdict(row) for row in diff.groups],
        "layer": [asdict(row) for row in diff.layer],
    }
