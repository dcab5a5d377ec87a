"""Tools in the final stage are described by what they cost, never as an attacker's kit."""

from __future__ import annotations

import pytest

from slimgo.lint.dockerfile import lint_dockerfile
from tests.lint.dockerfile.cases import RUNTIME, good

D = "@sha256:" + "e" * 64
RUNTIME_TOOLS = ["procps", "curl", "wget", "bash", "busybox", "iputils-ping"]
DEBUG_TOOLS = ["strace", "ltrace", "gdb", "tcpdump", "nmap", "netcat-openbsd", "socat", "telnet", "vim"]


def _installing(pkgs: str, *, base: str = f"debian:12-slim{D}") -> str:
    return good(f"FROM {RUNTIME}", f"FROM {base}\nRUN apt-get install -y --no-install-recommends {pkgs}")


def _sg164(text: str) -> list[tuple[str, str]]:
    return [(f.severity.value, f.message) for f in lint_dockerfile("Dockerfile", text) if f.rule == "SG164"]


@pytest.mark.parametrize("pkg", RUNTIME_TOOLS)
def test_a_tool_programs_run_is_info_and_says_what_it_is(pkg: str) -> None:
    ((severity, message),) = _sg164(_installing(f"ca-certificates {pkg}"))
    assert severity == "info"
    assert f"{pkg} (" in message and "more to download, scan and patch" in message
    assert "attacker" not in message and "toolkit" not in message and "hostile" not in message


@pytest.mark.parametrize("pkg", DEBUG_TOOLS)
def test_a_debugging_tool_is_a_warning_described_by_cost(pkg: str) -> None:
    ((severity, message),) = _sg164(_installing(pkg))
    assert severity == "warning" and f"{pkg} (" in message and "attacker" not in message


def test_runtime_and_debugging_tools_together_are_one_warning_naming_each() -> None:
    ((severity, message),) = _sg164(_installing("procps strace curl"))
    assert severity == "warning"
    assert message.index("curl (") < message.index("procps (") < message.index("strace (")


def test_copied_tools_are_judged_the_same_way() -> None:
    busybox = good("COPY --from=build /out/app /app", f"COPY --from=build /out/app /app\n"
                   f"COPY --from=busybox:1.36{D} /bin/busybox /busybox")
    assert [s for s, _ in _sg164(busybox)] == ["info"]
    dlv = good("COPY --from=build /out/app /app", "COPY --from=build /out/app /app\nCOPY --from=build /go/bin/dlv /dlv")
    assert [s for s, _ in _sg164(dlv)] == ["warning"]


def test_a_debug_variant_may_carry_any_tool() -> None:
    assert _sg164(_installing("strace procps", base=f"debian:12-slim{D} AS debug")) == []
