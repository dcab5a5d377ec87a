"""Load Kubernetes YAML as position-carrying nodes, bounded in size and in alias expansion."""

from __future__ import annotations

__all__ = ["MAX_BYTES", "YamlProblem", "load_documents"]

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

# libyaml when present: the same nodes and marks, many times faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 16 * 1024 * 1024
# A document whose aliases would expand past this many nodes is refused (a "billion laughs" bomb is ~10^9).
MAX_EXPANDED_NODES = 1_000_000
MAX_DOCUMENTS = 100_000
MAX_DEPTH = 200


class YamlProblem(ValueError):
    """The file cannot be read safely: syntax error, alias bomb, size or depth past the bounds."""

    def __init__(self, line: int, rule: str, message: str, fix: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.rule = rule
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Document:
    """One YAML document: its root node (None for an empty document) and its first line."""

    root: yaml.Node | None
    line: int


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes a full expansion of ``root`` visits, counted without expanding (memoised per node)."""
    sizes: dict[int, int] = {}
    on_stack: set[int] = set()
    # Iterative post-order walk: deep documents must not hit Python's recursion limit.
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_stack.discard(key)
            total = 1
            for child in _children(node):
                total += sizes[id(child)]
                if total > MAX_EXPANDED_NODES:
                    break
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_stack:
            raise YamlProblem(node.start_mark.line + 1, "SG491", "a YAML alias refers to itself (recursive document)",
                              "replace the recursive alias with plain values")
        if depth > MAX_DEPTH:
            raise YamlProblem(node.start_mark.line + 1, "SG491", f"YAML nesting deeper than {MAX_DEPTH} levels",
                              "flatten the document")
        on_stack.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def load_documents(text: str) -> list[Document]:
    """Every document of ``text`` as nodes; raises YamlProblem with the line of the first problem."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(1, "SG491", f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                          "split the manifests into smaller files")
    if "\0" in text:
        raise YamlProblem(1, "SG493", "file holds NUL bytes: it is binary, not YAML", "lint the YAML source instead")
    # Without an anchor there is no alias, and a document is no bigger than its text: skip the size walk.
    has_anchors = "&" in text
    loader = _Loader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if len(docs) >= MAX_DOCUMENTS:
                raise YamlProblem(node.start_mark.line + 1 if node else 1, "SG491",
                                  f"more than {MAX_DOCUMENTS} documents in one file", "split the file")
            if node is None:
                docs.append(Document(None, 1))
                continue
            size = _expanded_size(node) if has_anchors else 0
            if size > MAX_EXPANDED_NODES:
                raise YamlProblem(node.start_mark.line + 1, "SG491",
                                  f"YAML aliases expand this document past {MAX_EXPANDED_NODES:,} nodes "
                                  "(an alias bomb?)", "write the values out instead of nesting aliases")
            docs.append(Document(node, node.start_mark.line + 1))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = err.problem or err.context or "syntax error"
        raise YamlProblem(line, "SG490", f"YAML syntax error: {problem}", "fix the YAML syntax at this line") from None
    except yaml.YAMLError as err:
        raise YamlProblem(1, "SG490", f"YAML error: {err}", "fix the YAML syntax") from None
    except RecursionError:  # the pure-Python composer recurses per nesting level
        raise YamlProblem(1, "SG491", "YAML nested too deeply to read", "flatten the document") from None
    finally:
        loader.dispose()
    return docs
