"""`slimgo analyze` refuses exactly the layer entries that `lint --image`, `copy` and `run` refuse, word for word."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slimgo.analyze.audit import RULES
from tests.conftest import require_root, require_tool
from tests.hostile.harness import run_cli
from tests.hostile.layers import Member, write_cases

UNSAFE_RULE = "SG444"  # analyze's rule for an entry slimgo.layercheck refuses
APP = Member("app/x", data=b"#!/app/x\n", mode=0o755)
POD = ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
       "  containers: [{name: app, image: layout}]\n")

# Each case: the layers (lowest first), and the refused entries as (name in the tar, words of the cause); [] = clean.
CASES: dict[str, tuple[list[list[Member]], list[tuple[str, str]]]] = {
    "symlinked-parent": ([[APP, Member("esc", "symlink", linkname="../../../../tmp"),
                           Member("esc/escaped", data=b"x")]],
                         [("esc/escaped", "would be written through a symlink")]),
    "symlinked-parent-in-a-lower-layer": ([[APP, Member("esc", "symlink", linkname="../../../../tmp")],
                                           [Member("esc/escaped", data=b"x")]],
                                          [("esc/escaped", "would be written through a symlink")]),
    "absolute-link-parent": ([[APP, Member("lib", "symlink", linkname="/usr/lib"),
                               Member("lib/x", data=b"x")]], []),  # lands in /usr/lib inside the rootfs
    "rooted-dotdot": ([[APP, Member("/../x", data=b"x")]], []),  # containerd cleans /../x to /x
    "dotdot": ([[APP, Member("../x", data=b"x")]], [("../x", "has a path that climbs above the root")]),
    "dotdot-inside": ([[APP, Member("app/../../x", data=b"x")]],
                      [("app/../../x", "has a path that climbs above the root")]),
    "hardlink-out": ([[APP, Member("hl", "hardlink", linkname="../../etc/passwd")]],
                     [("hl", "is a hard link whose target")]),
    "device": ([[APP, Member("dev/mem", "chardev")]], [("dev/mem", "is a character device node")]),
    "lone-climbing-link": ([[APP, Member("up", "symlink", linkname="../../..")]], []),  # writes nothing through it
}


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """oci:DIR:TAG of each case, and the digest of its top layer (the one holding the refused entry)."""
    return write_cases(tmp_path_factory.mktemp("agree"), {case: layers for case, (layers, _) in CASES.items()})


def _refusals(text: str) -> set[tuple[str, str, str]]:
    """(layer digest, entry, cause) of every `layer DIGEST entry 'NAME' CAUSE` a verb printed."""
    flat = " ".join(text.split())
    found = re.findall(r"layer (sha256:[0-9a-f]{64}) entry '([^']+)':? (.+?)(?:;| fix:| \(\d+ more|\"|$)", flat)
    return set(found)


def _expected(case: str) -> list[tuple[str, str]]:
    return CASES[case][1]


def _analyze(image: str) -> set[tuple[str, str, str]]:
    """The refusals of `analyze --json`, written as the other verbs write them (finding path = entry name)."""
    result = run_cli(["analyze", "--json", image], timeout=60)
    assert result.code == 0, result
    title = RULES[UNSAFE_RULE][1]
    return _refusals(" ".join(f"layer {f['layer']} entry '{f['path']}' {f['message'].removeprefix(title + ': ')}\""
                              for f in json.loads(result.out)["findings"] if f["rule"] == UNSAFE_RULE))


def _lint(image: str, tmp_path: Path) -> set[tuple[str, str, str]]:
    (tmp_path / "pod.yaml").write_text(POD)
    result = run_cli(["lint", "--format", "json", "--fail-on", "never", "--image", image, str(tmp_path / "pod.yaml")],
                     timeout=60)
    assert result.code == 0, result  # the pod's own findings aside (it is no restricted pod): only SG444 counts
    messages = " ".join(f["message"] for f in json.loads(result.out)["findings"] if f["rule"] == "SG444")
    return _refusals(messages)


@pytest.mark.parametrize("case", sorted(CASES))
def test_analyze_lint_and_copy_agree(images: dict[str, tuple[str, str]], tmp_path: Path, case: str) -> None:
    image, digest = images[case]
    expected = _expected(case)
    analyzed = _analyze(image)
    linted = _lint(image, tmp_path)
    copied = run_cli(["copy", image, f"oci:{tmp_path}/out:x"], timeout=60)

    assert analyzed == linted, (analyzed, linted)  # the same entries, the same causes word for word
    assert len(analyzed) == len(expected)
    for name, words in expected:
        assert any((layer, n) == (digest, name) and words in cause for layer, n, cause in analyzed), analyzed
    if expected:
        assert copied.code == 1 and _refusals(copied.err) <= analyzed, copied  # copy names the first
    else:
        assert copied.code == 0, copied


@pytest.mark.integration
@pytest.mark.parametrize("case", sorted(c for c in CASES if c != "device"))  # runc makes /dev: run skips devices
def test_run_refuses_what_analyze_reports(images: dict[str, tuple[str, str]], tmp_path: Path, case: str) -> None:
    require_tool("runc")
    require_root()
    image, _ = images[case]
    analyzed = _analyze(image)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = run_cli(["run", image], env={"TMPDIR": str(tmp)}, timeout=60)
    refused = _refusals(run.err)
    if analyzed:
        assert run.code == 1 and refused and refused <= analyzed, (run, analyzed)
    else:
        assert not refused and "entry '" not in run.err, run
