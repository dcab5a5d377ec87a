"""Images for the runtime integration tests: the Go fixtures built once, over the static base."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from slimgo.base.static import base_env, rootfs_entries
from slimgo.host import host_platform
from slimgo.layer import Entry, build_layer
from slimgo.oci.config import ImageConfig
from slimgo.oci.image import assemble
from tests.conftest import FIXTURES, require_root, require_tool
from tests.stores.access import Location, write_artifact


@dataclass(frozen=True)
class Images:
    root: Path
    layout: str  # oci:DIR without a tag

    def ref(self, tag: str) -> str:
        return f"{self.layout}:{tag}"


def go_build(go: str, package: Path, out: Path) -> None:
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "."], cwd=package, env=env,
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    """server and stdincli in one app layer over the static base; an image per entrypoint, plus archives."""
    go = require_tool("go")
    require_tool("runc")
    require_root()
    root = tmp_path_factory.mktemp("images")
    for name in ("server", "stdincli"):
        go_build(go, FIXTURES / name, root / name)
    base = build_layer(rootfs_entries(), root)
    app = build_layer([Entry(f"app/{n}", mode=0o755, source=root / n) for n in ("server", "stdincli")], root)
    layout = f"oci:{root}/layout"
    for name in ("server", "stdincli"):
        config = ImageConfig.empty(host_platform()).replace_runtime(
            User="65532:65532", Entrypoint=[f"/app/{name}"], Env=base_env(True))
        image = assemble(config, [base, app])
        write_artifact(Location.parse(f"{layout}:{name}"), image)
        if name == "stdincli":
            write_artifact(Location.parse(f"oci-archive:{root}/cli.tar:stdincli"), image)
            write_artifact(Location.parse(f"docker-archive:{root}/cli-docker.tar:cli:v1"), image)
    return Images(root, layout)
