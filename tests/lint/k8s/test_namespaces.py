"""`--psa-version` and Namespace enforce labels through `slimgo lint`, decided as Pod Security admission does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slimgo.cli.main import main

# tcp_slow_start_after_idle is safe from 1.37; probe hosts are checked from 1.34
POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web{ns}}}
spec:
  template:
    spec:
      securityContext:
        sysctls: [{{name: net.ipv4.tcp_slow_start_after_idle, value: "0"}}]
      containers:
        - name: app
          image: app
          readinessProbe: {{httpGet: {{host: example.com, port: 80}}}}
"""


def namespace(name: str, **labels: str) -> str:
    shown = "".join(f"\n    pod-security.kubernetes.io/{k.replace('_', '-')}: {v!r}" for k, v in labels.items())
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:{shown or ' {}'}\n"


def lint(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    capsys.readouterr()
    code = main(["lint", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)["findings"]


def rules(findings: list[dict[str, object]]) -> set[object]:
    return {f["rule"] for f in findings}


@pytest.fixture
def manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text(POD.format(ns=", namespace: shop"))
    return tmp_path


def test_psa_version_picks_upstreams_policy_of_that_release(manifests: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _, latest = lint(manifests, capsys, "--level", "baseline", "app.yaml")
    assert rules(latest) == {"SG411"}  # the sysctl is safe in the newest policy
    _, old = lint(manifests, capsys, "--level", "baseline", "--psa-version", "v1.33", "app.yaml")
    assert rules(old) == {"SG409"}  # not yet safe, and probe hosts not yet checked
    assert all("(Pod Security baseline:v1.33)" in str(f["message"]) for f in old)
    _, mid = lint(manifests, capsys, "--level", "baseline", "--psa-version", "v1.36", "app.yaml")
    assert rules(mid) == {"SG409", "SG411"}
    _, future = lint(manifests, capsys, "--level", "baseline", "--psa-version", "v1.99", "app.yaml")
    assert rules(future) == rules(latest)


@pytest.mark.parametrize("bad", ["1.30", "v2.0", "v1.030", "newest", ""])
def test_bad_psa_version_is_a_usage_error(manifests: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    assert main(["lint", "--psa-version", bad, "app.yaml"]) == 2
    assert "--psa-version" in capsys.readouterr().err


def test_namespace_labels_in_another_file_win_over_the_flags(manifests: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (manifests / "ns.yaml").write_text(namespace("shop", enforce="baseline", enforce_version="v1.33"))
    code, findings = lint(manifests, capsys, "--level", "restricted", ".")
    assert code == 1
    assert rules(findings) == {"SG409"}  # baseline at v1.33: no restricted checks, no probe-host check
    (manifests / "ns.yaml").write_text(namespace("shop", enforce="privileged"))
    assert lint(manifests, capsys, ".") == (0, [])
    # only the version is labelled: the level comes from the flag
    (manifests / "ns.yaml").write_text(namespace("shop", enforce_version="v1.33"))
    _, findings = lint(manifests, capsys, "--level", "baseline", ".")
    assert rules(findings) == {"SG409"}


def test_workloads_of_other_namespaces_keep_the_flags(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (manifests / "app.yaml").write_text(POD.format(ns="") + "---\n" + namespace("shop", enforce="privileged"))
    _, findings = lint(manifests, capsys, "--level", "baseline", "app.yaml")
    assert rules(findings) == {"SG411"}


def test_invalid_labels_are_reported_and_fail_closed(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (manifests / "ns.yaml").write_text(namespace("shop", enforce="strict", enforce_version="1.33"))
    code, findings = lint(manifests, capsys, "--level", "baseline", ".")
    assert code == 1
    bad = [f for f in findings if f["rule"] == "SG412"]
    assert [(f["path"], f["line"]) for f in bad] == [("ns.yaml", 6), ("ns.yaml", 7)]
    assert bad[0]["fix"] == "metadata.labels[pod-security.kubernetes.io/enforce]: restricted"
    # as admission: an invalid level evaluates as restricted, an invalid version as latest
    assert {"SG411", "SG421", "SG422", "SG424", "SG425"} <= rules(findings)
    assert "SG409" not in rules(findings)
