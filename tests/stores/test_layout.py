"""OCI layout and archives: what slimgo writes is valid OCI, reads back identically, and is atomic."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from slimgo.errors import StoreError, UsageError
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import StoredImage, assemble, assemble_index
from slimgo.oci.platform import Platform
from slimgo.stores.layout import Layout
from tests.conftest import require_tool
from tests.ocischema import validate
from tests.stores.access import Location, open_image, read_artifact, write_artifact


def make_image(tmp: Path, text: str = "hello", platform: str = "linux/amd64") -> StoredImage:
    layer = build_layer([Entry("app/hello.txt", data=text.encode()), Entry("tmp", kind="dir", mode=0o1777)], tmp)
    config = ImageConfig.empty(Platform.parse(platform)).replace_runtime(User="65532:65532", Entrypoint=["/app/x"])
    return assemble(config, [layer])


def test_layout_roundtrip_is_schema_valid(tmp_path: Path) -> None:
    image = make_image(tmp_path)
    ref = write_artifact(Location.parse(f"oci:{tmp_path}/out:v1"), image)
    assert ref == f"oci:{tmp_path}/out:v1@{image.digest}"
    root = tmp_path / "out"
    validate("layout", json.loads((root / "oci-layout").read_text()))
    validate("index", json.loads((root / "index.json").read_text()))
    validate("manifest", json.loads(image.raw_manifest))
    validate("config", json.loads(image.raw_config))
    again = open_image(f"oci:{root}:v1")
    assert again.digest == image.digest and again.raw_config == image.raw_config
    assert again.config.user == "65532:65532"


def test_layout_keeps_other_images_and_moves_tags(tmp_path: Path) -> None:
    root = tmp_path / "out"
    first, second = make_image(tmp_path, "a"), make_image(tmp_path, "b")
    write_artifact(Location.parse(f"oci:{root}:a"), first)
    write_artifact(Location.parse(f"oci:{root}:b"), second)
    write_artifact(Location.parse(f"oci:{root}:a"), second)  # move tag a
    layout = Layout(root)
    assert sorted(layout.tags()) == ["a", "b"]
    assert layout.resolve("a").digest == second.digest
    with pytest.raises(StoreError, match="no image has this tag"):
        layout.resolve("zzz")


def test_layout_refuses_foreign_directory_and_leaves_it(tmp_path: Path) -> None:
    target = tmp_path / "notalayout"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(StoreError, match="not an OCI layout"):
        write_artifact(Location.parse(f"oci:{target}"), make_image(tmp_path))
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_index_and_platform_selection(tmp_path: Path) -> None:
    amd, arm = make_image(tmp_path, "x", "linux/amd64"), make_image(tmp_path, "y", "linux/arm64")
    index = assemble_index([amd, arm])
    validate("index", json.loads(index.raw_index))
    write_artifact(Location.parse(f"oci:{tmp_path}/multi:m"), index)
    assert open_image(f"oci:{tmp_path}/multi:m", Platform.parse("linux/arm64")).digest == arm.digest
    with pytest.raises(Exception, match="no image for platform linux/s390x"):
        open_image(f"oci:{tmp_path}/multi:m", Platform.parse("linux/s390x"))


def test_docker_archive_refuses_index(tmp_path: Path) -> None:
    index = assemble_index([make_image(tmp_path, "x"), make_image(tmp_path, "y", "linux/arm64")])
    target = tmp_path / "img.tar"
    with pytest.raises(UsageError, match="one platform only") as err:
        write_artifact(Location.parse(f"docker-archive:{target}"), index)
    assert "oci-archive:FILE" in err.value.diagnostics()
    assert not target.exists()


def test_archives_roundtrip(tmp_path: Path) -> None:
    image = make_image(tmp_path)
    write_artifact(Location.parse(f"oci-archive:{tmp_path}/img.tar:v1"), image)
    assert open_image(f"oci-archive:{tmp_path}/img.tar:v1").digest == image.digest
    write_artifact(Location.parse(f"docker-archive:{tmp_path}/d.tar:app:v1"), image)
    back = read_artifact(Location.parse(f"docker-archive:{tmp_path}/d.tar"))
    assert isinstance(back, StoredImage)
    assert back.config.diff_ids == image.config.diff_ids
    assert back.config.user == "65532:65532"


@pytest.mark.integration
def test_skopeo_reads_what_slimgo_writes(tmp_path: Path) -> None:
    skopeo = require_tool("skopeo")
    image = make_image(tmp_path)
    write_artifact(Location.parse(f"oci:{tmp_path}/lay:v1"), image)
    write_artifact(Location.parse(f"oci-archive:{tmp_path}/o.tar:v1"), image)
    write_artifact(Location.parse(f"docker-archive:{tmp_path}/d.tar:app:v1"), image)
    for ref in (f"oci:{tmp_path}/lay:v1", f"oci-archive:{tmp_path}/o.tar:v1"):
        out = subprocess.run([skopeo, "inspect", ref], capture_output=True, text=True, check=True).stdout
        assert json.loads(out)["Digest"] == str(image.digest)
    out = subprocess.run([skopeo, "inspect", "--config", f"docker-archive:{tmp_path}/d.tar"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["rootfs"]["diff_ids"] == [str(d) for d in image.config.diff_ids]
    subprocess.run([skopeo, "copy", "-q", f"docker-archive:{tmp_path}/d.tar", f"oci:{tmp_path}/copied:x"],
                   check=True, capture_output=True)
    assert open_image(f"oci:{tmp_path}/copied:x").config.diff_ids == image.config.diff_ids
