"""RUN scripts read as a POSIX shell reads them: words, quotes, substitutions, operators and redirections."""

from __future__ import annotations

import itertools
import subprocess

import pytest

from slimgo.lint.dockerfile.shell import split_script
from tests.conftest import require_tool

# word spellings a shell must join, unquote and unescape the same way (no substitutions: those run in sh)
_PIECES = ["-s", "'-s -w'", '"-s -w"', '"-X main.v=1.0"', "-ldflags=\"-s -w\"", "a\\ b", "'it'\"'\"'s'",
           '"\\$HOME"', "'$HOME'", "x\\\ny", '""', "''", "'a'b\"c\"", "\"a\\\"b\"", "a#b", "x=\"1 2\""]


def _sh_words(args: str) -> list[str]:
    sh = require_tool("sh")
    out = subprocess.run([sh, "-c", f"printf '%s\\0' {args}"], capture_output=True, check=True, timeout=10)
    return out.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("pair", list(itertools.permutations(_PIECES, 2)))
def test_words_are_split_as_sh_splits_them(pair: tuple[str, str]) -> None:
    args = " ".join(pair)
    ((words, depth),) = split_script(f"printf '%s\\0' {args}")
    assert depth == 0
    assert list(words[2:]) == _sh_words(args)


@pytest.mark.parametrize(("script", "expected"), [
    # a substitution stays one piece of its word, quoted or not, however its inside is quoted or nested
    ('go build -ldflags "-s -w -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" .',
     ["-s -w -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"]),
    ('go build -ldflags "-s -w -X main.c=`git rev-parse --short HEAD`" .',
     ["-s -w -X main.c=`git rev-parse --short HEAD`"]),
    ("go build -ldflags=-X=main.v=$(git describe --tags --always)-$(date +%s) .",
     ["-ldflags=-X=main.v=$(git describe --tags --always)-$(date +%s)"]),
    ('go build -ldflags "-X \'main.v=$(cat VERSION | tr -d "\\n")\' -s -w" .',
     ["-X 'main.v=$(cat VERSION | tr -d \"\\n\")' -s -w"]),
    ('go build -ldflags "-s -w -X main.n=$(( $(date +%s) / 60 ))" .', ["-s -w -X main.n=$(( $(date +%s) / 60 ))"]),
    ('go build -ldflags "-X main.v=${VERSION:-$(git describe)} -s -w" .',
     ["-X main.v=${VERSION:-$(git describe)} -s -w"]),
])
def test_substitutions_stay_inside_their_word(script: str, expected: list[str]) -> None:
    top = [w for w, d in split_script(script) if d == 0]
    assert len(top) == 1 and top[0][0:2] == ("go", "build")
    assert [w for w in top[0][2:] if w not in {"-ldflags", "."}] == expected


def test_commands_inside_substitutions_come_first_and_deeper() -> None:
    found = split_script('V=$(if [ -n "$X" ]; then echo "$X"; else git describe; fi) && go build -ldflags "-X v=$V" .')
    assert [(w[0], d) for w, d in found] == [("if", 1), ("then", 1), ("else", 1), ("fi", 1), (found[4][0][0], 0),
                                             ("go", 0)]
    assert found[4][0][0].startswith("V=$(if")


@pytest.mark.parametrize(("script", "commands"), [
    ("a && b || c; d | e & f\ng", ["a", "b", "c", "d", "e", "f", "g"]),
    ("( cd sub && make ) || { echo no; exit 1; }", ["cd", "make", "{", "exit", "}"]),
    ("go build -o /x . 2>&1 >/dev/null | tee log", ["go", "tee"]),
    ("go build . &> log; go vet ./... >> log 2> err < /dev/null", ["go", "go"]),
    ("a # b && c\nd", ["a", "d"]),
    ("a \\\n  && b", ["a", "b"]),
    ("cat <<EOF > /etc/x", ["cat"]),
    ("echo ')' \"(\" \\( && b", ["echo", "b"]),
])
def test_operators_redirections_and_comments(script: str, commands: list[str]) -> None:
    assert [w[0] for w, d in split_script(script) if d == 0] == commands


def test_redirections_take_their_target_and_descriptor_with_them() -> None:
    ((words, _),) = split_script("go build -o /x . 2>&1 >/dev/null")
    assert words == ("go", "build", "-o", "/x", ".")


@pytest.mark.parametrize("script", ["$(" * 200, "`" * 301, "${" * 100, "'unterminated", '"open $(x', "$((", "))))"])
def test_broken_or_deep_scripts_end_without_error(script: str) -> None:
    assert isinstance(split_script(script), list)
