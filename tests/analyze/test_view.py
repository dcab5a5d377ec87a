"""Paths resolved in the merged view of an analyzed image: symlinked parents, chains, hardlinks, loops, and the
contents read back from the one layer that holds the file (the last copy when a layer repeats a path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slimgo.analyze.report import analyze_image
from slimgo.analyze.view import MergedView
from slimgo.errors import ImageFormatError
from tests.analyze.images import F, docker_archive
from tests.stores.access import open_image


def test_resolve_and_read(tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "img.tar", [
        [F("usr/lib/libx.so.1", b"old"), F("lib", kind="symlink", link="usr/lib"),
         F("loop/a", kind="symlink", link="b"), F("loop/b", kind="symlink", link="a")],
        [F("usr/lib/libx.so.1", b"first"), F("usr/lib/libx.so.1", b"second"),
         F("usr/lib/libx.so", kind="symlink", link="libx.so.1"), F("hard", kind="hardlink", link="usr/lib/libx.so.1"),
         F("usr/lib/.wh.gone")],
    ])
    image = open_image(f"docker-archive:{archive}")
    view = MergedView(analyze_image(image, "img").merged, image.layers)
    found = view.resolve("/lib/libx.so")
    assert found is not None and (found.path, found.kind, found.layer) == ("/usr/lib/libx.so.1", "file", 1)
    assert view.read("/lib/libx.so", 100) == b"second"
    assert view.read("/hard", 100) == b"second"
    assert view.resolve("/loop/a") is None
    assert view.resolve("/usr/lib/gone") is None
    with pytest.raises(ImageFormatError, match="larger than 3 bytes"):
        view.read("/lib/libx.so", 3)
    with pytest.raises(ImageFormatError, match="not a regular file"):
        view.read("/usr/lib", 3)
