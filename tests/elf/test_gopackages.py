"""Function names from real Go binaries map to the package and group a user expects (no Go toolchain needed)."""

from __future__ import annotations

import pytest

from slimgo.elf.gopackages import DEPENDENCIES, MAIN, NO_PACKAGE, RUNTIME, STD, PackageResolver

RESOLVER = PackageResolver("example.com/app", ["gopkg.in/yaml.v3", "github.com/spf13/cobra"])


_CASES = [
    ("main.main", "main"),
    ("fmt.Fprintf", "fmt"),
    ("net/http.(*Server).Serve", "net/http"),
    ("example.com/app/internal/db.Open.func1", "example.com/app/internal/db"),
    ("github.com/spf13/cobra.(*Command).Execute", "github.com/spf13/cobra"),
    # the linker escapes a dot in the last path element; the package is named as imported
    ("gopkg.in/yaml%2ev3.Unmarshal", "gopkg.in/yaml.v3"),
    ("crypto/internal/entropy/v1%2e0%2e0.init", "crypto/internal/entropy/v1.0.0"),
    ("gopkg.in/yaml.v3.Unmarshal", "gopkg.in/yaml.v3"),
    ("gopkg.in/yaml.v3/internal.F", "gopkg.in/yaml.v3/internal"),
    ("slices.SortFunc[go.shape.struct { net/http.key string; net/http.values []string }]", "slices"),
    ("example.com/app/list.(*List[go.shape.int]).Push", "example.com/app/list"),
    ("vendor/golang.org/x/net/http2/hpack.(*Encoder).WriteField", "vendor/golang.org/x/net/http2/hpack"),
    # equality and hash helpers go to the package of the type they compare
    ("type:.eq.runtime._panic", "runtime"),
    ("type:.eq.[8]internal/cpu.option", "internal/cpu"),
    ("type:.hash.*example.com/app.Config", "example.com/app"),
    ("type..eq.net/http.Request", "net/http"),  # Go 1.18 and 1.19 spelling
    ("type..eq.[...]main.pair", "main"),  # Go 1.18 and 1.19 write an array's length as [...] in pclntab
    ("type..eq.[...]vendor/golang.org/x/sys/cpu.option", "vendor/golang.org/x/sys/cpu"),
    ("go.(*struct { io.Reader; io.WriterTo }).Read", "io"),  # and go: as go.
    ("go.buildid", NO_PACKAGE),
    # anonymous structs: the package that declared them (their qualified field names), else a named field type
    ("type:.eq.struct { sync.Once; crypto/x509.v *crypto/x509.Certificate }", "crypto/x509"),
    ("type:.eq.go.shape.struct { encoding/json.v reflect.Value; encoding/json.ks string }", "encoding/json"),
    ("type:.eq.go.shape.struct { net/netip.isV6 bool; net/netip.zoneV6 string }", "net/netip"),
    ("type:.eq.struct { io.Reader; io.WriterTo }", "io"),
    ("go:struct { io.Reader; io.WriterTo }.Read", "io"),
    ("go:(*struct { io.Reader; io.WriterTo }).WriteTo", "io"),
    ("type:.eq.[2]interface {}", NO_PACKAGE),
    # linker symbols, assembly without a package, C code of cgo binaries (gcc clones included)
    ("go:buildid", NO_PACKAGE),
    ("go:textfipsstart", NO_PACKAGE),
    ("go.buildid", NO_PACKAGE),
    ("memeqbody", NO_PACKAGE),
    ("x_cgo_munmap.cold", NO_PACKAGE),
    ("fatalf.part.0", NO_PACKAGE),
]


@pytest.mark.parametrize(("name", "package"), _CASES)
def test_package_of_a_function_name(name: str, package: str) -> None:
    assert RESOLVER.package(name) == package


@pytest.mark.parametrize(("package", "group"), [
    ("main", MAIN),
    ("example.com/app/internal/db", MAIN),
    ("gopkg.in/yaml.v3", DEPENDENCIES),
    ("github.com/spf13/cobra/doc", DEPENDENCIES),
    ("github.com/unlisted/module", DEPENDENCIES),  # not in buildinfo, but not standard either
    ("fmt", STD),
    ("vendor/golang.org/x/net/http2/hpack", STD),  # GOROOT's vendored copies belong to the standard library
    ("cmd/vendor/golang.org/x/telemetry", STD),
    ("crypto/internal/entropy/v1.0.0", STD),
    ("runtime", RUNTIME),
    ("internal/runtime/maps", RUNTIME),
    (NO_PACKAGE, RUNTIME),
])
def test_group_of_a_package(package: str, group: str) -> None:
    assert RESOLVER.group(package) == group


def test_a_program_without_dependencies_has_no_dependency_bytes() -> None:
    # names from examples/hello (net/http, encoding/json): every one is runtime, std or main
    names = [
        "main.main", "main.main.func1", "runtime.mallocgc", "net/http.(*conn).serve",
        "vendor/golang.org/x/net/idna.ToASCII", "type:.eq.struct { sync.Once; crypto/x509.v *crypto/x509.Certificate }",
        "type:.eq.go.shape.struct { net/netip.isV6 bool; net/netip.zoneV6 string }",
        "go:struct { io.Reader; io.WriterTo }.Read", "x_cgo_munmap.cold", "go:textfipsstart",
        "crypto/internal/entropy/v1%2e0%2e0.(*ScratchBuffer).Init",
    ]
    resolver = PackageResolver("example.com/hello", [])
    assert {resolver.group(resolver.package(name)) for name in names} == {MAIN, STD, RUNTIME}


@pytest.mark.parametrize(("path", "root"), [
    ("github.com/containers/buildah/cmd/buildah", "github.com/containers/buildah"),
    ("golang.org/x/tools/cmd/stringer", "golang.org/x/tools"),
    ("gopkg.in/yaml.v2/cmd/x", "gopkg.in/yaml.v2"),
    ("example.org/tool/cmd/tool", "example.org/tool"),
    ("example.org/tool", "example.org/tool"),
])
def test_gopath_mode_root(path: str, root: str) -> None:
    from slimgo.elf.gopackages import gopath_root

    assert gopath_root(path) == root


def test_gopath_vendored_copies_are_dependencies() -> None:
    resolver = PackageResolver("github.com/containers/buildah")
    assert resolver.group("github.com/containers/buildah/pkg/parse") == MAIN
    assert resolver.group("github.com/containers/buildah/vendor/github.com/sirupsen/logrus") == DEPENDENCIES


_ODD_NAMES = [
    "x_cgo_munmap.cold", "x.cold[a/b.T]", "main.cold", "f.part.0", "a//b.c", "(*T).M", "", ".x", "a/.b", "type.x",
    "go.struct { a/b.c int }.M", "go:buildid", ".gcmask.a/b.T", "go:itab.*a/b.T,io.Reader", "func(int) a/b.T",
    "gopkg.in/yaml.v3x.F", "gopkg.in/yaml.v3", "a/b%2ec.F", "é/ü.x", "a/b.F[c/d.T]", "a/b[x].F",
]


@pytest.mark.parametrize("deps", [[], ["gopkg.in/yaml.v3", "github.com/spf13/cobra"]])
def test_packages_of_a_list_equal_one_by_one(deps: list[str]) -> None:
    """The whole-list resolver (one regular expression over the joined names) agrees with the rules name by name,
    on the table above and on names that take every branch of them."""
    names = [name for name, _ in _CASES] + _ODD_NAMES
    expected = [PackageResolver("example.com/app", deps).package(name) for name in names]
    assert PackageResolver("example.com/app", deps).packages(names) == expected
    assert PackageResolver("example.com/app", deps).packages(names[::-1]) == expected[::-1]
    # a name with a newline in it would shift every line after it: the list is then resolved one by one
    odd = ["a/b.F", "two\nlines.F", "c/d.G"]
    assert PackageResolver("example.com/app", deps).packages(odd) == ["a/b", "two\nlines", "c/d"]
