"""The finding every linter returns; renderers (text, JSON, SARIF) only read these."""

from __future__ import annotations

__all__ = ["Finding", "Severity"]

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place: a stable rule ID, what is wrong, and the one-line fix."""

    path: str
    line: int
    rule: str
    severity: Severity
    message: str
    fix: str

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
        }
