"""The dive-compatible waste figures equal what dive v0.12.0 itself reports (`--ci --json`, and its CI text for
the user-wasted percent) on docker-archives made by the tests: overwrites, deletions, opaque dirs, links."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slimgo.cli.main import main
from tests.analyze.images import F, blob, docker_archive, history_step
from tests.peers import go_peer

FIXTURES: dict[str, list[list[F]]] = {
    "overwrite-and-delete": [
        [F("etc/", kind="dir"), F("etc/a", blob(1000)), F("usr/bin/big", blob(50000, 1)), F("data/x/y", blob(3000, 2))],
        [F("etc/a", blob(2000, 3)), F("usr/bin/.wh.big"), F("data/.wh.x")],
        [F("data/.wh..wh..opq"), F("data/z", blob(10, 4)), F("etc/a", blob(2000, 5))],
    ],
    "explicit-dirs-removed": [
        [F("opt", kind="dir"), F("opt/app", kind="dir"), F("opt/app/lib.so", blob(7000, 6)),
         F("opt/app/data", kind="dir"), F("opt/app/data/blob", blob(9000, 7))],
        [F("opt/.wh.app")],
        [F("opt/app", kind="dir"), F("opt/app/lib.so", blob(500, 8))],
    ],
    "links-and-repeats": [
        [F("bin", kind="dir"), F("bin/busybox", blob(20000, 9), mode=0o755),
         F("bin/sh", kind="symlink", link="busybox"),
         F("bin/ls", kind="hardlink", link="bin/busybox"), F("tmp", kind="dir", mode=0o1777)],
        [F("bin/sh", kind="symlink", link="/bin/busybox"), F("app", blob(4000, 10)), F("app", blob(4100, 11))],
        [F("bin/.wh.ls"), F("app", blob(4200, 12)), F("tmp/cache", blob(800, 13))],
        [],
    ],
    "whiteout-of-missing-path-stops-dive": [
        [F("a/one", blob(100, 14)), F("b/two", blob(200, 15))],
        [F("a/.wh.nothere"), F("b/two", blob(300, 16)), F("c/three", blob(50, 17))],
        [F("b/two", blob(400, 18))],
    ],
    "single-layer": [
        [F("only", blob(1234, 19)), F("only", blob(1234, 20))],
    ],
}


def _dive(dive: Path, archive: Path, tmp: Path) -> tuple[float, int, float]:
    out = tmp / f"{archive.stem}.dive.json"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    subprocess.run([str(dive), "--source", "docker-archive", str(archive), "--json", str(out)], check=True,
                   capture_output=True, timeout=120, env=env)
    image = json.loads(out.read_text())["image"]
    text = subprocess.run([str(dive), "--ci", "--source", "docker-archive", str(archive), "--lowestEfficiency", "0",
                           "--highestUserWastedPercent", "disabled"], capture_output=True, text=True, timeout=120,
                          env=env).stdout
    match = re.search(r"userWastedPercent: (\S+) %", text)
    assert match, text
    return image["efficiencyScore"], image["inefficientBytes"], float(match.group(1))


def _slimgo(archive: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["analyze", "--json", f"docker-archive:{archive}"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "slimgo.analyze"
    waste = document["waste"]["dive"]
    assert isinstance(waste, dict)
    return waste


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_efficiency_and_wasted_bytes_equal_dives(name: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dive = go_peer("github.com/wagoodman/dive", "v0.12.0")
    layers: Sequence[Sequence[F]] = FIXTURES[name]
    history = [history_step("ADD rootfs.tar /"), history_step('CMD ["sh"]', empty=True)]
    history += [history_step(f"RUN step {i}") for i in range(1, len(layers))]
    archive = docker_archive(tmp_path / f"{name}.tar", layers, history=history)
    efficiency, wasted, user_percent = _dive(dive, archive, tmp_path)
    ours = _slimgo(archive, capsys)
    assert ours["wasted_bytes"] == wasted
    assert ours["efficiency"] == pytest.approx(efficiency, abs=1e-12)
    mine = ours["user_wasted_percent"]
    if math.isnan(user_percent) or math.isinf(user_percent):
        assert mine is None
    else:
        assert isinstance(mine, float)
        assert round(mine * 100, 4) == pytest.approx(user_percent, abs=1e-4)


_NAMES = ["a", "b", "a/c", "a/d", "b/e", "a/c/f", "g"]


def _random_layers(draw: st.DrawFn) -> list[list[F]]:
    layers = []
    for _ in range(draw(st.integers(1, 4))):
        members = []
        for _ in range(draw(st.integers(0, 6))):
            path = draw(st.sampled_from(_NAMES))
            op = draw(st.sampled_from(["file", "file", "dir", "whiteout", "opaque", "symlink"]))
            parent, _, base = path.rpartition("/")
            prefix = parent + "/" if parent else ""
            if op == "file":
                members.append(F(path, blob(draw(st.integers(0, 5000)), draw(st.integers(0, 99)))))
            elif op == "dir":
                members.append(F(path, kind="dir"))
            elif op == "whiteout":
                members.append(F(f"{prefix}.wh.{base}"))
            elif op == "opaque":
                members.append(F(f"{path}/.wh..wh..opq"))
            else:
                members.append(F(path, kind="symlink", link="g"))
        layers.append(members)
    return layers


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_random_images_match_dive(data: st.DataObject, tmp_path_factory: pytest.TempPathFactory) -> None:
    dive = go_peer("github.com/wagoodman/dive", "v0.12.0")
    layers = data.draw(st.composite(_random_layers)())
    tmp = tmp_path_factory.mktemp("random")
    archive = docker_archive(tmp / "random.tar", layers)
    efficiency, wasted, user_percent = _dive(dive, archive, tmp)
    from slimgo.analyze.dive import dive_waste
    from slimgo.analyze.scan import scan_layer
    from slimgo.stores.archive import open_docker_archive

    image = open_docker_archive(archive)
    ours = dive_waste([scan_layer(i, layer) for i, layer in enumerate(image.layers)])
    assert ours.wasted_bytes == wasted, layers
    assert ours.efficiency == pytest.approx(efficiency, abs=1e-12), layers
    if not (math.isnan(user_percent) or math.isinf(user_percent)):
        assert ours.user_wasted_percent is not None
        assert round(ours.user_wasted_percent * 100, 4) == pytest.approx(user_percent, abs=1e-4)
