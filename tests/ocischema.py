"""Validate documents slimgo writes against the official OCI image-spec JSON schemas (tests/fixtures/oci-schemas)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import FIXTURES

SCHEMAS = FIXTURES / "oci-schemas"
NAMES = {
    "manifest": "image-manifest-schema.json",
    "index": "image-index-schema.json",
    "config": "config-schema.json",
    "layout": "image-layout-schema.json",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT4)
        uris = {f"https://opencontainers.org/schema/image/{path.name}", f"https://opencontainers.org/schema/{path.name}"}
        if "id" in contents:
            uris.add(contents["id"])
        resources += [(uri, resource) for uri in uris]
    return Registry().with_resources(resources)


def validate(kind: str, document: Any) -> None:
    """Raise jsonschema.ValidationError listing the first violation when ``document`` breaks the spec."""
    schema = json.loads((SCHEMAS / NAMES[kind]).read_text())
    Draft4Validator(schema, registry=_registry()).validate(document)
