"""The runner hands .dockerignore files and Kubernetes YAML to their linters, and suppression applies to all."""

from __future__ import annotations

from pathlib import Path

from slimgo.lint.runner import LintConfig, lint_paths

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: example.com/web:1.0
"""


def _found(report_paths: list[str], config: LintConfig | None = None) -> set[tuple[str, str]]:
    return {(Path(f.path).name, f.rule) for f in lint_paths(report_paths, config).findings}


def test_directory_yields_manifests_and_dockerignore_but_not_other_yaml(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / "ci.yml").write_text("name: ci\non: push\njobs: {}\n")
    (tmp_path / ".dockerignore").write_text("[\n")
    found = _found([str(tmp_path)])
    files = {name for name, _ in found}
    assert files == {"deploy.yaml", ".dockerignore"}
    assert all(rule.startswith("SG4") for name, rule in found if name == "deploy.yaml")
    assert all(rule.startswith("SG2") for name, rule in found if name == ".dockerignore")
    report = lint_paths([str(tmp_path)])
    assert sorted(Path(p).name for p in report.files) == [".dockerignore", "deploy.yaml"]


def test_explicit_non_kubernetes_yaml_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ci.yml").write_text("name: ci\n")
    assert _found([str(tmp_path / "ci.yml")]) == {("ci.yml", "SG005")}


def test_explicit_manifest_with_an_odd_name_is_sniffed(tmp_path: Path) -> None:
    (tmp_path / "web.manifest").write_text(DEPLOYMENT)
    found = _found([str(tmp_path / "web.manifest")])
    assert found and all(rule.startswith("SG4") for _, rule in found)


def test_level_reaches_the_kubernetes_linter(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    restricted = _found([str(tmp_path)], LintConfig(level="restricted"))
    baseline = _found([str(tmp_path)], LintConfig(level="baseline"))
    assert baseline < restricted


def test_inline_suppression_works_in_yaml(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yaml"
    path.write_text(DEPLOYMENT)
    findings = lint_paths([str(path)]).findings
    target = findings[0]
    lines = DEPLOYMENT.splitlines()
    lines.insert(target.line - 1, " " * 6 + f"# slimgo-ignore: {target.rule}")
    path.write_text("\n".join(lines) + "\n")
    after = lint_paths([str(path)])
    assert after.suppressed >= 1
    assert (target.rule, target.line + 1) not in {(f.rule, f.line) for f in after.findings}
