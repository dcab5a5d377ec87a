"""The part of the OASIS SARIF 2.1.0 JSON schema that covers what slimgo emits.

Transcribed from the official sarif-schema-2.1.0.json (definitions sarifLog, run, tool, toolComponent,
reportingDescriptor, reportingConfiguration, multiformatMessageString, message, result, location,
physicalLocation, artifactLocation, region), keeping their required properties, enums, minimums and
`additionalProperties: false`, so a property slimgo invents or misspells fails validation.
"""

from __future__ import annotations

from typing import Any

_MESSAGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}, "id": {"type": "string"},
                   "arguments": {"type": "array", "items": {"type": "string"}}},
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
}
_MULTIFORMAT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
    "required": ["text"],
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_ARTIFACT_LOCATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"uri": {"type": "string", "format": "uri-reference"}, "uriBaseId": {"type": "string"},
                   "index": {"type": "integer", "minimum": -1}, "description": _MESSAGE},
}
_REGION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"startLine": {"type": "integer", "minimum": 1}, "startColumn": {"type": "integer", "minimum": 1},
                   "endLine": {"type": "integer", "minimum": 1}, "endColumn": {"type": "integer", "minimum": 1}},
}
_LOCATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer", "minimum": -1},
        "physicalLocation": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"artifactLocation": _ARTIFACT_LOCATION, "region": _REGION, "contextRegion": _REGION},
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
        },
        "message": _MESSAGE,
    },
}
_RULE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "shortDescription": _MULTIFORMAT,
        "fullDescription": _MULTIFORMAT,
        "help": _MULTIFORMAT,
        "helpUri": {"type": "string", "format": "uri"},
        "defaultConfiguration": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}, "level": _LEVEL, "rank": {"type": "number"}},
        },
        "properties": {"type": "object"},
    },
    "required": ["id"],
}
_RESULT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer", "minimum": -1},
        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
        "level": _LEVEL,
        "message": _MESSAGE,
        "locations": {"type": "array", "items": _LOCATION},
        "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
        "fingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["message"],
}
SARIF_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "tool": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "driver": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "semanticVersion": {"type": "string"},
                                    "informationUri": {"type": "string", "format": "uri"},
                                    "rules": {"type": "array", "items": _RULE, "uniqueItems": True},
                                },
                                "required": ["name"],
                            }
                        },
                        "required": ["driver"],
                    },
                    "originalUriBaseIds": {"type": "object", "additionalProperties": _ARTIFACT_LOCATION},
                    "results": {"type": "array", "items": _RESULT},
                },
                "required": ["tool"],
            },
        },
    },
    "required": ["version", "runs"],
}
