"""A Debian-like image built from real Debian packages: dive parity, the audit (shells, busybox applets, package
database with real package names), the base read from the history, and slimming a cgo server off it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.cli.main import main
from tests.analyze.debian import APPLETS, PACKAGES, debian_image, debs
from tests.analyze.images import F, blob
from tests.analyze.test_dive_parity import _dive
from tests.peers import go_peer
from tests.schemas import validate


def _analyze(archive: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(["analyze", "--json", f"docker-archive:{archive}"]) == 0
    doc: dict[str, object] = json.loads(capsys.readouterr().out)
    validate(doc, "analyze")
    return doc


def test_debian_like_image_audit_and_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = [[F("var/cache/apt/archives/dash.deb", debs()["dash"].read_bytes()), F("app/server", blob(9000, 1))],
             [F("var/cache/apt/archives/.wh.dash.deb"), F("bin/.wh.vi")]]
    archive = debian_image(tmp_path / "debian.tar", extra)
    doc = _analyze(archive, capsys)
    findings = doc["findings"]
    assert isinstance(findings, list)
    by_rule: dict[str, list[dict[str, str]]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    shells = {f["path"]: f["message"] for f in by_rule["SG301"]}
    assert "/bin/dash" in shells
    assert f"busybox with {len(APPLETS) - 1} applet links" in shells["/bin/busybox"]  # vi was deleted
    status = by_rule["SG303"][0]
    assert f"{len(PACKAGES)} packages ({', '.join(sorted(PACKAGES))})" in status["message"]
    corrected = doc["waste"]["corrected"]  # type: ignore[index]
    assert corrected["base_layers"] == len(PACKAGES) + 1 and corrected["base_source"] == "history"
    assert corrected["wasted_bytes"] == debs()["dash"].stat().st_size


def test_debian_like_image_matches_dive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dive = go_peer("github.com/wagoodman/dive", "v0.12.0")
    archive = debian_image(tmp_path / "debian.tar", [[F("bin/.wh.busybox"), F("usr/share/doc/.wh..wh..opq")]])
    efficiency, wasted, user_percent = _dive(dive, archive, tmp_path)
    waste = _analyze(archive, capsys)["waste"]["dive"]  # type: ignore[index]
    assert waste["wasted_bytes"] == wasted
    assert waste["efficiency"] == pytest.approx(efficiency, abs=1e-12)
    assert round(waste["user_wasted_percent"] * 100, 4) == pytest.approx(user_percent, abs=1e-4)


def test_slim_a_cgo_server_off_the_debian_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.analyze.test_slim import _server, _serves

    server = _server(tmp_path, cgo=True)
    archive = debian_image(tmp_path / "debian.tar", [[F("app/server", server, mode=0o755)]],
                           config={"Entrypoint": ["/app/server"], "User": "root"})
    assert main(["slim", "--json", f"docker-archive:{archive}", "-o", f"oci:{tmp_path}/slim:app"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["linking"] == "dynamic"
    assert "/lib/x86_64-linux-gnu/libc.so.6" in doc["kept"] and "/lib64/ld-linux-x86-64.so.2" in doc["kept"]
    assert not any("busybox" in k or "dash" in k for k in doc["kept"])
    assert {"SG301 /bin/dash", "SG301 /bin/busybox", "SG303 /var/lib/dpkg/status"} <= set(doc["findings_gone"])
    assert doc["after"]["size"] < doc["before"]["size"] / 2
    assert _serves(f"oci:{tmp_path}/slim:app", tmp_path)["uid"] == 65532
