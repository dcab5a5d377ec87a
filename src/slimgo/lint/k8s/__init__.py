"""Kubernetes manifests against the Pod Security Standards, and against the image they run (SG400-SG499)."""

from __future__ import annotations

import gc
from collections.abc import Mapping

from slimgo.lint.findings import Finding, Severity
from slimgo.lint.k8s.checks import LEVELS, check_pod
from slimgo.lint.k8s.facts import image_facts
from slimgo.lint.k8s.image import FileCapability, ImageFacts, cross_check
from slimgo.lint.k8s.namespaces import NamespaceLabels, label_findings, namespace_labels, namespaces_in, policy_for
from slimgo.lint.k8s.nodes import Y
from slimgo.lint.k8s.policy import Policy
from slimgo.lint.k8s.workloads import looks_like_kubernetes, pod_sites
from slimgo.lint.k8s.yamlsafe import YamlProblem, load_documents

__all__ = [
    "LEVELS",
    "FileCapability",
    "ImageFacts",
    "NamespaceLabels",
    "Policy",
    "image_facts",
    "is_kubernetes_yaml",
    "lint_kubernetes",
    "namespace_labels",
]

# Cheap sniffing: a document with both keys at the start of a line is worth parsing.
_MARKERS = ("apiVersion:", "kind:")


def is_kubernetes_yaml(text: str) -> bool:
    """True when ``text`` looks like Kubernetes YAML (apiVersion and kind at the top level of a document)."""
    if "\0" in text[:8192]:
        return False
    lines = [line for line in text.splitlines()[:4000] if line and not line[0].isspace()]
    return all(any(line.startswith(m) or line.startswith(f'"{m[:-1]}"') for line in lines) for m in _MARKERS)


def lint_kubernetes(
    path: str, text: str, *, level: str = "restricted", version: int | None = None, image: ImageFacts | None = None,
    namespaces: Mapping[str, NamespaceLabels] | None = None,
) -> list[Finding]:
    """Every Pod Security finding (and image cross-check finding when ``image`` is given) in ``text``.

    ``level`` and ``version`` (a minor version of v1; None is latest) are the defaults; a workload in a Namespace
    whose ``enforce``/``enforce-version`` labels say otherwise is checked as those labels say, as admission does.
    ``namespaces`` are the Namespace objects of the whole file set (default: those in ``text``).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    # A manifest set is millions of short-lived acyclic nodes: the cyclic GC only costs time here (it
    # doubled the run), and the input is bounded in size.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(path, text, Policy(level, version), image, namespaces)
    finally:
        if was_enabled:
            gc.enable()


def _lint(path: str, text: str, defaults: Policy, image: ImageFacts | None,
          namespaces: Mapping[str, NamespaceLabels] | None) -> list[Finding]:
    try:
        documents = load_documents(text)
    except YamlProblem as problem:
        return [Finding(path=path, line=problem.line, rule=problem.rule, severity=Severity.ERROR,
                        message=problem.message, fix=problem.fix)]
    roots = [Y(doc.root, "") for doc in documents if doc.root is not None]
    own = namespaces_in(roots)
    if namespaces is None:
        namespaces = {ns.name: ns for ns in reversed(own)}
    findings: list[Finding] = [f for ns in own for f in label_findings(path, ns)]
    for root in roots:
        if not looks_like_kubernetes(root):
            continue
        for site in pod_sites(root):
            policy = policy_for(namespaces.get(site.namespace) if site.namespace else None, defaults)
            findings.extend(check_pod(path, site, policy))
            if image is not None:
                findings.extend(cross_check(path, site, image))
    return sorted(findings, key=lambda f: (f.line, f.rule, f.message))

