"""The import structure of luco_client: layers point down only, no cycles, requests stays in
the transport, and no module takes another module's private names.

Every ``import`` and ``from ... import`` of every module is read (type-only ones under
``TYPE_CHECKING`` included); ``from package import submodule`` counts as an import of the
submodule.
"""

from __future__ import annotations

import ast
import os
import typing as t

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "luco_client")

#: Rank of each part of the package: a module may import modules of its own rank or lower.
RANKS = {
    "cross": 0,       # errors, events, stats, reports, _fields, _redact, _clock, _public, _logging, _version
    "transport": 1,
    "client": 2,
    "luco": 3,
    "workflows": 3,
    "testing": 4,
    "cli": 5,
}


def _part(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    head = parts[1]
    if head in ("transport", "client", "luco", "workflows", "testing"):
        return head
    if head in ("cli", "__main__") or head.startswith("_cli"):
        return "cli"
    return "cross"


def _modules() -> t.Dict[str, str]:
    found = {}
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(ROOT))[:-3].replace(os.sep, ".")
                found[rel[:-len(".__init__")] if rel.endswith(".__init__") else rel] = path
    return found


MODULES = _modules()


class _Import(t.NamedTuple):
    target: str
    names: t.Tuple[str, ...]
    type_only: bool
    line: int


def _imports(module: str, path: str) -> t.List[_Import]:
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found: t.List[_Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            guarded = type_only or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(_Import(alias.name, (), type_only, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                found.append(_Import(base, tuple(a.name for a in child.names), type_only, child.lineno))
            visit(child, guarded if isinstance(child, ast.If) else type_only)

    visit(tree, False)
    return found


def _edges() -> t.Dict[str, t.Set[str]]:
    graph: t.Dict[str, t.Set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for imp in _imports(module, path):
            if not imp.target.startswith("luco_client"):
                continue
            targets = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in MODULES] or [imp.target]
            for target in targets:
                if target in MODULES and target != module:
                    graph[module].add(target)
    return graph


def test_no_import_cycles() -> None:
    graph = {m: {d for d in deps if d != "luco_client"} for m, deps in _edges().items() if m != "luco_client"}
    index: t.Dict[str, int] = {}
    low: t.Dict[str, int] = {}
    stack: t.List[str] = []
    on_stack: t.Set[str] = set()
    cycles: t.List[t.List[str]] = []
    counter = [0]

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    assert cycles == []


def test_layers_point_down_only() -> None:
    wrong = []
    for module, deps in _edges().items():
        part = _part(module)
        if part == "root":
            continue
        for dep in deps:
            other = _part(dep)
            if other == "root":
                if part != "cli":  # only the command line stands above the top-level package
                    wrong.append(f"{module} imports the top-level package")
            elif other == "testing" and part not in ("testing", "cli"):
                wrong.append(f"{module} imports the test kit {dep}")
            elif RANKS[other] > RANKS[part] or (RANKS[other] == RANKS[part] and part not in (other, "cross")):
                wrong.append(f"{module} ({part}) imports {dep} ({other})")
    assert wrong == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _part(m) in ("client", "luco", "workflows", "cross")))
def test_requests_and_urllib3_stay_in_the_transport(module: str) -> None:
    runtime = [imp for imp in _imports(module, MODULES[module]) if not imp.type_only
               and imp.target.split(".")[0] in ("requests", "urllib3")]
    assert runtime == [], f"{module} imports {[i.target for i in runtime]} at run time"


def test_no_module_takes_another_modules_private_names() -> None:
    taken = []
    for module, path in MODULES.items():
        for imp in _imports(module, path):
            if not imp.target.startswith("luco_client") or imp.target == module:
                continue
            for name in imp.names:
                if name.startswith("_") and not name.startswith("__") and f"{imp.target}.{name}" not in MODULES:
                    taken.append(f"{module}:{imp.line} takes {imp.target}.{name}")
    assert taken == []
