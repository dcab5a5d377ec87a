"""The judgement without a disk (copy, inspect, lint) agrees with what unpacking onto a disk (run) finds."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slimgo.errors import SlimgoError
from slimgo.layercheck import EntryJudge, Limits, UnsafeEntry, clean, parse_size, scan_layer
from slimgo.oci.image import Layer
from slimgo.runtime.unpack import unpack_layers
from tests.hostile.layers import Member, raw_layer

_NAMES = st.sampled_from(["a", "b", "/a/b", "a/b/c", "b/x", "c", "a/c/d", "../c", "a/../b", "/../a/d", "up/x"])
_TARGETS = st.sampled_from(["a", "..", "../..", "../outside", "/", "/outside", "a/..", "../../../outside", "b/x",
                            "/a/../..", "up"])
_MEMBER = st.one_of(
    st.builds(lambda n: Member(n, data=b"payload"), _NAMES),
    st.builds(lambda n: Member(n, "dir", mode=0o755), _NAMES),
    st.builds(lambda n, t: Member(n, "symlink", linkname=t), _NAMES, _TARGETS),
    st.builds(lambda n, t: Member(n, "hardlink", linkname=t), _NAMES,
              st.sampled_from(["a", "b/x", "/c", "../c", "up/c"])),
    st.builds(lambda n: Member(f"{n}/.wh..wh..opq"), _NAMES),
    st.builds(lambda n: Member(f"{n}/.wh.b"), _NAMES),
)


def _judged(layers: Sequence[Layer]) -> list[str]:
    judge = EntryJudge(Limits())
    problems: list[str] = []
    for layer in layers:
        problems.extend(f"{v.problem.subject}: {v.problem.cause}" for _, v in scan_layer(layer, judge)
                        if v.problem is not None)
    return problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_MEMBER, max_size=8), min_size=1, max_size=3))
def test_run_refuses_exactly_what_the_judge_refuses(layers: list[list[Member]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Path(tmp)
        blobs = sandbox / "blobs"
        blobs.mkdir()
        built = [raw_layer(blobs, members) for members in layers]
        judged = _judged(built)
        try:
            unpack_layers(built, sandbox / "rootfs", lambda _: None)
        except UnsafeEntry as err:
            assert judged and judged[0] == f"{err.subject}: {err.cause}"  # the first refusal, word for word
            return
        except SlimgoError:
            return  # e.g. a hard link to a file no entry made: broken, not unsafe; the rest was never applied
        assert judged == []


def test_clean_follows_go_filepath_clean() -> None:
    assert clean("/ko-app/hello") == ["ko-app", "hello"]
    assert clean("./etc//passwd") == ["etc", "passwd"]
    assert clean("/../../etc") == ["etc"]  # `..` at the root of a rooted path stays there
    assert clean("a/../b") == ["b"]
    assert clean("/") == [] and clean(".") == []


def test_sizes_parse_as_users_write_them() -> None:
    assert parse_size("16GiB", "X") == 16 << 30
    assert parse_size("16G", "X") == 16 << 30
    assert parse_size("2GB", "X") == 2_000_000_000
    assert parse_size("512 MiB", "X") == 512 << 20
    assert parse_size("4096", "X") == 4096
    assert Limits.from_env({"SLIMGO_MAX_LAYER_SIZE": "1GiB"}) == Limits(layer=1 << 30)
