"""The CI gate: rules read from dive's `.dive-ci` file (lowestEfficiency, highestWastedBytes,
highestUserWastedPercent) or slimgo's own (the same three plus sizes and forbid-* rules); PASS/FAIL per rule."""

from __future__ import annotations

__all__ = ["evaluate", "gate_json", "gate_text", "load_rules", "parse_bytes", "sarif"]

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slimgo import __version__
from slimgo.analyze.report import Report
from slimgo.errors import InputError, UsageError
from slimgo.units import human_bytes

DIVE_KEYS = {"lowestEfficiency": "lowest-efficiency", "highestWastedBytes": "highest-wasted-bytes",
             "highestUserWastedPercent": "highest-user-wasted-percent"}
# dive's defaults when no file says otherwise, and slimgo's: secrets always fail a gate.
DEFAULTS: dict[str, str] = {"lowest-efficiency": "0.9", "highest-wasted-bytes": "disabled",
                            "highest-user-wasted-percent": "0.1", "max-size": "disabled",
                            "max-uncompressed-size": "disabled", "forbid-shell": "false", "forbid-root": "false",
                            "forbid-setuid": "false", "forbid-secrets": "true", "forbid-package-manager": "false"}
DEFAULT_FILES = (".dive-ci", ".slimgo-ci.yaml")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}


@dataclass(frozen=True)
class RuleResult:
    rule: str
    status: str  # PASS | FAIL | SKIP
    message: str


def parse_bytes(text: str) -> int:
    """dive's byte strings: `20MB` is 20,000,000 and `20MiB` 20,971,520 (SI and IEC), a bare number is bytes."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(f"{text!r} is not a byte size (like 20MB or 20MiB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def load_rules(path: str | None) -> dict[str, str]:
    import yaml

    chosen = Path(path) if path else next((Path(p) for p in DEFAULT_FILES if Path(p).is_file()), None)
    rules = dict(DEFAULTS)
    if chosen is None:
        return rules
    try:
        data = yaml.safe_load(chosen.read_text(encoding="utf-8")[: 1 << 20]) or {}
    except FileNotFoundError:
        raise InputError(str(chosen), "does not exist", "check the --ci-config path") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(str(chosen), f"is not a readable YAML rules file ({err})",
                         "write it as dive's .dive-ci (rules: {lowestEfficiency: 0.9}) or slimgo's (max-size: 50MB)"
                         ) from None
    if not isinstance(data, dict):
        raise UsageError(str(chosen), "is not a mapping of rules", "see docs/analyze.md for the format")
    flat: dict[str, Any] = {**data, **(data.get("rules") or {})}
    flat.pop("rules", None)
    for key, value in flat.items():
        name = DIVE_KEYS.get(key, key)
        if name not in DEFAULTS:
            raise UsageError(f"{chosen}: {key}", "is not a known rule",
                             f"use one of: {', '.join([*DIVE_KEYS, *DEFAULTS])}")
        rules[name] = str(value).lower() if isinstance(value, bool) else str(value)
    _validate(rules, str(chosen))
    return rules


def _validate(rules: dict[str, str], where: str) -> None:
    for name, value in rules.items():
        if value == "disabled":
            continue
        try:
            if name in ("lowest-efficiency", "highest-user-wasted-percent"):
                if not 0 <= float(value) <= 1:
                    raise ValueError(f"{value} is outside 0..1 (a ratio, as dive reads it)")
            elif name.startswith(("highest-wasted", "max-")):
                parse_bytes(value)
            elif value not in ("true", "false"):
                raise ValueError(f"{value!r} is not true or false")
        except ValueError as err:
            raise UsageError(f"{where}: {name}", f"is misconfigured: {err}", "fix the value or write disabled"
                             ) from None


def _threshold(rule: str, value: str, report: Report) -> RuleResult:
    dive = report.dive
    checks: dict[str, Callable[[], tuple[bool, str]]] = {
        "lowest-efficiency": lambda: (dive.efficiency >= float(value),
                                      f"efficiency={dive.efficiency:.4f}, threshold={value}"),
        "highest-wasted-bytes": lambda: (dive.wasted_bytes <= parse_bytes(value),
                                         f"wasted-bytes={dive.wasted_bytes}, threshold={parse_bytes(value)}"),
        "highest-user-wasted-percent": lambda: (
            (dive.wasted_bytes == 0) if dive.user_wasted_percent is None  # dive: 0/0 passes, n/0 fails
            else dive.user_wasted_percent <= float(value),
            f"user-wasted-percent={dive.user_wasted_percent}, threshold={value}"),
        "max-size": lambda: (report.size <= parse_bytes(value),
                             f"size={human_bytes(report.size)}, limit={value}"),
        "max-uncompressed-size": lambda: (report.uncompressed_size <= parse_bytes(value),
                                          f"uncompressed={human_bytes(report.uncompressed_size)}, limit={value}"),
    }
    ok, message = checks[rule]()
    return RuleResult(rule, "PASS" if ok else "FAIL", message)


FORBIDS = {"forbid-shell": ("SG301",), "forbid-root": ("SG312",), "forbid-setuid": ("SG304", "SG305"),
           "forbid-secrets": ("SG310", "SG311"), "forbid-package-manager": ("SG302", "SG303")}


def evaluate(report: Report, rules: dict[str, str]) -> list[RuleResult]:
    results = []
    for rule in DEFAULTS:
        value = rules[rule]
        if value in ("disabled", "false"):
            results.append(RuleResult(rule, "SKIP", "rule disabled"))
        elif rule in FORBIDS:
            hits = [f for f in report.findings if f.rule in FORBIDS[rule]]
            message = "; ".join(sorted({f.path for f in hits})[:5]) + (" ..." if len(hits) > 5 else "")
            results.append(RuleResult(rule, "FAIL" if hits else "PASS", message))
        else:
            results.append(_threshold(rule, value, report))
    return results


def gate_text(report: Report, results: list[RuleResult]) -> str:
    dive = report.dive
    user = "n/a" if dive.user_wasted_percent is None else f"{dive.user_wasted_percent * 100:.4f} %"
    lines = [f"image: {report.reference}", f"  efficiency: {dive.efficiency * 100:.4f} %",
             f"  wastedBytes: {dive.wasted_bytes} bytes ({human_bytes(dive.wasted_bytes)})",
             f"  userWastedPercent: {user}", "results:"]
    lines += [f"  {r.status}: {r.rule}" + (f": {r.message}" if r.message else "") for r in results]
    failed = sum(r.status == "FAIL" for r in results)
    tally = {s: sum(r.status == s for r in results) for s in ("PASS", "FAIL", "SKIP")}
    lines.append(f"Result:{'FAIL' if failed else 'PASS'} [Total:{len(results)}] [Passed:{tally['PASS']}] "
                 f"[Failed:{tally['FAIL']}] [Skipped:{tally['SKIP']}]")
    return "\n".join(lines) + "\n"


def gate_json(report: Report, results: list[RuleResult]) -> dict[str, Any]:
    return {"image": {"reference": report.reference, "digest": report.digest, "platform": report.platform},
            "pass": not any(r.status == "FAIL" for r in results),
            "rules": [{"rule": r.rule, "status": r.status, "message": r.message} for r in results]}


_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def sarif(report: Report, results: list[RuleResult]) -> dict[str, Any]:
    """SARIF 2.1.0: each failed gate rule, and each audit finding behind it, located by its path in the image."""
    from slimgo.analyze.audit import RULES

    out: list[dict[str, Any]] = []
    rule_meta: dict[str, dict[str, Any]] = {}
    for result in (r for r in results if r.status == "FAIL"):
        rule_meta[result.rule] = {"id": result.rule, "shortDescription": {"text": f"CI rule {result.rule}"},
                                  "defaultConfiguration": {"level": "error"}}
        out.append({"ruleId": result.rule, "level": "error", "message": {"text": result.message or result.rule},
                    "locations": [_where(report.reference, None)]})
    for f in report.findings:
        severity, title, fix = RULES[f.rule]
        rule_meta[f.rule] = {"id": f.rule, "shortDescription": {"text": title}, "help": {"text": fix},
                             "defaultConfiguration": {"level": _LEVEL[severity]}}
        out.append({"ruleId": f.rule, "level": _LEVEL[f.severity], "message": {"text": f"{f.message}. Fix: {f.fix}"},
                    "locations": [_where(report.reference, f.path)],
                    "properties": {"layer": f.layer},
                    "partialFingerprints": {"slimgo/v1": f"{f.rule}:{f.path}"}})
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "slimgo", "version": __version__, "rules": sorted(rule_meta.values(),
                                                                                    key=lambda r: r["id"])}},
        "results": out}]}


def _where(reference: str, path: str | None) -> dict[str, Any]:
    name = f"{reference}!{path}" if path else reference
    return {"logicalLocations": [{"fullyQualifiedName": name, "kind": "resource"}]}
