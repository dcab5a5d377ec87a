"""The default generated Dockerfile builds unchanged with buildah, and `slimgo run` runs what it built.

buildah works on a private store (vfs, chroot isolation) and local images the test makes: a builder with this
machine's Go toolchain and a static busybox as /bin/sh, and a small runtime. The pinned remote images are passed
over with the Dockerfile's own GO_IMAGE and RUNTIME_IMAGE build args, as a user with a mirror would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from slimgo.cli.main import main
from tests.conftest import require_root, require_tool
from tests.lint.generate.gomodule import write_module

pytestmark = pytest.mark.integration

GO_IMAGE = "localhost/slimgo-test/go:local"
RUNTIME_IMAGE = "localhost/slimgo-test/runtime:local"
# syscall only: the builder compiles the standard library cold, and fmt's dependencies would triple that time
PROGRAM = ('package main\n\nimport "syscall"\n\nvar version = "none"\n\n'
           'func main() {{ syscall.Write(1, []byte("{text} " + version + "\\n")) }}\n')
MAKEFILE = "VERSION ?= 0.0.0\nbuild:\n\tgo build -ldflags '-X main.version=$(VERSION)' ./cmd/...\n"
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"


class Buildah:
    """buildah on a store of its own under ``root``: nothing read from or left in the machine's store."""

    def __init__(self, binary: str, root: Path) -> None:
        self.policy = root / "policy.json"
        self.policy.parent.mkdir(parents=True, exist_ok=True)
        self.policy.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
        registries = root / "registries.conf"
        registries.write_text("unqualified-search-registries = []\n")
        (root / "tmp").mkdir()
        self.base = [binary, "--root", str(root / "storage"), "--runroot", str(root / "run"),
                     "--storage-driver", "vfs"]
        self.env = {**os.environ, "TMPDIR": str(root / "tmp"), "BUILDAH_ISOLATION": "chroot",
                    "CONTAINERS_REGISTRIES_CONF": str(registries)}

    def __call__(self, *args: str, cwd: Path | None = None, timeout: float = 60) -> str:
        proc = subprocess.run([*self.base, *args], cwd=cwd, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        assert proc.returncode == 0, f"buildah {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def image(self, name: str, rootfs: Path, env: dict[str, str]) -> None:
        """`rootfs` as a one-layer image called ``name``."""
        container = self("from", "scratch").strip()
        self("copy", container, f"{rootfs}/", "/")
        self("config", *[a for k, v in env.items() for a in ("--env", f"{k}={v}")], container)
        self("commit", "--signature-policy", str(self.policy), "-q", container, name)
        self("rm", container)


def _static(path: str) -> bool:
    with open(path, "rb") as fh:
        return not any(seg["p_type"] == "PT_INTERP" for seg in ELFFile(fh).iter_segments())


def _builder_rootfs(go: str, module: Path, out: Path) -> dict[str, str]:
    """This machine's Go toolchain (its static binaries and the standard-library sources the module needs) and a
    static busybox as /bin/sh; returns the image's environment."""
    busybox = require_tool("busybox")
    if not _static(busybox):
        message = f"{busybox} is dynamically linked: install busybox-static (scripts/install-system.sh does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    info = json.loads(subprocess.run([go, "env", "-json", "GOROOT", "GOHOSTOS", "GOHOSTARCH"], env=env,
                                     capture_output=True, text=True, timeout=60, check=True).stdout)
    goroot = Path(info["GOROOT"])
    std = subprocess.run([go, "list", "-deps", "-f", "{{if .Goroot}}{{.Dir}}{{end}}", "./..."], cwd=module,
                         env=env, capture_output=True, text=True, timeout=120, check=True).stdout.split()
    dest = out / "usr/local/go"
    tools = f"pkg/tool/{info['GOHOSTOS']}_{info['GOHOSTARCH']}"
    for rel in ["bin/go", "go.env", "VERSION", "src/go.mod", "src/vendor/modules.txt",
                *(f"{tools}/{t}" for t in ("compile", "link", "asm"))]:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(goroot / rel, dest / rel)
        assert not rel.startswith(("bin", "pkg")) or _static(str(goroot / rel)), f"{rel} is not static"
    shutil.copytree(goroot / "pkg/include", dest / "pkg/include")
    for directory in map(Path, std):  # the package's own files: its subdirectories are packages of their own
        target = dest / directory.relative_to(goroot)
        target.mkdir(parents=True, exist_ok=True)
        for f in directory.iterdir():
            if f.is_file() and not f.name.endswith("_test.go"):
                shutil.copy2(f, target / f.name)
    for header in (goroot / "src").rglob("*.h"):  # assembly includes headers of other packages (runtime/cgo)
        (dest / header.relative_to(goroot)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(header, dest / header.relative_to(goroot))
    (out / "bin").mkdir()
    shutil.copy2(busybox, out / "bin/sh")
    for d in ("root", "go", "tmp"):
        (out / d).mkdir()
    (out / "tmp").chmod(0o1777)
    return {"PATH": "/usr/local/go/bin:/go/bin:/bin", "GOPATH": "/go", "HOME": "/root", "GOPROXY": "off",
            "GOTOOLCHAIN": "local", "GOTELEMETRY": "off"}


def _runtime_rootfs(out: Path) -> None:
    (out / "etc").mkdir(parents=True)
    (out / "etc/passwd").write_text(PASSWD)
    (out / "etc/group").write_text("root:x:0:\nnonroot:x:65532:\n")
    (out / "tmp").mkdir()
    (out / "tmp").chmod(0o1777)


def _image(layout: Path, tag: str) -> tuple[dict[str, object], list[tarfile.TarInfo]]:
    """The config and the last layer's entries of ``tag`` in the OCI layout."""
    def blob(digest: str) -> Path:
        return layout / "blobs" / Path(*digest.split(":", 1))

    index = json.loads((layout / "index.json").read_text())
    (desc,) = [m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag]
    manifest = json.loads(blob(desc["digest"]).read_text())
    config = json.loads(blob(manifest["config"]["digest"]).read_text())
    with tarfile.open(blob(manifest["layers"][-1]["digest"]), "r:*") as tar:
        return config, tar.getmembers()


def test_buildah_builds_the_portable_dockerfile_and_slimgo_runs_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    require_root()  # buildah's chroot isolation and runc
    buildah = Buildah(require_tool("buildah"), tmp_path / "buildah")
    go = require_tool("go")
    root = write_module(tmp_path / "shop", mains=("cmd/api", "cmd/worker"))
    for name in ("api", "worker"):
        (root / "cmd" / name / "main.go").write_text(PROGRAM.format(text=f"hello from {name}"))
    (root / "Makefile").write_text(MAKEFILE)  # its version stamping becomes the build arg VERSION
    monkeypatch.chdir(root)
    assert main(["dockerfile"]) == 0
    capsys.readouterr()
    dockerfile = (root / "Dockerfile").read_text()
    assert "--mount" not in dockerfile and "# syntax" not in dockerfile and "ARG VERSION=0.0.0" in dockerfile

    started = time.monotonic()
    buildah.image(GO_IMAGE, tmp_path / "go-rootfs", _builder_rootfs(go, root, tmp_path / "go-rootfs"))
    _runtime_rootfs(tmp_path / "runtime-rootfs")
    buildah.image(RUNTIME_IMAGE, tmp_path / "runtime-rootfs", {})
    images = time.monotonic() - started
    # buildah bud as a user types it: the generated file as it is, a base image mirror through the build args
    buildah("bud", "--isolation", "chroot", "--pull=never", "--signature-policy", str(buildah.policy),
            "--build-arg", f"GO_IMAGE={GO_IMAGE}", "--build-arg", f"RUNTIME_IMAGE={RUNTIME_IMAGE}",
            "--build-arg", "VERSION=1.2.3",
            "--target", "api", "-t", "localhost/shop/api:test", "-f", "Dockerfile", ".", cwd=root, timeout=240)
    build = time.monotonic() - started - images
    layout = tmp_path / "layout"
    buildah("push", "--signature-policy", str(buildah.policy), "localhost/shop/api:test", f"oci:{layout}:api")
    print(f"buildah: images {images:.1f}s, bud {build:.1f}s", file=sys.stderr)

    config, entries = _image(layout, "api")
    runtime = config["config"]
    assert isinstance(runtime, dict)
    assert runtime["Entrypoint"] == ["/app/api"] and runtime["User"] == "65532:65532"
    (app,) = [e for e in entries if e.name.lstrip("./") == "app/api"]
    assert app.isfile() and app.mode & 0o111 and app.size > 100_000
    assert {e.name.lstrip("./") for e in entries} <= {"app", "app/api"}  # nothing of the builder came along

    (tmp_path / "run").mkdir()
    proc = subprocess.run([sys.executable, "-m", "slimgo", "run", f"oci:{layout}:api"], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "TMPDIR": str(tmp_path / "run")})
    assert (proc.returncode, proc.stdout) == (0, "hello from api 1.2.3\n"), proc.stderr
