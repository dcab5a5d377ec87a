"""Namespace objects' pod-security.kubernetes.io/enforce labels, and the policy they select as admission does."""

from __future__ import annotations

__all__ = ["NamespaceLabels", "label_findings", "namespace_labels", "policy_for"]

from collections.abc import Iterable
from dataclasses import dataclass

from slimgo.lint.findings import Finding, Severity
from slimgo.lint.k8s.nodes import Y
from slimgo.lint.k8s.policy import ENFORCE_LABEL, ENFORCE_VERSION_LABEL, Policy, parse_level, parse_version
from slimgo.lint.k8s.workloads import looks_like_kubernetes, namespace_objects
from slimgo.lint.k8s.yamlsafe import YamlProblem, load_documents

SG412_BAD_LABEL = "SG412"


@dataclass(frozen=True)
class NamespaceLabels:
    """The enforce labels of one Namespace object (value nodes, so findings can point at them)."""

    name: str
    labels_path: str
    enforce: Y | None
    version: Y | None


def _labels(obj: Y) -> NamespaceLabels | None:
    meta = obj.get("metadata")
    name = meta.get("name") if meta is not None else None
    if name is None or not name.text:
        return None
    labels = meta.get("labels") if meta is not None else None
    enforce = labels.get(ENFORCE_LABEL) if labels is not None else None
    version = labels.get(ENFORCE_VERSION_LABEL) if labels is not None else None
    return NamespaceLabels(name.text, labels.path if labels is not None else "metadata.labels", enforce, version)


def namespaces_in(roots: Iterable[Y]) -> list[NamespaceLabels]:
    out = []
    for root in roots:
        if looks_like_kubernetes(root):
            out += [ns for obj in namespace_objects(root) if (ns := _labels(obj)) is not None]
    return out


def namespace_labels(texts: Iterable[str]) -> dict[str, NamespaceLabels]:
    """Every Namespace (by name) in ``texts``; unparsable texts are skipped (their own lint reports them)."""
    found: dict[str, NamespaceLabels] = {}
    for text in texts:
        if "Namespace" not in text:  # cheap: most manifests hold none
            continue
        try:
            documents = load_documents(text)
        except YamlProblem:
            continue
        for ns in namespaces_in(Y(doc.root, "") for doc in documents if doc.root is not None):
            found.setdefault(ns.name, ns)
    return found


def policy_for(ns: NamespaceLabels | None, defaults: Policy) -> Policy:
    """api.PolicyToEvaluate for the enforce mode: each label present overrides the default (the flags); an
    invalid level fails closed to restricted and an invalid version to latest, as upstream does."""
    if ns is None:
        return defaults
    level, minor = defaults.level, defaults.minor
    if ns.enforce is not None:
        try:
            level = parse_level(ns.enforce.text or "")
        except ValueError:
            level = "restricted"
    if ns.version is not None:
        try:
            minor = parse_version(ns.version.text or "")
        except ValueError:
            minor = None
    return Policy(level, minor)


def label_findings(path: str, ns: NamespaceLabels) -> list[Finding]:
    """SG412 for a label value the API server refuses when the Namespace is created."""
    out = []
    for key, node, parse in ((ENFORCE_LABEL, ns.enforce, parse_level), (ENFORCE_VERSION_LABEL, ns.version,
                                                                         parse_version)):
        if node is None:
            continue
        try:
            parse(node.text or "")
        except ValueError as err:
            out.append(Finding(path, node.line, SG412_BAD_LABEL, Severity.ERROR,
                               f"Namespace/{ns.name}: label {key}={node.text or ''!r} {err}; the API server "
                               "refuses the Namespace (and admission would evaluate its pods as "
                               f"{'restricted' if key == ENFORCE_LABEL else 'latest'})",
                               f"{ns.labels_path}[{key}]: {'restricted' if key == ENFORCE_LABEL else 'latest'}"))
    return out
