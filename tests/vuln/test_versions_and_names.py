"""Go's version semantics for OSV ranges, and function names normalised to the database's symbol names."""

from __future__ import annotations

import pytest

from slimgo.vuln import semver
from slimgo.vuln.osv import AdvisoryError, Affected, parse_entry
from slimgo.vuln.symbols import split_name, strip_instantiation


@pytest.mark.parametrize("lower, higher", [
    ("v0.3.7", "v0.3.8"),
    ("v1.2.3-pre", "v1.2.3"),
    ("v1.2.3-alpha.1", "v1.2.3-alpha.beta"),  # numeric identifiers sort before alphanumeric ones
    ("v1.2.3-alpha.2", "v1.2.3-alpha.10"),
    ("v0.0.0-20210101000000-abcdefabcdef", "v0.0.0-20220101000000-abcdefabcdef"),  # pseudo-versions by time
    ("v0.0.0-20220101000000-abcdefabcdef", "v0.1.0"),
    ("v1.2.4-0.20220101000000-abcdefabcdef", "v1.2.4"),  # a pseudo-version after v1.2.3 is before v1.2.4
    ("v1.2.3", "v1.2.4-0.20220101000000-abcdefabcdef"),
    ("v2.0.0+incompatible", "v2.0.1+incompatible"),
    ("not-a-version", "v0.0.0"),
])
def test_order(lower: str, higher: str) -> None:
    assert semver.compare(lower, higher) == -1
    assert semver.compare(higher, lower) == 1


def test_build_metadata_is_ignored() -> None:
    assert semver.compare("v2.0.0+incompatible", "v2.0.0") == 0


@pytest.mark.parametrize("tag, version", [
    ("go1.21.3", "v1.21.3"), ("go1.20", "v1.20.0"), ("go1.21rc2", "v1.21.0-rc.2"), ("go1", "v1.0.0"),
    ("go1.22.1 X:boringcrypto", "v1.22.1"), ("devel go1.23-abc", ""), ("", ""),
])
def test_go_tags(tag: str, version: str) -> None:
    assert semver.go_tag_to_semver(tag) == version


@pytest.mark.parametrize("version, tag", [("v1.21.3", "go1.21.3"), ("v1.20.0", "go1.20"), ("v1.21.0", "go1.21.0"),
                                          ("v1.21.0-rc.2", "go1.21rc2"), ("1.26.9", "go1.26.9")])
def test_semver_to_go_tag(version: str, tag: str) -> None:
    assert semver.semver_to_go_tag(version) == tag


def _affected(*events: tuple[str, str]) -> Affected:
    return Affected("example.com/m", (tuple(events),), False)


def test_ranges() -> None:
    two = Affected("example.com/m", ((("introduced", "0"), ("fixed", "1.2.0"), ("introduced", "1.5.0"),
                                      ("fixed", "1.5.3")),), False)
    assert two.affects("v1.1.9") and not two.affects("v1.2.0") and not two.affects("v1.4.0")
    assert two.affects("v1.5.0") and two.affects("v1.5.3-rc.1") and not two.affects("v1.5.3")
    assert two.affects("v0.0.0-20200101000000-abcdefabcdef")  # a pseudo-version below the first fix
    assert not two.affects("(devel)") and not two.affects("")
    assert two.fixed_after("v1.5.1") == "v1.5.3" and two.fixed_after("v1.0.0") == "v1.2.0"
    unfixed = _affected(("introduced", "1.0.0"))
    assert unfixed.affects("v3.0.0+incompatible") and unfixed.fixed_after("v1.0.0") is None
    assert not unfixed.affects("v0.9.0")
    assert Affected("example.com/m", (), True).affects("v9.9.9")  # no SEMVER range: every version
    stdlib = Affected("stdlib", ((("introduced", "0"), ("fixed", "1.21.8"), ("introduced", "1.22.0-0"),
                                  ("fixed", "1.22.1")),), False)
    assert stdlib.affects(semver.go_tag_to_semver("go1.22.0")) and stdlib.affects("v1.21.7")
    assert not stdlib.affects("v1.21.8") and not stdlib.affects(semver.go_tag_to_semver("go1.22.1"))


def test_unparseable_advisories() -> None:
    for bad in ([], {"id": ""}, {"id": "GO-1", "affected": "x"}, {"id": "GO-1", "affected": [{"package": 3}]},
                {"id": "GO-1", "affected": [{"package": {"name": "m"}, "ranges": 1}]},
                {"id": "GO-1", "affected": [{"package": {"name": "m"},
                                             "ecosystem_specific": {"imports": [{"symbols": ["F"]}]}}]}):
        with pytest.raises(AdvisoryError):
            parse_entry(bad)


@pytest.mark.parametrize("name, expected", [
    ("golang.org/x/text/language.ParseAcceptLanguage", ("golang.org/x/text/language", "ParseAcceptLanguage")),
    ("net/http.(*Server).Serve", ("net/http", "Server.Serve")),
    ("net/http.Header.Get", ("net/http", "Header.Get")),
    ("example.com/m/pkg.Map[go.shape.int,go.shape.string]", ("example.com/m/pkg", "Map")),
    ("example.com/m/pkg.(*Tree[go.shape.*net/http.Request]).Insert", ("example.com/m/pkg", "Tree.Insert")),
    ("example.com/m/pkg.Tree[...].Walk", ("example.com/m/pkg", "Tree.Walk")),
    ("gopkg.in/yaml%2ev3.Unmarshal", ("gopkg.in/yaml.v3", "Unmarshal")),
    ("go.uber.org/zap.New", ("go.uber.org/zap", "New")),
    ("main.main", ("example.com/app", "main")),
    ("type:.eq.net/http.Request", None), ("go:buildid", None), ("go.shape.int", None),
])
def test_function_names(name: str, expected: tuple[str, str] | None) -> None:
    assert split_name(name, "example.com/app") == expected


def test_nested_type_arguments() -> None:
    assert strip_instantiation("p.F[map[string][]int]") == "p.F"
