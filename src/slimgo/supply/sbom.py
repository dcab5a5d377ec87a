"""SPDX 2.3 and CycloneDX 1.6 JSON documents from an image's or a binary's contents, byte-for-byte reproducible:
identifiers derive from the subject's digest and the one timestamp comes from the caller (SOURCE_DATE_EPOCH)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from packageurl import PackageURL

from slimgo import __version__
from slimgo.elf.buildinfo import Module
from slimgo.supply.contents import Contents, GoBinary, OsPackage

FORMATS = ("spdx", "cyclonedx")
MEDIA_TYPES = {"spdx": "application/spdx+json", "cyclonedx": "application/vnd.cyclonedx+json"}
TOOL = f"slimgo-{__version__}"
NAMESPACE_ROOT = "https://slimgo.dev/spdx"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True)
class Subject:
    """What the SBOM describes: a name a person reads, its sha256 digest, and the SBOM's creation time."""

    name: str
    digest: str  # sha256:<hex>, of the image manifest (or index) or of the binary file
    created: int  # seconds since the epoch
    kind: str = "container"  # container | application


@dataclass(frozen=True)
class Component:
    """One entry of the SBOM, in the terms both formats share."""

    ref: str  # unique within the document
    name: str
    version: str
    purl: str
    sha256: str = ""
    properties: tuple[tuple[str, str], ...] = ()
    parent: str = ""  # the component (a binary) that contains this one; "" for the subject itself


def go_purl(path: str, version: str) -> str:
    namespace, _, name = path.rpartition("/")
    return PackageURL(type="golang", namespace=namespace or None, name=name,
                      version=version if version and version != "(devel)" else None).to_string()


def h1_sha256(h1: str) -> str:
    """The hex SHA-256 behind a go.sum `h1:` hash (the hash of the module's file list), or ""."""
    if not h1.startswith("h1:"):
        return ""
    try:
        raw = base64.b64decode(h1[3:], validate=True)
    except ValueError:
        return ""
    return raw.hex() if len(raw) == 32 else ""


def _module(binary_ref: str, index: int, mod: Module, role: str) -> Component:
    """A dependency as the code linked: a module replaced by another module is that module; one replaced by a
    local directory keeps its name and has no version (nothing published is in the binary)."""
    used = mod.replace or mod
    props = [("slimgo:go:module:role", role)]
    name, version = used.path, used.version
    if mod.replace is not None:
        props.append(("slimgo:go:module:replaces", f"{mod.path}@{mod.version}" if mod.version else mod.path))
        if used.path.startswith(("./", "../", "/")):
            props.append(("slimgo:go:module:replaced-by-directory", used.path))
            name, version = mod.path, ""
    if used.sum:
        props.append(("slimgo:go:module:h1", used.sum))
    return Component(f"{binary_ref}-mod-{index}", name, version, go_purl(name, version), h1_sha256(used.sum),
                     tuple(props), binary_ref)


def components(contents: Contents) -> list[Component]:
    """The binaries, their toolchains and modules, then the base's packages, in a stable order."""
    found: list[Component] = []
    for b_index, binary in enumerate(contents.binaries):
        found += _binary_components(f"binary-{b_index}", binary)
    for p_index, package in enumerate(contents.packages):
        found.append(_os_component(f"package-{p_index}", package, contents.distro))
    return found


def _binary_components(ref: str, binary: GoBinary) -> list[Component]:
    info = binary.info
    settings = tuple((f"slimgo:go:build:{key}", value) for key, value in info.settings)
    # Named by its main module, as syft names it; the main package's import path is a property.
    name = info.main.path if info.main is not None else info.path or binary.path.rsplit("/", 1)[-1]
    version = info.main.version if info.main is not None else ""
    found = [Component(ref, name, version, go_purl(info.main.path, version) if info.main else "", binary.sha256,
                       (("slimgo:file:path", binary.path), ("slimgo:go:package", info.path),
                        ("slimgo:go:version", info.go_version), *settings))]
    go = info.go_version.split()[0]
    found.append(Component(f"{ref}-stdlib", "stdlib", go, go_purl("stdlib", go.removeprefix("go")), "",
                           (("slimgo:go:module:role", "toolchain"),), ref))
    for index, mod in enumerate(info.deps):
        found.append(_module(ref, index, mod, "dependency"))
    return found


def _os_component(ref: str, package: OsPackage, distro: tuple[str, str]) -> Component:
    props = (("slimgo:package:source", package.source),)
    if package.kind == "file-set":
        return Component(ref, package.name, package.version, "", package.sha256, props)
    name, version_id = distro
    qualifiers = {"arch": package.arch} if package.arch else {}
    if name:
        qualifiers["distro"] = f"{name}-{version_id}" if version_id else name
    purl = PackageURL(type=package.kind, namespace=name or None, name=package.name,
                      version=package.version or None, qualifiers=qualifiers or None).to_string()
    return Component(ref, package.name, package.version, purl, package.sha256, props)


def timestamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(fmt: str, subject: Subject, contents: Contents) -> bytes:
    """The SBOM in ``fmt`` as bytes: the same subject and contents always give the same bytes."""
    items = components(contents)
    document = spdx_document(subject, items) if fmt == "spdx" else cyclonedx_document(subject, items)
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


def _spdx_id(component: Component) -> str:
    return "SPDXRef-" + _ID_UNSAFE.sub("-", f"{component.ref}-{component.name}").strip("-")


def _spdx_package(component: Component) -> dict[str, Any]:
    package: dict[str, Any] = {"name": component.name, "SPDXID": _spdx_id(component)}
    if component.version:
        package["versionInfo"] = component.version
    package.update({"downloadLocation": "NOASSERTION", "filesAnalyzed": False})
    if component.sha256:
        package["checksums"] = [{"algorithm": "SHA256", "checksumValue": component.sha256}]
    if component.purl:
        package["externalRefs"] = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                    "referenceLocator": component.purl}]
    if component.properties:
        package["comment"] = "\n".join(f"{key}={value}" for key, value in component.properties)
    return package


def spdx_document(subject: Subject, items: list[Component]) -> dict[str, Any]:
    algorithm, _, hexdigest = subject.digest.partition(":")
    root: dict[str, Any] = {"name": subject.name, "SPDXID": "SPDXRef-Subject", "versionInfo": subject.digest,
                            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
                            "checksums": [{"algorithm": algorithm.upper(), "checksumValue": hexdigest}],
                            "primaryPackagePurpose": "CONTAINER" if subject.kind == "container" else "APPLICATION"}
    ids = {c.ref: _spdx_id(c) for c in items}
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                      "relatedSpdxElement": "SPDXRef-Subject"}]
    for c in items:
        relationships.append({"spdxElementId": ids[c.parent] if c.parent else "SPDXRef-Subject",
                              "relationshipType": "CONTAINS", "relatedSpdxElement": ids[c.ref]})
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": subject.name,
        "documentNamespace": f"{NAMESPACE_ROOT}/{_ID_UNSAFE.sub('-', subject.name)}-{hexdigest}",
        "creationInfo": {"created": timestamp(subject.created), "creators": [f"Tool: {TOOL}"]},
        "packages": [root, *(_spdx_package(c) for c in items)],
        "relationships": relationships,
    }


def _cdx_component(component: Component) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "application" if component.ref.count("-") == 1 and
                           component.ref.startswith("binary") else "library",
                           "bom-ref": component.ref, "name": component.name}
    if component.version:
        out["version"] = component.version
    if component.sha256:
        out["hashes"] = [{"alg": "SHA-256", "content": component.sha256}]
    if component.purl:
        out["purl"] = component.purl
    if component.properties:
        out["properties"] = [{"name": key, "value": value} for key, value in component.properties]
    return out


def cyclonedx_document(subject: Subject, items: list[Component]) -> dict[str, Any]:
    algorithm, _, hexdigest = subject.digest.partition(":")
    children: dict[str, list[str]] = {"subject": []}
    for c in items:
        children.setdefault(c.ref, [])
        children.setdefault(c.parent or "subject", []).append(c.ref)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{NAMESPACE_ROOT}/{subject.digest}')}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp(subject.created),
            "tools": {"components": [{"type": "application", "name": "slimgo", "version": __version__}]},
            "component": {"type": subject.kind, "bom-ref": "subject", "name": subject.name,
                          "version": subject.digest,
                          "hashes": [{"alg": "SHA-256" if algorithm == "sha256" else algorithm,
                                      "content": hexdigest}]},
        },
        "components": [_cdx_component(c) for c in items],
        "dependencies": [{"ref": ref, "dependsOn": refs} for ref, refs in children.items()],
    }


__all__ = ["FORMATS", "MEDIA_TYPES", "Component", "Subject", "components", "render"]
