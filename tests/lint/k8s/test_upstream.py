"""Pod Security checks against upstream: every fixture k8s.io/pod-security-admission ships, for every level and
policy version, and the library itself (tests/fixtures/podsecurity) check by check on those fixtures and ours.

The module is fetched with the Go toolchain when the tests run (never vendored) and kept between runs."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from slimgo.cli.main import main
from slimgo.lint.k8s.policy import LATEST_MINOR
from tests.conftest import FIXTURES
from tests.lint.k8s.upstream import (
    build_program,
    fixture_sets,
    module_dir,
    newest_release,
    pinned_version,
    run_program,
)

pytestmark = pytest.mark.integration

# upstream check ID -> the rule that reports it (procMount's restricted twin is the same rule)
CHECK_RULES = {
    "allowPrivilegeEscalation": {"SG421"},
    "appArmorProfile": {"SG405"},
    "capabilities_baseline": {"SG402"},
    "capabilities_restricted": {"SG425", "SG426"},
    "hostNamespaces": {"SG400"},
    "hostPathVolumes": {"SG403"},
    "hostPorts": {"SG404"},
    "hostProbesAndHostLifecycle": {"SG411"},
    "privileged": {"SG401"},
    "procMount": {"SG407"},
    "procMount_restricted": {"SG407"},
    "restrictedVolumes": {"SG420"},
    "runAsNonRoot": {"SG422"},
    "runAsUser": {"SG423"},
    "seccompProfile_baseline": {"SG408"},
    "seccompProfile_restricted": {"SG424"},
    "seLinuxOptions": {"SG406"},
    "sysctls": {"SG409"},
    "windowsHostProcess": {"SG410"},
}
RULE_CHECK = {rule: check.removesuffix("_restricted") if check.startswith("procMount") else check
              for check, rules in CHECK_RULES.items() for rule in rules}


def checks_of_rules(rules: set[str]) -> set[str]:
    return {RULE_CHECK[r] for r in rules}


def checks_of_ids(ids: list[str]) -> set[str]:
    return {"procMount" if i == "procMount_restricted" else i for i in ids}


@pytest.fixture(scope="module")
def module() -> Path:
    return module_dir(pinned_version())


def lint_rules(paths: list[Path], level: str, version: str, capsys: pytest.CaptureFixture[str]) -> dict[str, set[str]]:
    """Rules per file from `slimgo lint --level L --psa-version V --format json PATH...`."""
    capsys.readouterr()
    main(["lint", "--format", "json", "--fail-on", "never", "--level", level, "--psa-version", version,
          *map(str, paths)])
    document = json.loads(capsys.readouterr().out)
    out: dict[str, set[str]] = {str(p): set() for p in paths}
    for finding in document["findings"]:
        out[finding["path"]].add(finding["rule"])
    return out


def test_latest_is_the_newest_upstream_release() -> None:
    newest = newest_release()  # v0.N.x serves Kubernetes 1.N's policy
    assert newest.startswith("v0.")
    assert int(newest.split(".")[1]) == LATEST_MINOR, f"upstream released {newest}: add its policy changes"
    assert pinned_version().startswith(f"v0.{LATEST_MINOR}.")


def test_every_upstream_fixture_at_every_level_and_version(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = fixture_sets(module)
    assert {m for _, m, _ in sets} == set(range(LATEST_MINOR + 1))
    assert {level for level, _, _ in sets} == {"baseline", "restricted"}
    wrong: list[str] = []
    total = 0
    for level, minor, directory in sets:
        files = sorted(directory.glob("*/*.yaml"))
        total += len(files)
        rules = lint_rules(files, level, f"v1.{minor}", capsys)
        for path in files:
            expect_fail = path.parent.name == "fail"
            found = rules[str(path)]
            if bool(found) != expect_fail:
                wrong.append(f"{level}/v1.{minor}/{path.parent.name}/{path.name}: {sorted(found)}")
            elif expect_fail:
                # the fixture is named after the check it breaks (it may break others too, e.g. privileged
                # without allowPrivilegeEscalation); a restricted twin may report it
                named = path.stem.rstrip("0123456789")
                checks = {RULE_CHECK[r].lower() for r in found}
                twins = {"hostpathvolumes": "restrictedvolumes", "capabilities_baseline": "capabilities_restricted",
                         "seccompprofile_baseline": "seccompprofile_restricted", "procmount_restricted": "procmount"}
                if not checks & {named, twins.get(named, named)}:
                    wrong.append(f"{level}/v1.{minor}/fail/{path.name}: reported as {sorted(found)}")
    assert total > 4000
    assert not wrong, f"{len(wrong)} of {total} fixtures differ:\n" + "\n".join(wrong[:60])


def test_latest_and_future_versions_use_the_newest_policy(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted((module / "test" / "testdata" / "baseline" / f"v1.{LATEST_MINOR}").glob("*/*.yaml"))
    newest = lint_rules(files, "baseline", f"v1.{LATEST_MINOR}", capsys)
    assert lint_rules(files, "baseline", "latest", capsys) == newest
    assert lint_rules(files, "baseline", f"v1.{LATEST_MINOR + 5}", capsys) == newest


def test_the_library_agrees_check_by_check(module: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    binary = build_program(tmp_path)
    cases: list[dict[str, str]] = []
    distinct: dict[bytes, Path] = {}  # the same pod recurs in many versions' directories
    for _, _, directory in fixture_sets(module):
        for path in sorted(directory.glob("*/*.yaml")):
            distinct.setdefault(path.read_bytes(), path)
    versions = [f"v1.{minor}" for minor in range(LATEST_MINOR + 1)] + ["latest"]
    for path in sorted(distinct.values()):
        for level in ("baseline", "restricted"):  # every fixture at every level and version, not only its own
            cases += [{"path": str(path), "level": level, "version": version} for version in versions]
    ours = sorted((FIXTURES / "k8s").glob("*.yaml"))
    for path in ours:
        for level in ("baseline", "restricted"):
            for version in ("v1.0", "v1.18", "v1.19", "v1.22", "v1.24", "v1.25", "v1.31", "v1.34", "v1.35",
                            "latest"):
                cases.append({"path": str(path), "level": level, "version": version})
    results = run_program(binary, cases)
    groups: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for case in cases:
        groups[(case["level"], case["version"])].append(Path(case["path"]))
    mismatches: list[str] = []
    compared = 0
    for (level, version), paths in groups.items():
        by_path = _lint_objects(paths, level, version, capsys)
        for case, result in zip(cases, results, strict=True):
            if (case["level"], case["version"]) != (level, version):
                continue
            assert not result.get("error"), result["error"]
            for obj in result["objects"]:
                compared += 1
                theirs = checks_of_ids(obj["failed"])
                mine = checks_of_rules(by_path[case["path"]].get(f"{obj['kind']}/{obj['name']}", set()))
                if mine != theirs:
                    mismatches.append(f"{level}:{version} {case['path']} {obj['kind']}/{obj['name']}: "
                                      f"upstream {sorted(theirs)}, slimgo {sorted(mine)}")
    assert compared > 9000
    assert not mismatches, f"{len(mismatches)} of {compared} differ:\n" + "\n".join(mismatches[:20])


def _lint_objects(paths: list[Path], level: str, version: str,
                  capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, set[str]]]:
    """Rules per file and per object label (Kind/name) from one CLI run."""
    capsys.readouterr()
    main(["lint", "--format", "json", "--fail-on", "never", "--level", level, "--psa-version", version,
          *sorted({str(p) for p in paths})])
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for finding in json.loads(capsys.readouterr().out)["findings"]:
        label = finding["message"].split(": ", 1)[0]
        out[finding["path"]][label].add(finding["rule"])
    return out
