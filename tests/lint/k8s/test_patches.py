"""Every Kubernetes finding's fix is an exact patch: applied to the manifest, the finding goes away."""

from __future__ import annotations

import copy

import pytest
import yaml

from slimgo.lint.findings import Finding
from slimgo.lint.k8s import ImageFacts, lint_kubernetes
from tests.conftest import FIXTURES
from tests.lint.k8s.patching import apply_fix, tokens

K8S = FIXTURES / "k8s"
MANIFESTS = ["helm-web.yaml", "cronjob-bad.yaml", "cronjob-bare.yaml", "mixed.yaml", "statefulset-hostpath.yaml",
             "pod-ephemeral.yaml", "list-daemonset.yaml", "anchors.yaml"]


def _docs(name: str) -> list[object]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d is not None]


def _relint(docs: list[object], level: str) -> list[Finding]:
    return lint_kubernetes("patched.yaml", yaml.safe_dump_all(docs, sort_keys=False), level=level)


def _label(doc: object) -> str:
    assert isinstance(doc, dict)
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '')}"


def _apply(docs: list[object], finding: Finding) -> list[object]:
    """Patch the document that holds the finding's object (named `Kind/name:` in the message)."""
    label = finding.message.split(": ", 1)[0]
    for i, doc in enumerate(docs):
        items = doc.get("items") if isinstance(doc, dict) else None
        inside = [_label(item) for item in items] if isinstance(items, list) else [_label(doc)]
        if label in inside:
            patched = copy.deepcopy(docs)
            apply_fix(patched[i], finding.fix)
            return patched
    raise AssertionError(f"no document holds {label}")


def _key(f: Finding) -> tuple[str, str]:
    return f.rule, f.message


@pytest.mark.parametrize("level", ["restricted", "baseline"])
@pytest.mark.parametrize("name", MANIFESTS)
def test_each_fix_applied_alone_removes_its_finding(name: str, level: str) -> None:
    docs = _docs(name)
    findings = lint_kubernetes(name, (K8S / name).read_text(), level=level)
    for finding in findings:
        after = _relint(_apply(docs, finding), level)
        assert _key(finding) not in {_key(f) for f in after}, f"{finding.fix!r} did not fix {finding.message!r}"


@pytest.mark.parametrize("name", MANIFESTS)
def test_all_fixes_together_make_the_manifest_restricted(name: str) -> None:
    docs = _docs(name)
    for _ in range(3):  # a fix may only reveal the next one (a removed hostPath volume, then its type)
        findings = _relint(docs, "restricted")
        if not findings:
            break
        for finding in findings:
            docs = _apply(docs, finding)
    assert _relint(docs, "restricted") == []


def test_path_tokens() -> None:
    assert tokens("items[1].spec.containers[0].securityContext") == [
        "items", 1, "spec", "containers", 0, "securityContext"]
    assert tokens("metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]") == [
        "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/app"]
    assert tokens("spec.volumes[+]") == ["spec", "volumes", "+"]


def test_container_root_user_overrides_a_non_root_pod() -> None:
    findings = lint_kubernetes("h.yaml", (K8S / "helm-web.yaml").read_text())
    root = [f for f in findings if f.rule == "SG423"]
    assert [f.fix for f in root] == [
        "spec.template.spec.initContainers[1].securityContext.runAsUser: 65532",
        "spec.template.spec.containers[1].securityContext.runAsUser: 65532",
    ]
    # the pod's runAsNonRoot covers 'migrate' and 'web'; only the init container that says false is reported
    assert [f.fix for f in findings if f.rule == "SG422"] == [
        "spec.template.spec.initContainers[1].securityContext.runAsNonRoot: true"]


def test_anchors_and_merge_keys_are_followed() -> None:
    findings = lint_kubernetes("a.yaml", (K8S / "anchors.yaml").read_text())
    # b aliases a's hardened context; c merges it and changes readOnlyRootFilesystem; d merges and overrides
    assert [(f.rule, f.line) for f in findings] == [("SG421", 34)]


IMAGE_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: web
      image: registry.example.com/web:1
      ports: [{containerPort: 80}]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
"""


def test_image_cross_check_fixes_apply_including_appends() -> None:
    image = ImageFacts(reference="oci:dist/web:1", user="", exposed_ports=(80,), writable_dirs=("/tmp",))
    findings = lint_kubernetes("p.yaml", IMAGE_POD, image=image)
    assert {f.rule for f in findings} == {"SG440", "SG441"}  # uid unknown until runAsUser is set
    docs = [yaml.safe_load(IMAGE_POD)]
    for _ in range(3):
        findings = lint_kubernetes("p.yaml", yaml.safe_dump_all(docs), image=image)
        for finding in findings:
            docs = _apply(docs, finding)
    assert lint_kubernetes("p.yaml", yaml.safe_dump_all(docs), image=image) == []
    container = docs[0]["spec"]["containers"][0]  # type: ignore[index]
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert container["securityContext"]["capabilities"]["add"] == ["NET_BIND_SERVICE"]
