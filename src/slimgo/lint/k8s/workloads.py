"""Find the pod specs inside Kubernetes objects (Pod, Deployment, CronJob, List ...) with their patch paths."""

from __future__ import annotations

__all__ = ["PodSite", "looks_like_kubernetes", "namespace_objects", "pod_sites"]

from collections.abc import Iterator
from dataclasses import dataclass

from slimgo.lint.k8s.nodes import Y

# kind -> the keys from the object to its pod template (the template holds metadata and spec).
TEMPLATE_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
LIST_KINDS = frozenset({"List"})
MAX_LIST_DEPTH = 4


@dataclass(frozen=True)
class PodSite:
    """One pod spec: where it lives, its metadata (annotations) and the object it belongs to."""

    kind: str
    name: str
    spec: Y
    metadata: Y | None
    namespace: str = ""  # the object's metadata.namespace; empty when the manifest does not say

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind


def _name(obj: Y, key: str = "name") -> str:
    meta = obj.get("metadata")
    name = meta.get(key) if meta is not None else None
    return (name.text or "") if name is not None else ""


def namespace_objects(obj: Y, depth: int = 0) -> Iterator[Y]:
    """The Namespace objects in ``obj`` (itself, or the items of a List)."""
    kind_node = obj.get("kind")
    kind = kind_node.text if kind_node is not None else None
    if kind == "Namespace":
        yield obj
    elif kind is not None and kind.endswith("List") and depth < MAX_LIST_DEPTH:
        items = obj.get("items")
        for item in items.seq() if items is not None else []:
            yield from namespace_objects(item, depth + 1)


def pod_sites(obj: Y, depth: int = 0) -> Iterator[PodSite]:
    """The pod specs of ``obj``; objects of other kinds yield nothing."""
    kind_node = obj.get("kind")
    kind = kind_node.text if kind_node is not None else None
    if kind is None:
        return
    if kind in LIST_KINDS or (kind.endswith("List") and obj.get("items") is not None):
        if depth >= MAX_LIST_DEPTH:
            return
        items = obj.get("items")
        for item in items.seq() if items is not None else []:
            yield from pod_sites(item, depth + 1)
        return
    if kind == "Pod":
        spec = obj.get("spec")
        if spec is not None and spec.is_map:
            yield PodSite(kind, _name(obj), spec, obj.get("metadata"), _name(obj, "namespace"))
        return
    path = TEMPLATE_PATHS.get(kind)
    if path is None:
        return
    template = obj.dig(*path)
    if template is None or not template.is_map:
        return
    spec = template.get("spec")
    if spec is not None and spec.is_map:
        yield PodSite(kind, _name(obj), spec, template.get("metadata"), _name(obj, "namespace"))


def looks_like_kubernetes(obj: Y) -> bool:
    return obj.is_map and obj.get("apiVersion") is not None and obj.get("kind") is not None
