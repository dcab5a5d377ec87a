"""Which Go package a function name belongs to, and which group (main module, dependency, std, runtime)."""

from __future__ import annotations

from collections.abc import Iterable

MAIN, DEPENDENCIES, STD, RUNTIME = "main module", "dependencies", "standard library", "runtime"
GROUPS = (MAIN, DEPENDENCIES, STD, RUNTIME)
NO_PACKAGE = "(assembly and linker symbols)"

# compiler-generated functions named after a type: attribute them to the type's package
_GENERATED_PREFIXES = ("type:.eq.", "type:.hash.", "go:struct {", "type:")


class PackageResolver:
    """Maps function names to package paths, using the module paths from buildinfo to split them right.

    A name is "<package path>.<symbol>"; the package path ends at the first dot after its last slash,
    except that a module path may itself contain dots in its last element (gopkg.in/yaml.v3), so known
    module paths are matched first.
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

    def _package(self, name: str) -> str:
        if name.startswith(("type:", "go:")):
            for prefix in _GENERATED_PREFIXES:
                if name.startswith(prefix):
                    name = name[len(prefix) :].lstrip("*")
                    break
            if name.startswith("go:"):
                return NO_PACKAGE
        bracket = name.find("[")  # generic instantiation: its arguments may name other packages
        if bracket >= 0:
            name = name[:bracket]
        slash = name.rfind("/")
        dot = name.find(".", slash + 1)
        if dot <= 0:
            return NO_PACKAGE
        package = name[:dot]
        # a module whose last path element has a dot (gopkg.in/yaml.v3) is cut short by the rule above
        for module in self._dotted.get(package, ()):
            if name.startswith(module) and name[len(module) : len(module) + 1] in (".", ""):
                return module
        return package

    def group(self, package: str) -> str:
        """The group of ``package``: runtime, standard library, main module or dependencies."""
        if package == NO_PACKAGE or package == "runtime" or package.startswith(("runtime/", "internal/runtime/")):
            return RUNTIME
        if package == "main" or (
            self.main_path and (package == self.main_path or package.startswith(self.main_path + "/"))
        ):
            return MAIN
        for dep in self.dep_paths:
            if package == dep or package.startswith(dep + "/"):
                return DEPENDENCIES
        first = package.split("/", 1)[0]
        # standard library paths have no dot in their first element (vendor/golang.org/x/... included)
        return STD if "." not in first else DEPENDENCIES
