"""Pod Security checks on real manifests: rule, line and the exact patch, per workload kind and level."""

from __future__ import annotations

import pytest

from slimgo.lint.findings import Finding
from slimgo.lint.k8s import is_kubernetes_yaml, lint_kubernetes
from tests.conftest import FIXTURES

K8S = FIXTURES / "k8s"


def lint(name: str, level: str = "restricted") -> list[Finding]:
    return lint_kubernetes(name, (K8S / name).read_text(), level=level)


def find(findings: list[Finding], rule: str, fix_part: str = "") -> Finding:
    matches = [f for f in findings if f.rule == rule and fix_part in f.fix]
    assert matches, f"no {rule} with {fix_part!r} in {[(f.rule, f.fix) for f in findings]}"
    return matches[0]


def test_compliant_deployment_has_no_findings() -> None:
    assert lint("restricted-ok.yaml") == []
    assert lint("restricted-ok.yaml", "baseline") == []


def test_cronjob_paths_lines_and_patches() -> None:
    findings = lint("cronjob-bad.yaml")
    prefix = "spec.jobTemplate.spec.template.spec"
    assert (find(findings, "SG400").line, find(findings, "SG400").fix) == (12, f"{prefix}.hostPID: false")
    sysctl = find(findings, "SG409")
    assert sysctl.line == 15 and sysctl.fix == f"remove {prefix}.securityContext.sysctls[0]"
    assert len([f for f in findings if f.rule == "SG409"]) == 1  # tcp_keepalive_time is safe since 1.29
    assert find(findings, "SG423").fix == f"{prefix}.initContainers[0].securityContext.runAsUser: 65532"
    assert find(findings, "SG423").line == 23
    non_root = find(findings, "SG422", "containers[0]")
    assert (non_root.line, non_root.fix) == (29, f"{prefix}.containers[0].securityContext.runAsNonRoot: true")
    seccomp = find(findings, "SG424", "containers[0]")
    assert (seccomp.line, seccomp.fix) == (31, f"{prefix}.containers[0].securityContext.seccompProfile.type: "
                                                "RuntimeDefault")
    add = find(findings, "SG426")
    assert add.line == 34 and add.fix == f"remove {prefix}.containers[0].securityContext.capabilities.add"
    assert find(findings, "SG406").line == 36
    assert find(findings, "SG407").fix == f"{prefix}.containers[0].securityContext.procMount: Default"
    volumes = [f for f in findings if f.rule == "SG420"]
    assert [(f.line, "hostPath" in f.message or "nfs" in f.message) for f in volumes] == [(39, True), (42, True)]
    # init container: no allowPrivilegeEscalation, no drop ALL
    assert find(findings, "SG421").fix == f"{prefix}.initContainers[0].securityContext.allowPrivilegeEscalation: false"
    assert find(findings, "SG425", "initContainers[0]").line == 22


def test_baseline_skips_restricted_checks_and_uses_baseline_twins() -> None:
    findings = lint("cronjob-bad.yaml", "baseline")
    found = {f.rule for f in findings}
    assert found == {"SG400", "SG402", "SG403", "SG406", "SG407", "SG408", "SG409"}
    assert "SYS_ADMIN" in find(findings, "SG402").message
    # nfs is fine at baseline; only hostPath is not
    assert [f.line for f in findings if f.rule == "SG403"] == [40]


def test_list_items_annotations_probes_and_ephemeral_containers() -> None:
    findings = lint("mixed.yaml")
    apparmor = sorted((f.line, f.fix) for f in findings if f.rule == "SG405")
    assert apparmor == [
        (16, "items[0].metadata.annotations[container.apparmor.security.beta.kubernetes.io/shell]: runtime/default"),
        (21, "items[0].spec.securityContext.appArmorProfile.type: RuntimeDefault"),
    ]
    assert find(findings, "SG401").fix == "items[0].spec.containers[0].securityContext.privileged: false"
    assert find(findings, "SG404").fix == "remove items[0].spec.containers[0].ports[0].hostPort"
    assert find(findings, "SG411").line == 33
    # the ephemeral container inherits runAsNonRoot and seccomp from the pod, but not its own drops
    assert find(findings, "SG425", "ephemeralContainers[0]").line == 35
    assert not [f for f in findings if f.rule in ("SG422", "SG424")]


INHERIT = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    runAsNonRoot: {pod}
  containers:
    - name: a
      image: x
      securityContext: {ctr}
"""


@pytest.mark.parametrize(("pod", "ctr", "expect"), [
    ("true", "{}", []),
    ("false", "{}", ["spec.securityContext.runAsNonRoot: true"]),
    ("false", "{runAsNonRoot: true}", ["spec.securityContext.runAsNonRoot: true"]),
    ("null", "{runAsNonRoot: true}", []),
    ("null", "{}", ["spec.securityContext.runAsNonRoot: true"]),
    ("true", "{runAsNonRoot: false}", ["spec.containers[0].securityContext.runAsNonRoot: true"]),
])
def test_run_as_non_root_inheritance(pod: str, ctr: str, expect: list[str]) -> None:
    text = INHERIT.replace("{pod}", pod).replace("{ctr}", ctr)
    fixes = [f.fix for f in lint_kubernetes("p.yaml", text) if f.rule == "SG422"]
    assert fixes == expect


def test_user_namespace_relaxes_user_checks() -> None:
    text = INHERIT.replace("{pod}", "false").replace("{ctr}", "{runAsUser: 0, procMount: Unmasked}")
    assert {"SG422", "SG423", "SG407"} <= {f.rule for f in lint_kubernetes("p.yaml", text)}
    relaxed = text.replace("spec:\n", "spec:\n  hostUsers: false\n", 1)
    rules = {f.rule for f in lint_kubernetes("p.yaml", relaxed)}
    assert not {"SG422", "SG423"} & rules
    assert "SG407" in rules  # restricted still forbids an unmasked /proc
    assert "SG407" not in {f.rule for f in lint_kubernetes("p.yaml", relaxed, level="baseline")}


def test_windows_pods_skip_linux_only_restricted_checks() -> None:
    text = INHERIT.replace("{pod}", "true").replace("{ctr}", "{}")
    text = text.replace("spec:\n", "spec:\n  os: {name: windows}\n", 1)
    rules = {f.rule for f in lint_kubernetes("p.yaml", text)}
    assert not {"SG421", "SG424", "SG425"} & rules


def test_other_documents_and_kind_detection() -> None:
    assert is_kubernetes_yaml((K8S / "mixed.yaml").read_text())
    assert not is_kubernetes_yaml("name: x\nitems: [1]\n")
    assert lint_kubernetes("c.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n") == []


def test_level_is_validated() -> None:
    with pytest.raises(ValueError, match="level"):
        lint_kubernetes("x.yaml", "", level="privileged")
