"""Whatever text comes in, the Dockerfile linter returns findings: it never raises and never hangs."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from slimgo.lint.dockerfile import lint_dockerfile
from tests.lint.dockerfile.cases import GOOD

_KEYWORDS = ["FROM", "RUN", "COPY", "ADD", "ARG", "ENV", "USER", "ENTRYPOINT", "CMD", "WORKDIR", "ONBUILD",
             "SHELL", "HEALTHCHECK", "LABEL", "EXPOSE", "VOLUME", "STOPSIGNAL", "MAINTAINER", "BOGUS"]
_WORDS = ["golang", "scratch", "AS", "build", "--from=build", "--mount=type=cache,target=/x", "--platform=$X",
          "go", "install", "mod", "download", "-ldflags", "\"-s", "-w\"", "$A", "${B:-c}", "${", "}", "\\", "<<EOF",
          "EOF", "[\"/app\"", "]", "=", "&&", "|", ";", "'", "\"", "TOKEN=1", "root", "0:0", ".", "/", "x@latest",
          "https://a:b@c/", "#", "\t", "é"]


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        words = draw(st.lists(st.sampled_from(_WORDS), max_size=8))
        lines.append(" ".join([draw(st.sampled_from(_KEYWORDS)), *words]))
    return "\n".join(lines)


@settings(max_examples=300, deadline=None)
@given(dockerfiles())
def test_instruction_soup_never_raises(text: str) -> None:
    for finding in lint_dockerfile("Dockerfile", text):
        assert finding.rule.startswith("SG1") and finding.line >= 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    assert isinstance(lint_dockerfile("Dockerfile", text), list)


def test_a_large_dockerfile_is_linted_in_bounded_time() -> None:
    body = GOOD + "".join(f"RUN echo {i} && go version\n" for i in range(5000))
    start = time.monotonic()
    findings = lint_dockerfile("Dockerfile", body)
    assert time.monotonic() - start < 20
    assert findings == []


def test_a_parse_error_deep_in_a_large_file_is_located() -> None:
    lines = GOOD.splitlines() + [f"LABEL n{i}=v" for i in range(3000)] + ["ENV ONLY_A_NAME"]
    (f,) = lint_dockerfile("Dockerfile", "\n".join(lines) + "\n")
    assert (f.rule, f.line) == ("SG100", len(lines))


def test_a_lone_line_continuation_is_a_parse_finding() -> None:
    (f,) = lint_dockerfile("Dockerfile", "\\")
    assert (f.rule, f.line) == ("SG100", 1) and "continuation" in f.message
