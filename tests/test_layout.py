"""The package's layout, read from its own imports: two wings (`zsq/`, `vad/`) and a shared hall, no cycles.

The graph is built with `ast` from every module of `akt_vpc/` (imports inside functions count too), so a lazy
import that would close a circle or cross from one wing into the other fails here as well.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT/'akt_vpc'
HALL = {'core', 'models', 'distill', 'plots', 'widgets', 'cli'}


def module_name(path: Path) -> str:
    "Dotted name of a module file under akt_vpc/ ('zsq.quant', 'core', 'vad' for vad/__init__.py)."
    parts = list(path.relative_to(PKG).with_suffix('').parts)
    if parts[-1] == '__init__': parts = parts[:-1]
    return '.'.join(parts)


def imported(path: Path) -> set:
    "The package modules that one module imports (absolute `akt_vpc.x` and relative `.x` / `..x` alike)."
    here = module_name(path).split('.') if module_name(path) else []
    pkg = here if path.name == '__init__.py' else here[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - node.level + 1] if node.level > 1 else pkg
                mod = '.'.join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split('.')[0] == 'akt_vpc': mod = node.module[len('akt_vpc.'):] if '.' in node.module else ''
            else: continue
            names = [a.name for a in node.names]
            subs = {f'{mod}.{n}'.strip('.') for n in names} & set(MODULES)
            out |= subs or ({mod} if mod in MODULES else set())
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('akt_vpc.'): out.add(a.name[len('akt_vpc.'):])
    return out - {module_name(path)}


FILES = sorted(p for p in PKG.rglob('*.py') if p.name != '_modidx.py')
MODULES = {module_name(p): p for p in FILES}
GRAPH = {m: imported(p) for m, p in MODULES.items()}


def wing(m: str) -> str: return m.split('.')[0] if m.split('.')[0] in ('zsq', 'vad') else 'hall'


def test_top_level_holds_only_the_hall():
    "akt_vpc/ holds the hall's modules and the two wings, nothing else."
    top = {p.stem for p in PKG.glob('*.py')} - {'__init__', '_modidx'}
    assert top == HALL, f'top-level modules {sorted(top)} != {sorted(HALL)}'
    assert {p.name for p in PKG.iterdir() if p.is_dir() and not p.name.startswith('_')} == {'zsq', 'vad'}
    assert len(MODULES) > 30 and GRAPH['zsq.train'], 'the import graph was not read'


def test_wings_do_not_import_each_other():
    bad = [(m, d) for m, ds in GRAPH.items() for d in ds if {wing(m), wing(d)} == {'zsq', 'vad'}]
    assert not bad, f'one wing imports the other: {bad}'


def test_hall_direction():
    "core imports nothing of the package, models only core, distill only core and models; nobody imports widgets or cli."
    assert GRAPH['core'] == set(), GRAPH['core']
    assert GRAPH['models'] <= {'core'}, GRAPH['models']
    assert GRAPH['distill'] <= {'core', 'models'}, GRAPH['distill']
    assert GRAPH['plots'] <= {'core'}, GRAPH['plots']
    users = sorted(m for m, ds in GRAPH.items() if ds & {'widgets', 'cli'} and m not in ('cli',))
    assert not users, f'library modules import widgets or cli: {users}'
    hall_up = sorted((m, d) for m, ds in GRAPH.items() if wing(m) == 'hall' and m not in ('widgets', 'cli')
                     for d in ds if wing(d) != 'hall')
    assert not hall_up, f'the shared hall imports a wing: {hall_up}'


def test_only_widgets_imports_ipywidgets():
    users = sorted(m for m, p in MODULES.items() if m != 'widgets' and 'ipywidgets' in {
        (n.module or '').split('.')[0] if isinstance(n, ast.ImportFrom) else a.name.split('.')[0]
        for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in (n.names if isinstance(n, ast.Import) else [None])})
    assert not users, f'modules other than widgets import ipywidgets: {users}'


def find_cycle(graph: dict):
    "One import cycle as a list of modules, or None."
    state = {}
    def visit(m, stack):
        state[m] = 1; stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1: return stack[stack.index(d):] + [d]
            if d not in state and (c := visit(d, stack)): return c
        state[m] = 2; stack.pop()
    for m in sorted(graph):
        if m not in state and (c := visit(m, [])): return c


def test_no_import_cycle():
    assert find_cycle(GRAPH) is None, f'import cycle: {" -> ".join(find_cycle(GRAPH))}'


def test_cycle_finder_finds_a_cycle():
    "The check above can fail: a hand-made circle is found, a chain is not."
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': set()}) is None


@pytest.mark.parametrize('src,expected', [('from ..core import x', {'core'}), ('from .quant import y', {'zsq.quant'}),
                                          ('from akt_vpc.vad import video', {'vad.video'}),
                                          ('from akt_vpc.vad.memory import z', {'vad.memory'})])
def test_import_reader(tmp_path, src, expected, monkeypatch):
    "The graph reader resolves relative and absolute imports as Python does."
    f = PKG/'zsq'/'export.py'
    monkeypatch.setattr(Path, 'read_text', lambda self, *a, **k: src)
    assert imported(f) == expected
