"""SLSA v1 provenance of a built image as an in-toto statement: the source (repository, revision, dirty or not),
the builder (slimgo's version), the build parameters and the Go toolchain, all read back from the image itself."""

from __future__ import annotations

__all__ = ["SLSA_V1", "predicate", "statement"]

import json
from typing import Any

from slimgo import __version__
from slimgo.oci.image import StoredImage
from slimgo.supply.contents import Contents

SLSA_V1 = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://slimgo.dev/build/v1"
BUILDER_ID = f"https://slimgo.dev/slimgo@v{__version__}"
SOURCE, REVISION = "org.opencontainers.image.source", "org.opencontainers.image.revision"
BASE_NAME, BASE_DIGEST = "org.opencontainers.image.base.name", "org.opencontainers.image.base.digest"
# Build settings that are parameters a person chose (the rest are facts of the toolchain or the checkout).
_CHOSEN = ("-tags", "-ldflags", "-gcflags", "-trimpath", "-buildmode", "CGO_ENABLED", "GOOS", "GOARCH", "GOARM",
           "GOAMD64", "GOARM64")


def _source(image: StoredImage, contents: Contents) -> list[dict[str, Any]]:
    annotations = image.manifest.annotations
    settings = contents.binaries[0].info.settings_dict() if contents.binaries else {}
    revision = annotations.get(REVISION) or settings.get("vcs.revision", "")
    url = annotations.get(SOURCE, "")
    found: list[dict[str, Any]] = []
    if url or revision:
        system = settings.get("vcs", "git")
        entry: dict[str, Any] = {"uri": f"{system}+{url}@{revision}" if url else f"{system}+unknown@{revision}"}
        if revision:
            entry["digest"] = {"gitCommit" if system == "git" else "vcsRevision": revision}
        if "vcs.modified" in settings:
            entry["annotations"] = {"dirty": settings["vcs.modified"] == "true"}
        found.append(entry)
    if annotations.get(BASE_DIGEST):
        digest = annotations[BASE_DIGEST]
        found.append({"uri": annotations.get(BASE_NAME, "base"),
                      "digest": {digest.partition(":")[0]: digest.partition(":")[2]}})
    return found


def predicate(image: StoredImage, contents: Contents, parameters: dict[str, Any]) -> dict[str, Any]:
    """The SLSA v1 predicate; ``parameters`` are what the build was asked for (packages, flags)."""
    binaries = []
    for binary in contents.binaries:
        settings = binary.info.settings_dict()
        binaries.append({"path": binary.path, "package": binary.info.path, "go": binary.info.go_version,
                         "settings": {k: v for k, v in settings.items() if k in _CHOSEN}})
    go_versions = sorted({binary.info.go_version for binary in contents.binaries})
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": dict(sorted(parameters.items())),
            "internalParameters": {"binaries": binaries},
            "resolvedDependencies": _source(image, contents),
        },
        "runDetails": {
            "builder": {"id": BUILDER_ID, "version": {"slimgo": __version__, "go": ", ".join(go_versions)}},
            "metadata": {"invocationId": str(image.digest)},
        },
    }


def statement(repository: str, image: StoredImage, pred: dict[str, Any]) -> bytes:
    document = {"_type": "https://in-toto.io/Statement/v1", "subject": [
        {"name": repository, "digest": {image.digest.algorithm: image.digest.hex}}],
        "predicateType": SLSA_V1, "predicate": pred}
    return json.dumps(document, indent=2).encode() + b"\n"
