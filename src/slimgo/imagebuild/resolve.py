"""`ko://` and `slimgo://` references in Kubernetes YAML: found by parsing, replaced in the original text so
comments, order and quoting survive (the YAML is never re-dumped)."""

from __future__ import annotations

__all__ = [
    "check_image_refs_target",
    "image_ref",
    "read_manifests",
    "resolve_references",
    "substitute",
    "write_image_refs",
]

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from slimgo.errors import InputError, UsageError

if TYPE_CHECKING:
    from slimgo.imagebuild.pipeline import BuildRequest, Plan
    from slimgo.stores.transport import Stores

SCHEMES = ("ko://", "slimgo://")
MAX_MANIFEST_BYTES = 16 << 20
MAX_MANIFEST_FILES = 10_000
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Reference:
    """One reference scalar: where its text is, and what it names (an import path, or ./dir for slimgo://)."""

    start: int
    end: int
    style: str | None  # None: plain; '"' or "'": quoted
    text: str  # the whole scalar, e.g. ko://example.com/cmd/app

    @property
    def target(self) -> str:
        return self.text.split("://", 1)[1]


@dataclass(frozen=True)
class Manifest:
    path: str  # "-" for stdin
    text: str
    references: tuple[Reference, ...]


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.ScalarNode):
            yield current
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            pending.extend(value for _key, value in current.value)  # keys are never image references


def find_references(text: str, where: str) -> tuple[Reference, ...]:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(where, f"is not valid YAML{line}", "fix its syntax") from None
    found = []
    for document in documents:
        if document is None:
            continue
        for scalar in _scalars(document):
            if not scalar.value.startswith(SCHEMES) or scalar.tag != "tag:yaml.org,2002:str":
                continue
            if scalar.style not in (None, '"', "'"):
                raise UsageError(f"{where}:{scalar.start_mark.line + 1}", f"writes {scalar.value.strip()!r} as a "
                                 "block scalar", "write the reference on one line")
            if not scalar.value.split("://", 1)[1]:
                raise UsageError(f"{where}:{scalar.start_mark.line + 1}", f"{scalar.value!r} names no package",
                                 "write ko://IMPORT/PATH of a main package")
            found.append(Reference(scalar.start_mark.index, scalar.end_mark.index, scalar.style, scalar.value))
    return tuple(sorted(found, key=lambda r: r.start))


def _files(root: Path, recursive: bool) -> list[Path]:
    if not root.is_dir():
        return [root]
    walker = root.rglob("*") if recursive else root.iterdir()
    found = []
    for path in walker:
        if path.suffix in _SUFFIXES and path.is_file() and not path.is_symlink():
            found.append(path)
            if len(found) > MAX_MANIFEST_FILES:
                raise UsageError(str(root), f"holds more than {MAX_MANIFEST_FILES} YAML files",
                                 "point -f at the directory of the manifests")
    return sorted(found)


def read_manifests(sources: Sequence[str], recursive: bool, stdin: bytes | None = None) -> list[Manifest]:
    """The manifests behind every -f (a file, a directory of *.yaml/*.yml/*.json, or - for stdin)."""
    manifests = []
    for source in sources:
        if source == "-":
            data = (stdin or b"")[:MAX_MANIFEST_BYTES + 1]
            manifests.append(_manifest("-", data))
            continue
        root = Path(source)
        if not root.exists():
            raise InputError(f"-f {source}", "does not exist", "give a YAML file or a directory of them")
        for path in _files(root, recursive):
            try:
                with path.open("rb") as handle:
                    data = handle.read(MAX_MANIFEST_BYTES + 1)
            except OSError as err:
                raise InputError(str(path), f"cannot be read: {err.strerror}", "check its permissions") from None
            manifests.append(_manifest(str(path), data))
    return manifests


def _manifest(where: str, data: bytes) -> Manifest:
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError(where, f"is larger than {MAX_MANIFEST_BYTES >> 20} MiB", "split it into smaller files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(where, "is not UTF-8 text", "save it as UTF-8") from None
    return Manifest(where, text, find_references(text, where))


def substitute(manifest: Manifest, resolved: Mapping[str, str]) -> str:
    """The manifest's text with each reference replaced by ``resolved[reference.text]``, everything else as is."""
    parts, position = [], 0
    for reference in manifest.references:
        image = resolved[reference.text]
        quote = reference.style or ""
        parts += [manifest.text[position:reference.start], f"{quote}{image}{quote}"]
        position = reference.end
    parts.append(manifest.text[position:])
    return "".join(parts)


def digest_reference(written: str) -> str:
    """`docker://HOST/REPO:TAG@sha256:...` (what a registry write returns) as HOST/REPO@sha256:..."""
    name, _, digest = written.removeprefix("docker://").partition("@")
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name = name[:colon]
    return f"{name}@{digest}"


def image_ref(written: str) -> str:
    """The line `--image-refs` writes for one output: REPO@sha256:... for a registry, else the written reference."""
    return digest_reference(written) if written.startswith("docker://") else written


def _is_path(target: str) -> bool:
    return target in (".", "..") or target.startswith(("./", "../", "/"))


def resolve_references(manifests: Sequence[Manifest], request: BuildRequest, stores: Stores, cache_dir: Path,
                       on_start: Callable[[Plan], None],
                       on_note: Callable[[str, str], None]) -> dict[str, str]:
    """Build and push every referenced main package once; map each reference's text to REPO@sha256:..."""
    from dataclasses import replace

    from slimgo.imagebuild.pipeline import run_build

    texts = list(dict.fromkeys(r.text for m in manifests for r in m.references))
    if not texts:
        return {}
    if not request.repo:
        raise UsageError("slimgo resolve", "has no registry to push to",
                         "set SLIMGO_REPO (or ko's KO_DOCKER_REPO) to REGISTRY/REPOSITORY")
    targets = {r.text: r.target for m in manifests for r in m.references}
    patterns = tuple(dict.fromkeys(targets[text] for text in texts))
    # the images must go to the registry whatever a settings file says: -o counts as given (empty)
    request = replace(request, patterns=patterns, values={**request.values, "output": ()},
                      explicit=request.explicit | {"output"})
    outcomes = run_build(request, stores, cache_dir, on_start=on_start, on_note=on_note)
    by_import = {o.result.package.import_path: o for o in outcomes}
    by_dir = {o.result.package.dir.resolve(): o for o in outcomes}
    resolved = {}
    for text in texts:
        target = targets[text]
        outcome = by_dir.get((request.cwd / target).resolve()) if _is_path(target) else by_import.get(target)
        if outcome is None:
            raise UsageError(text, "does not name the import path of a main package that was built",
                             "write ko://MODULE/PATH/TO/CMD as `go list` prints it")
        resolved[text] = digest_reference(outcome.references[0])
    return resolved


def write_image_refs(path: Path, references: Sequence[str]) -> None:
    """`--image-refs FILE`: one reference per line, written whole (a temporary file renamed into place)."""
    import os
    import tempfile

    directory = path.parent if str(path.parent) else Path()
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as handle:
            handle.write("".join(f"{ref}\n" for ref in dict.fromkeys(references)))
        os.replace(name, path)
    except OSError as err:
        raise UsageError(f"--image-refs {path}", f"cannot be written: {err.strerror or err}",
                         "give a file in an existing, writable directory") from None


def check_image_refs_target(path: Path) -> None:
    """Refuse an --image-refs FILE that cannot be written before anything is built or pushed."""
    import os

    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir() or not os.access(directory, os.W_OK):
        raise UsageError(f"--image-refs {path}", f"{directory} is not a writable directory",
                         "give a file in an existing, writable directory")
