"""Content descriptors: media type, digest and size of a blob, with optional platform and annotations."""

from __future__ import annotations

__all__ = ["Descriptor"]

from dataclasses import dataclass, field
from typing import Any

from slimgo.errors import CORRUPT, ImageFormatError
from slimgo.oci.digest import Digest
from slimgo.oci.platform import Platform


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    platform: Platform | None = None
    artifact_type: str = ""
    urls: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any, where: str = "descriptor") -> Descriptor:
        if not isinstance(data, dict):
            raise ImageFormatError(where, "is not a JSON object", "the image is corrupt; rebuild or re-pull it")
        try:
            media_type = data["mediaType"]
            digest = Digest.parse(data["digest"])
            size = data["size"]
        except KeyError as missing:
            raise ImageFormatError(where, f"lacks the field {missing}", CORRUPT) from None
        if not isinstance(size, int) or size < 0 or not isinstance(media_type, str):
            raise ImageFormatError(where, "has an invalid size or mediaType", "the image is corrupt")
        plat = data.get("platform")
        return cls(
            media_type=media_type,
            digest=digest,
            size=size,
            annotations=dict(data.get("annotations") or {}),
            platform=Platform.from_json(plat) if isinstance(plat, dict) else None,
            artifact_type=str(data.get("artifactType", "")),
            urls=tuple(data.get("urls") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest), "size": self.size}
        if self.urls:
            out["urls"] = list(self.urls)
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out
