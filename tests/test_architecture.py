"""The shape of the house, checked on every run (docs/architecture.md): dependencies point one way, the image model
does no I/O, and printing, HTTP, processes and globals each live where the architecture says."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Components by rank: a module may import from a lower rank, or from its own component; components of one rank are
# independent of each other. Names are module prefixes; the longest prefix wins.
RANKS: dict[str, int] = {
    "slimgo": 0, "slimgo.errors": 0, "slimgo.units": 0,
    "slimgo.oci": 1,
    "slimgo.compression": 2, "slimgo.host": 2, "slimgo.cachedir": 2, "slimgo.linkwalk": 2,
    "slimgo.layer": 3, "slimgo.elf": 3, "slimgo.layercheck": 3,
    "slimgo.rootfs": 4,
    "slimgo.stores": 4, "slimgo.base": 4, "slimgo.gobuild": 4,
    "slimgo.imagebuild": 5, "slimgo.inspect": 5, "slimgo.analyze": 5, "slimgo.lint": 5, "slimgo.runtime": 5,
    "slimgo.vuln": 5, "slimgo.supply": 5, "slimgo.bench": 5, "slimgo.report": 5,
    "slimgo.cli": 6, "slimgo.__main__": 7,
}
# Inside stores: the transport table sits on top of every medium; the registry never reaches back up.
STORES_RANKS: dict[str, int] = {
    "slimgo.stores.progress": 0, "slimgo.stores.fsutil": 0, "slimgo.stores.inplace": 0,
    "slimgo.stores.layout": 1,
    "slimgo.stores.archive": 2, "slimgo.stores.registry": 2,
    "slimgo.stores.transport": 3,
}
# The faces of the stores a verb may use: it builds a `Stores` from its flags and hands it down; pulls, pushes,
# clients and sessions stay behind it.
CLI_STORE_FACES = ("slimgo.stores.transport", "slimgo.stores.progress", "slimgo.stores.registry.options",
                   "slimgo.stores.registry.login")
SUBPROCESS_ALLOWED = ("slimgo.gobuild", "slimgo.runtime.runc", "slimgo.stores.registry.credentials",
                      "slimgo.lint.findtree")
HTTP_ALLOWED = ("slimgo.stores.registry",)
PRINTER = "slimgo.cli.render"
# Formatters turn reports into text with rich (into a string buffer); they never write to a terminal themselves.
RICH_ALLOWED = ("slimgo.cli", "slimgo.lint.render", "slimgo.inspect.text")
OCI_FORBIDDEN = {"os", "pathlib", "platform", "subprocess", "shutil", "tempfile", "socket", "requests", "gzip",
                 "zlib", "tarfile", "threading", "sys", "slimgo.compression", "slimgo.host", "slimgo.stores"}
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (a module, or module.name for `from module import name`)
    line: int


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted((SRC / "slimgo").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(Module(".".join(parts), path, ast.parse(path.read_text(encoding="utf-8"))))
    return tuple(found)


def imports(module: Module) -> Iterator[Import]:
    """Every import, at the top or inside a function (a lazy import is still a dependency)."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module.name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield Import(module.name, f"{base}.{alias.name}", node.lineno)


def _longest(name: str, table: dict[str, int]) -> str | None:
    best = None
    for prefix in table:
        if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > len(best)):
            best = prefix
    return best


def _component(name: str) -> str:
    found = _longest(name, RANKS)
    assert found is not None, f"{name} has no rank: add it to RANKS in tests/test_architecture.py"
    return found


def _is_slimgo(target: str) -> bool:
    return target == "slimgo" or target.startswith("slimgo.")


def _resolve(target: str) -> str:
    """`from pkg import name` names a module or an attribute: the module is the longest existing prefix."""
    known = {m.name for m in modules()}
    while target not in known and "." in target:
        target = target.rpartition(".")[0]
    return target


def layering_violations() -> list[str]:
    bad = []
    for module in modules():
        mine = _component(module.name)
        for imp in imports(module):
            if not _is_slimgo(imp.target):
                continue
            target = _resolve(imp.target)
            theirs = _component(target)
            if theirs == mine:
                if mine == "slimgo.stores":
                    a, b = _longest(module.name, STORES_RANKS), _longest(target, STORES_RANKS)
                    if a and b and a != b and STORES_RANKS[b] >= STORES_RANKS[a]:
                        bad.append(f"{module.name}:{imp.line} imports {target} (stores: {a} may not use {b})")
                continue
            if theirs == "slimgo" and target != "slimgo":
                continue
            if RANKS[theirs] >= RANKS[mine]:
                bad.append(f"{module.name}:{imp.line} imports {target} ({mine} rank {RANKS[mine]} may not use "
                           f"{theirs} rank {RANKS[theirs]})")
    return bad


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _external_users(top: str) -> list[str]:
    return [f"{m.name}:{imp.line}" for m in modules() for imp in imports(m)
            if imp.target == top or imp.target.startswith(top + ".")]


def test_dependencies_point_one_way() -> None:
    assert layering_violations() == []


def test_verbs_use_only_the_faces_of_the_stores() -> None:
    bad = [f"{m.name}:{imp.line} imports {imp.target}" for m in modules() if m.name.startswith("slimgo.cli")
           for imp in imports(m) if imp.target.startswith("slimgo.stores.")
           and not _allowed(_resolve(imp.target), CLI_STORE_FACES)]
    assert bad == []


def test_the_image_model_does_no_io() -> None:
    bad = [f"{m.name}:{imp.line} imports {imp.target}" for m in modules() if m.name.startswith("slimgo.oci")
           for imp in imports(m) if any(imp.target == f or imp.target.startswith(f + ".") for f in OCI_FORBIDDEN)]
    bad += [f"{m.name}:{n.lineno} calls open()" for m in modules() if m.name.startswith("slimgo.oci")
            for n in ast.walk(m.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == "open"]
    assert bad == []


def test_http_only_in_the_registry_store() -> None:
    users = [u for u in _external_users("requests") + _external_users("urllib3")
             if not _allowed(u.partition(":")[0], HTTP_ALLOWED)]
    assert users == []


def test_processes_only_in_named_modules() -> None:
    users = [u for u in _external_users("subprocess") if not _allowed(u.partition(":")[0], SUBPROCESS_ALLOWED)]
    assert users == []


def _printing_calls(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        text = ast.unparse(func)
        if text in ("print", "click.echo", "click.secho", "sys.stdout.write", "sys.stderr.write", "pprint"):
            yield f"{module.name}:{node.lineno} {text}()"
        if text.endswith("Console") and not any(k.arg == "file" for k in node.keywords):
            yield f"{module.name}:{node.lineno} a rich Console on a terminal"


def test_printing_only_in_the_renderer() -> None:
    bad = [call for m in modules() if m.name != PRINTER for call in _printing_calls(m)]
    bad += [u for u in _external_users("rich") if not _allowed(u.partition(":")[0], RICH_ALLOWED)]
    assert bad == []


def test_no_process_globals() -> None:
    bad = []
    for module in modules():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Global):
                bad.append(f"{module.name}:{node.lineno} global {', '.join(node.names)}")
            if isinstance(node, ast.Name) and node.id == "ContextVar":
                bad.append(f"{module.name}:{node.lineno} ContextVar")
    assert bad == []


def test_every_public_module_says_what_it_exports() -> None:
    """A module is private (`_name.py`) or lists its exports in __all__, and every listed name exists."""
    bad = []
    for module in modules():
        leaf = module.path.name
        if leaf.startswith("_"):
            continue
        exports = next((node.value for node in module.tree.body if isinstance(node, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)), None)
        if exports is None:
            bad.append(f"{module.name}: no __all__")
            continue
        names = [ast.literal_eval(e) for e in getattr(exports, "elts", [])]
        defined = {t.id for node in module.tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
                   for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                   if isinstance(t, ast.Name)}
        defined |= {node.name for node in module.tree.body
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
        defined |= {(a.asname or a.name).split(".")[0] for node in ast.walk(module.tree)
                    if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names}
        bad += [f"{module.name}: __all__ names {n}, which it does not define" for n in names if n not in defined]
    assert bad == []


def test_functions_stay_short() -> None:
    long = [f"{m.name}.{n.name} ({n.end_lineno - n.lineno + 1} lines)" for m in modules()
            for n in ast.walk(m.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            and n.end_lineno is not None and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


@pytest.mark.parametrize("source, expected", [
    ("from slimgo.cli import render\n", "slimgo.oci.bad:1 imports slimgo.cli.render"),
    ("def f() -> None:\n    from slimgo.stores.transport import Stores\n", "slimgo.oci.bad:2 imports slimgo.stores"),
])
def test_the_layering_check_sees_a_violation(monkeypatch: pytest.MonkeyPatch, source: str, expected: str) -> None:
    """The check is not vacuous: a model module that imports upward, even lazily, is caught."""
    fake = Module("slimgo.oci.bad", SRC / "slimgo" / "oci" / "bad.py", ast.parse(source))
    real = modules()
    monkeypatch.setattr(f"{__name__}.modules", lambda: (*real, fake))
    assert any(v.startswith(expected) for v in layering_violations())


def test_the_printing_check_sees_a_print() -> None:
    fake = Module("slimgo.stores.bad", SRC / "bad.py", ast.parse("import click\nclick.echo('x')\nprint(1)\n"))
    assert len(list(_printing_calls(fake))) == 2
