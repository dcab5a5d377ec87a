"""The SBOM contents cache: an entry gives back exactly what reading the layers gives, a damaged one is read again,
and a build that finds its image's entry attaches the same SBOM bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from slimgo.cli.options import stores_from
from slimgo.oci.image import StoredImage
from slimgo.supply.contents import image_contents
from slimgo.supply.contents_cache import cached_image_contents
from tests.supply.conftest import Slimgo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_an_entry_is_what_the_layers_say(replaced_image: Path, tmp_path: Path) -> None:
    image = stores_from("never", ()).read(f"oci:{replaced_image}:v1")
    assert isinstance(image, StoredImage)
    fresh = image_contents(image, "app")
    assert fresh.binaries and fresh.packages  # the Go binary and the static base's file sets
    assert cached_image_contents(image, "app", tmp_path) == fresh  # stored
    (entry,) = (tmp_path / "sbom-contents").iterdir()
    assert cached_image_contents(image, "app", tmp_path) == fresh  # read back
    listed = json.loads(entry.read_text())
    listed["binaries"][0]["info"]["deps"] = "not a list of modules"
    entry.write_text(json.dumps(listed))
    assert cached_image_contents(image, "app", tmp_path) == fresh  # a damaged entry is replaced
    assert json.loads(entry.read_text())["binaries"][0]["info"]["deps"] != "not a list of modules"


def test_a_rebuild_attaches_the_same_sbom(slimgo: Slimgo, tmp_path: Path) -> None:
    source = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", source)
    layout = tmp_path / "out"
    sboms = []
    for _run in ("first", "second"):  # the second finds the entry the first stored
        shutil.rmtree(layout, ignore_errors=True)
        assert slimgo("build", str(source), "-o", f"oci:{layout}:v1", "--sbom", "spdx").code == 0
        fetched = slimgo("sbom", "--attached", f"oci:{layout}:v1")
        assert fetched.code == 0, fetched.err
        sboms.append(fetched.out)
        assert len(list((tmp_path / "cache" / "sbom-contents").iterdir())) == 1
    assert sboms[0] == sboms[1]
    assert "pkg:golang/example.com/hello" in sboms[0]
