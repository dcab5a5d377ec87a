"""Which Go package a function name belongs to, and which group (main module, dependency, std, runtime)."""

from __future__ import annotations

__all__ = ["GROUPS", "NO_PACKAGE", "PackageResolver", "gopath_root"]

import re
from collections.abc import Iterable, Sequence
from urllib.parse import unquote

MAIN, DEPENDENCIES, STD, RUNTIME = "main module", "dependencies", "standard library", "runtime"
GROUPS = (MAIN, DEPENDENCIES, STD, RUNTIME)
NO_PACKAGE = "(assembly and linker symbols)"

# compiler-generated functions named after a type (equality and hash helpers): the rest of the name is a type.
# Go 1.18-1.19 spelled the prefix "type..eq." where Go 1.20+ writes "type:.eq.".
_TYPE_HELPER_PREFIXES = ("type:.eq.", "type:.hash.", "type..eq.", "type..hash.", "type:", "type..")
_SHAPE = "go.shape."  # generic shape types: go.shape.int, go.shape.struct { ... }, go.shape.*uint8
_TYPE_LITERALS = ("struct {", "interface {", "func(", "map[", "chan ", "chan<-", "<-chan")
# pointer, array, slice, and "(*T).M" method syntax; Go 1.18-1.19 write an array's length as "[...]" in pclntab
_TYPE_MODIFIER = re.compile(r"^(?:\*|\[\d*\]|\[\.\.\.\]|\()+")
# a package path: elements split by "/", dots allowed except in the last one (the linker escapes those as %2e)
_PATH = r"(?:[\w.\-~%+]+/)*[\w\-~%+]+"
_QUALIFIED = re.compile(rf"({_PATH})\.[A-Za-z_\u00b7]")
# an unexported field name qualified by the package that declared the struct: "{ crypto/x509.v *..." or "; p.x T"
_FIELD_OWNER = re.compile(rf"(?:\{{ |; )({_PATH})\.[^\s.;{{}}]+ ")
# gcc's clones and split parts of C functions in cgo binaries: x_cgo_munmap.cold, f.part.0, g.constprop.0
_GCC_CLONE = re.compile(r"^[A-Za-z_]\w*\.(?:cold|part|constprop|isra|lto_priv|localalias)(?:\.\w+)*$")
# a name's prefix that is no package: single-element names that Go never uses for a standard package
_NOT_PACKAGES = frozenset({"go", "type"})
# One match per line of names joined by newlines: group 1 is the package of a plain name ("path/pkg.Symbol",
# "pkg.(*T).M", "pkg.F[...]"), empty for any name the rules above must look at (a prefix, a type literal, a gcc
# clone, an escape, no dot): the whole table is split in C and only those few go through PackageResolver._package.
_PLAIN = re.compile(r"^(?:(?:\.gcmask\.|go[:.]|type[:.]|struct \{|interface \{|func\(|map\[|chan |chan<-|<-chan)"
                    r"|(?!main\.)[A-Za-z_]\w*\.(?:cold|part|constprop|isra|lto_priv|localalias)(?:\.\w+)*(?:$|\[)"
                    r"|((?:[^\n\[/%]*/)*+[^\n\[/.%]+)\.|)", re.MULTILINE)


def _strip_type_modifiers(expr: str) -> str:
    expr = _TYPE_MODIFIER.sub("", expr)
    while expr.startswith(_SHAPE):
        expr = _TYPE_MODIFIER.sub("", expr[len(_SHAPE) :])
    return expr


def _literal_package(expr: str) -> str:
    """The package an anonymous type belongs to: its first qualified field name, else its first named type."""
    found = _FIELD_OWNER.search(expr) or _QUALIFIED.search(expr)
    return found.group(1) if found else NO_PACKAGE


# hosts whose repositories are host/owner/name (as `go get` resolves them in GOPATH mode)
_THREE_ELEMENT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "git.sr.ht")


def gopath_root(path: str) -> str:
    """The repository a GOPATH-mode program's package path lies in: what stands for its main module.

    A binary built without modules has a `path` line but no `mod` line; its own packages share the
    repository root (github.com/containers/buildah for .../buildah/cmd/buildah).
    """
    elements = path.split("/")
    if elements[0] in _THREE_ELEMENT_HOSTS or path.startswith("golang.org/x/"):
        return "/".join(elements[:3])
    if elements[0] == "gopkg.in":
        return "/".join(elements[:3] if "." not in elements[1] else elements[:2])
    if "/cmd/" in path:
        return path[: path.index("/cmd/")]
    return path


class PackageResolver:
    """Maps function names to package paths, using the module paths from buildinfo to split them right.

    A name is "<package path>.<symbol>"; the package path ends at the first dot after its last slash.
    The linker escapes a dot in the last path element (gopkg.in/yaml.v3 becomes gopkg.in/yaml%2ev3), which
    is undone here; for names written without the escape, known module paths with dots are matched first.
    Compiler-generated helpers of anonymous types ("type:.eq.struct { ... }", "go:struct { io.Reader }.Read")
    go to the package named inside the type, so they never invent packages of their own.
    """

    def __init__(self, main_path: str | None = None, dep_paths: Iterable[str] = ()) -> None:
        self.main_path = main_path or ""
        self.dep_paths = sorted(set(dep_paths), key=len, reverse=True)
        self._modules = sorted({p for p in [self.main_path, *self.dep_paths] if p}, key=len, reverse=True)
        self._cache: dict[str, str] = {}
        self._dotted: dict[str, list[str]] = {}
        for module in self._modules:
            last = module.rsplit("/", 1)[-1]
            if "." in last and "/" in module:
                naive = module[: module.rfind("/") + 1 + last.find(".")]
                self._dotted.setdefault(naive, []).append(module)

    def package(self, name: str) -> str:
        found = self._cache.get(name)
        if found is None:
            found = self._cache[name] = self._package(name)
        return found

    def packages(self, names: Sequence[str]) -> list[str]:
        """The package of each of ``names``: the same as ``package`` one by one, in a fraction of the time."""
        cache = self._cache
        missing = list(dict.fromkeys(name for name in names if name not in cache))
        plain = _PLAIN.findall("\n".join(missing)) if missing else []
        if len(plain) != len(missing):  # a name with a newline in it: one by one
            plain = [""] * len(missing)
        slow, dotted = self.package, self._dotted
        cache.update((name, slow(name) if not found or found in dotted else found)
                     for name, found in zip(missing, plain, strict=True))
        return [cache[name] for name in names]

    def _package(self, name: str) -> str:
        name = name.removeprefix(".gcmask.")  # a type's GC pointer mask: the type's package
        if name.startswith("go:itab."):  # an interface table: the package of the concrete type
            name = _strip_type_modifiers(name[len("go:itab.") :].split(",", 1)[0])
        if name.startswith(("type:", "type..")):
            prefix = next(p for p in _TYPE_HELPER_PREFIXES if name.startswith(p))
            name = _strip_type_modifiers(name[len(prefix) :])
        elif name.startswith(("go:", "go.")):  # Go 1.18-1.19 spelled "go:struct { ... }.M" as "go.struct ..."
            name = _strip_type_modifiers(name[3:])
            if not name.startswith(_TYPE_LITERALS):
                return NO_PACKAGE  # linker symbols: go:buildid, go:textfipsstart, ...
        if name.startswith(_TYPE_LITERALS):
            return self._clean(_literal_package(name))
        bracket = name.find("[")  # generic instantiation: its arguments may name other packages
        if bracket >= 0:
            name = name[:bracket]
        slash = name.rfind("/")
        dot = name.find(".", slash + 1)
        if dot <= 0:
            return NO_PACKAGE
        if slash < 0 and _GCC_CLONE.match(name) and not name.startswith("main."):
            return NO_PACKAGE  # C code of a cgo binary
        package = name[:dot]
        if package in _NOT_PACKAGES:
            return NO_PACKAGE
        # a module whose last path element has a dot (gopkg.in/yaml.v3) is cut short by the rule above
        for module in self._dotted.get(package, ()):
            if name.startswith(module) and name[len(module) : len(module) + 1] in (".", ""):
                return module
        return self._clean(package)

    @staticmethod
    def _clean(package: str) -> str:
        return unquote(package) if "%" in package else package

    def group(self, package: str) -> str:
        """The group of ``package``: runtime, standard library, main module or dependencies."""
        if package == NO_PACKAGE or package == "runtime" or package.startswith(("runtime/", "internal/runtime/")):
            return RUNTIME
        if package == "main" or (
            self.main_path and (package == self.main_path or package.startswith(self.main_path + "/"))
        ):
            # in GOPATH mode a repository's vendored copies sit under it: .../buildah/vendor/github.com/...
            return DEPENDENCIES if package.startswith(self.main_path + "/vendor/") else MAIN
        for dep in self.dep_paths:
            if package == dep or package.startswith(dep + "/"):
                return DEPENDENCIES
        first = package.split("/", 1)[0]
        # standard library paths have no dot in their first element (vendor/golang.org/x/... included)
        return STD if "." not in first else DEPENDENCIES
