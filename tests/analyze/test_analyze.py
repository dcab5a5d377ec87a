"""`slimgo analyze` driven through the CLI on test-made images: per-layer changes with whiteouts and opaque dirs,
corrected waste, the audit's findings, the JSON contract, --tree, --diff, and hostile layers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from slimgo.cli.main import main
from tests.analyze.images import F, blob, docker_archive, history_step
from tests.conftest import FIXTURES, require_tool
from tests.schemas import validate

PRIVATE_KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
DPKG_STATUS = (b"Package: libc6\nStatus: install ok installed\nVersion: 2.36\n\n"
               b"Package: dash\nStatus: install ok installed\n\nPackage: gone\nStatus: deinstall ok config-files\n")

FAT = [
    [F("bin", kind="dir"), F("bin/busybox", blob(40000, 1), mode=0o755),
     F("bin/sh", kind="symlink", link="busybox"), F("bin/ls", kind="symlink", link="/bin/busybox"),
     F("usr/bin/dash", blob(9000, 2), mode=0o755), F("usr/bin/apt-get", blob(3000, 3), mode=0o755),
     F("usr/bin/su", blob(2000, 4), mode=0o4755), F("usr/bin/wall", blob(1000, 5), mode=0o2755),
     F("var/lib/dpkg/status", DPKG_STATUS), F("tmp", kind="dir", mode=0o1777),
     F("var/drop", kind="dir", mode=0o777), F("usr/bin/ping", blob(500, 6), mode=0o755,
                                               xattrs={"security.capability": "\x01\x00\x00\x02"})],
    [F("root/.ssh/id_ed25519", PRIVATE_KEY, mode=0o600), F("app/.env", b"DB_PASSWORD=hunter2\n"),
     F("usr/local/go/bin/go", blob(7000, 7), mode=0o755), F("usr/bin/gcc-12", blob(6000, 8), mode=0o755)],
    [F("root/.ssh/.wh.id_ed25519"), F("app/server", blob(12000, 9), mode=0o755),
     F("usr/local/.wh.go"), F("var/cache/apt/archives/big.deb", blob(2_000_000, 10))],
    [F("var/cache/apt/.wh..wh..opq"), F("app/.git", kind="dir"), F("app/.git/HEAD", b"ref: refs/heads/main\n")],
]
FAT_HISTORY = [history_step("ADD rootfs.tar /"), history_step('CMD ["sh"]', empty=True),
               history_step("ENV API_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", empty=True),
               history_step("COPY . /"), history_step("RUN build"), history_step("RUN clean")]


def analyze_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["analyze", "--json", *args]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    validate(document, "analyze")
    return document


@pytest.fixture
def fat(tmp_path: Path) -> Path:
    return docker_archive(tmp_path / "fat.tar", FAT, history=FAT_HISTORY,
                          config={"User": "app", "Env": ["PATH=/bin", "AWS_SECRET_ACCESS_KEY=abc"],
                                  "Cmd": ["/bin/sh", "-c", "/app/server"]})


def test_layers_history_and_changes(fat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = analyze_json(capsys, f"docker-archive:{fat}")
    assert doc["kind"] == "slimgo.analyze"
    rows = doc["layers"]
    assert [r["empty"] for r in rows] == [False, True, True, False, False, False]
    assert [r["created_by"] for r in rows][3] == "COPY . /"
    layer = {r["index"]: r for r in rows if not r["empty"]}
    assert layer[0]["added"] == len(FAT[0])  # every entry; implicit parents are not entries
    assert (layer[2]["removed"], layer[2]["added"]) == (2, 2)  # the key and the go binary; server and deb
    assert layer[3]["removed"] == 1  # the opaque dir hides the lower layer's deb
    assert all(r["size"] > 0 and r["uncompressed_size"] >= r["size"] for r in layer.values())


def test_corrected_waste_counts_dead_copies_only(fat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = analyze_json(capsys, f"docker-archive:{fat}")
    corrected = doc["waste"]["corrected"]
    # dead: the private key and the go binary (removed by layer 2), the deb (hidden by layer 3's opaque dir)
    assert corrected["wasted_bytes"] == len(PRIVATE_KEY) + 7000 + 2_000_000
    assert corrected["base_layers"] == 1 and corrected["base_source"] == "history"
    total = sum(len(f.data) for layer in FAT for f in layer if f.kind == "file")
    assert corrected["wasted_percent"] == pytest.approx(100 * corrected["wasted_bytes"] / total, abs=1e-3)
    # dive does not honour opaque dirs: the hidden deb is not in its figure
    assert doc["waste"]["dive"]["wasted_bytes"] < corrected["wasted_bytes"]
    assert any("deletes or replaces" in v and "layer 2" in v for v in doc["verdicts"])


def test_audit_findings(fat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = analyze_json(capsys, f"docker-archive:{fat}")
    found = {(f["rule"], f["path"]) for f in doc["findings"]}
    expected = {
        ("SG301", "/bin/busybox"), ("SG301", "/usr/bin/dash"), ("SG302", "/usr/bin/apt-get"),
        ("SG303", "/var/lib/dpkg/status"), ("SG304", "/usr/bin/su"), ("SG305", "/usr/bin/wall"),
        ("SG306", "/var/drop"), ("SG307", "/usr/bin/ping"), ("SG308", "/usr/bin/gcc-12"),
        ("SG310", "/root/.ssh/id_ed25519"), ("SG310", "/app/.env"), ("SG310", "/app/.git"),
        ("SG311", "config.Env.AWS_SECRET_ACCESS_KEY"), ("SG311", "history[2]"), ("SG313", "config.User"),
        ("SG314", "config.Entrypoint"),
    }
    assert expected <= found, expected - found
    assert ("SG306", "/tmp") not in found  # sticky
    assert ("SG309", "/usr/local/go/bin/go") not in found  # deleted from the final view
    by_path = {f["path"]: f for f in doc["findings"]}
    assert "2 packages (dash, libc6)" in by_path["/var/lib/dpkg/status"]["message"]
    assert "busybox with 2 applet links" in by_path["/bin/busybox"]["message"]
    key = by_path["/root/.ssh/id_ed25519"]
    assert "private key" in key["message"] and "still readable" in key["message"]
    assert key["layer"] == next(r["digest"] for r in doc["layers"] if r["index"] == 1)
    assert all(f["fix"] for f in doc["findings"])


def test_text_report_and_tree(fat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--tree", "--depth", "2", f"docker-archive:{fat}"]) == 0
    out = capsys.readouterr().out
    assert "efficiency" in out and "SG310" in out and "verdict" in out
    tree = out.split("\ntree\n", 1)[1]
    assert "── app" in tree and "── server" in tree
    assert "── HEAD" not in tree  # depth 2 stops at /app/.git


def test_diff_two_images(fat: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slim = docker_archive(tmp_path / "slim.tar", [[F("app/server", blob(12000, 9), mode=0o755)]],
                          config={"User": "65532"})
    assert main(["analyze", "--diff", "--json", f"docker-archive:{fat}", f"docker-archive:{slim}"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "analyze")
    assert doc["kind"] == "slimgo.analyze.diff"
    assert doc["size"]["delta"] < 0
    assert (doc["layers"]["a"], doc["layers"]["b"], len(doc["layers"]["only_b"])) == (4, 1, 1)
    assert {"path": "/bin/busybox", "size": 40000} in doc["files"]["removed"]
    assert not doc["files"]["added"]
    assert {"SG301", "SG302", "SG310", "SG313"} <= {f["rule"] for f in doc["findings"]["only_a"]}
    assert not doc["findings"]["only_b"]


@pytest.mark.parametrize("members, reason", [
    ([F("../../etc/passwd", b"x")], "has a path that climbs above the root"),
    ([F("evil", kind="hardlink", link="../../../etc/shadow")], "is a hard link whose target"),
    ([F("dev/sda", kind="char")], "is a character device node"),
    ([F("sparse.img", size=1 << 40)], "declares 1024.0 GiB, over the limit of 4.0 GiB per entry"),
    ([F("etc/shadow", kind="symlink", link="/../../../etc/shadow")], ""),  # resolves inside the rootfs: no finding
    ([F("a/b/up", kind="symlink", link="../../../../etc")], ""),  # a link alone writes nothing: only through it
])
def test_hostile_layers_are_findings_and_nothing_is_written(members: list[F], reason: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    archive = docker_archive(tmp_path / "hostile.tar", [members])
    before = set(os.listdir(tmp_path))
    doc = analyze_json(capsys, f"docker-archive:{archive}")
    rules = {f["rule"]: f for f in doc["findings"]}
    if not reason:
        assert "SG444" not in rules
    else:
        assert reason in rules["SG444"]["message"]
    assert set(os.listdir(tmp_path)) == before


def test_a_slimgo_built_image_audits_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    go = require_tool("go")
    source = tmp_path / "server"
    shutil.copytree(FIXTURES / "server", source)
    env = {**os.environ, "PATH": f"{Path(go).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "slimgo", "build", "-o", f"oci:{tmp_path}/out:server", "."],
                          cwd=source, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    doc = analyze_json(capsys, f"oci:{tmp_path}/out:server")
    assert doc["findings"] == []
    assert doc["waste"]["corrected"]["wasted_bytes"] == 0
    assert doc["waste"]["corrected"]["base_source"] in ("history", "annotation")
    assert doc["waste"]["dive"]["efficiency"] == 1.0


def test_base_layers_from_the_base_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from slimgo.oci.image import assemble
    from tests.stores.access import Location, open_image, write_artifact

    shared = [[F("etc/os-release", b"ID=base\n")], [F("usr/lib/libbase.so", blob(3000, 1))]]
    mine = [[F("app/server", blob(5000, 2))], [F("app/server", blob(5000, 3))]]
    base = docker_archive(tmp_path / "base.tar", shared)
    app = docker_archive(tmp_path / "app.tar", shared + mine)
    assert analyze_json(capsys, f"docker-archive:{app}")["waste"]["corrected"]["base_source"] == "assumed"
    corrected = analyze_json(capsys, "--base-image", f"docker-archive:{base}", f"docker-archive:{app}")["waste"][
        "corrected"]
    assert (corrected["base_layers"], corrected["base_source"], corrected["wasted_bytes"]) == (2, "image", 5000)
    image = open_image(f"docker-archive:{app}")
    for name, expected in ((f"docker-archive:{base}", (2, "annotation")),
                           (f"docker-archive:{tmp_path}/missing.tar", (1, "assumed"))):
        annotated = assemble(image.config, image.layers, {"org.opencontainers.image.base.name": name})
        write_artifact(Location.parse(f"oci:{tmp_path}/layout:app"), annotated)
        corrected = analyze_json(capsys, f"oci:{tmp_path}/layout:app")["waste"]["corrected"]
        assert (corrected["base_layers"], corrected["base_source"]) == expected
    assert main(["analyze", "--base-image", f"oci:{tmp_path}/nope", f"docker-archive:{app}"]) == 2
