"""Image manifests and image indexes, parsed from and serialised to their exact JSON bytes."""

from __future__ import annotations

__all__ = ["Index", "Manifest", "canonical_json", "media_type_of"]

import json
from dataclasses import dataclass, field
from typing import Any

from slimgo.errors import CORRUPT, ImageFormatError
from slimgo.oci import mediatype
from slimgo.oci.descriptor import Descriptor


def canonical_json(value: Any) -> bytes:
    """The one JSON encoding slimgo writes: compact, key order as built, UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _load(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise ImageFormatError(where, f"is not valid JSON ({err})", CORRUPT) from None
    if not isinstance(data, dict):
        raise ImageFormatError(where, "is not a JSON object", "the image is corrupt; rebuild or re-pull it")
    return data


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = mediatype.OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    subject: Descriptor | None = None
    artifact_type: str = ""

    @classmethod
    def parse(cls, raw: bytes, where: str = "manifest") -> Manifest:
        data = _load(raw, where)
        media_type = data.get("mediaType") or mediatype.OCI_MANIFEST
        if data.get("schemaVersion") != 2 or not mediatype.is_manifest(media_type):
            raise ImageFormatError(where, f"is not an image manifest (mediaType {media_type!r})",
                                   "point slimgo at an image or image index")
        layers = data.get("layers") or []
        if not isinstance(layers, list):
            raise ImageFormatError(where, "has a layers field that is not a list", "the image is corrupt")
        subject = data.get("subject")
        return cls(
            config=Descriptor.from_json(data.get("config"), f"{where} config"),
            layers=tuple(Descriptor.from_json(item, f"{where} layer {i}") for i, item in enumerate(layers)),
            media_type=media_type,
            annotations=dict(data.get("annotations") or {}),
            subject=Descriptor.from_json(subject, f"{where} subject") if subject else None,
            artifact_type=str(data.get("artifactType", "")),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": 2, "mediaType": self.media_type}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        out["config"] = self.config.to_json()
        out["layers"] = [layer.to_json() for layer in self.layers]
        if self.subject is not None:
            out["subject"] = self.subject.to_json()
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())


@dataclass(frozen=True)
class Index:
    manifests: tuple[Descriptor, ...]
    media_type: str = mediatype.OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def parse(cls, raw: bytes, where: str = "index") -> Index:
        data = _load(raw, where)
        media_type = data.get("mediaType") or mediatype.OCI_INDEX
        if data.get("schemaVersion") != 2 or not mediatype.is_index(media_type):
            raise ImageFormatError(where, f"is not an image index (mediaType {media_type!r})",
                                   "the file is corrupt or not an OCI index")
        items = data.get("manifests") or []
        if not isinstance(items, list):
            raise ImageFormatError(where, "has a manifests field that is not a list", "the index is corrupt")
        return cls(
            manifests=tuple(Descriptor.from_json(item, f"{where} entry {i}") for i, item in enumerate(items)),
            media_type=media_type,
            annotations=dict(data.get("annotations") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [m.to_json() for m in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())


def media_type_of(raw: bytes, where: str = "manifest") -> str:
    """The media type a manifest or index document declares (or implies by its fields)."""
    data = _load(raw, where)
    declared = data.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    return mediatype.OCI_INDEX if "manifests" in data else mediatype.OCI_MANIFEST
