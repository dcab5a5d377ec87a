"""All Dockerfile checks, in report order; each takes the shared Facts and yields findings."""

from __future__ import annotations

__all__ = ["CHECKS"]

from collections.abc import Callable, Iterator

from slimgo.lint.dockerfile.facts import Facts
from slimgo.lint.dockerfile.rules import base, gobuild, runtime, secrets, supply
from slimgo.lint.findings import Finding

Check = Callable[[Facts], Iterator[Finding]]

CHECKS: list[Check] = [*base.CHECKS, *gobuild.CHECKS, *secrets.CHECKS, *runtime.CHECKS, *supply.CHECKS]
