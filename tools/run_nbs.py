"""Execute notebooks in place and keep their outputs, so the docs, GitHub and the README show the figures.

Runs each notebook the way `nbdev_test` does (execnb's CaptureShell, project root on sys.path), skipping
`#| eval: false` cells and cells flagged with `tst_flags` (slow, gpu, notest), then writes the notebook back with
its outputs and cleans it with nbdev_clean's rules.

With `--widgets`, each notebook is run in a real Jupyter kernel instead (nbclient, `store_widget_state=True`),
with the same cells skipped, so that the ipywidgets state is saved in the notebook metadata in the standard shape,
`metadata.widgets["application/vnd.jupyter.widget-state+json"] = {"state": {...}, "version_major": 2,
"version_minor": 0}`, which Quarto and nbconvert use to draw the widgets (frozen) on the docs site. execnb has no
kernel and saves no widget state. nbdev_clean keeps the `widgets` metadata key.

With `--flags slow` (space- or comma-separated), cells with those flags run too and keep their outputs (as with
`nbdev_test --flags slow`), e.g. a tutorial's slow cells on the shared data.

Usage: python tools/run_nbs.py [--widgets] [--flags slow] nbs/quantization/03_data.ipynb [more.ipynb ...]
"""
import os, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def directives(source: str) -> dict:
    "The `#| key value` lines at the top of a cell, as {key: [values]}."
    out = {}
    for line in source.splitlines():
        if not line.startswith('#|'): break
        toks = line[2:].split()
        if toks: out[toks[0]] = toks[1:]
    return out


def skip_cell(cell, flags) -> bool:
    "True for cells nbdev_test would not run: markdown, `eval: false`, flagged, and the export call."
    if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
    d = directives(cell.source)
    if d.get('eval:', [''])[0].lower() == 'false': return True
    return any(f in d for f in flags)


def skip_flags(run_flags=()) -> list:
    "The `tst_flags` of settings.ini whose cells are skipped: all but `run_flags`."
    from nbdev.config import get_config
    return [f for f in get_config().tst_flags.split() if f not in run_flags]


def run_notebook(path: Path, run_flags=()):
    "Execute `path` in-process and write it back with its outputs, cleaned; cells flagged `run_flags` run too."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.clean import clean_nb
    flags = skip_flags(run_flags)
    nb = read_nb(path)
    cwd = os.getcwd(); os.chdir(path.parent)
    sys.path.insert(0, str(ROOT))
    try: CaptureShell(path).run_all(nb, exc_stop=True, preproc=lambda c: skip_cell(c, flags))
    finally: os.chdir(cwd)
    clean_nb(nb)
    write_nb(nb, path)


WIDGET_STATE = 'application/vnd.jupyter.widget-state+json'


def run_notebook_kernel(path: Path, timeout: int = 900, run_flags=()):
    "Execute `path` in a python3 kernel with nbclient, saving outputs and the widget state; skipped cells keep no output."
    import copy, json
    import nbformat
    from nbclient import NotebookClient
    from execnb.nbio import read_nb, write_nb
    from nbdev.clean import clean_nb
    flags = skip_flags(run_flags)
    nb = read_nb(path)
    run = nbformat.read(path, as_version=4)
    skip = [skip_cell(c, flags) for c in nb.cells]
    for c, s in zip(run.cells, skip):
        if c.cell_type == 'code' and s: c.source = ''       # not run, as under nbdev_test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]),
               MPLBACKEND='module://matplotlib_inline.backend_inline')
    client = NotebookClient(run, timeout=timeout, kernel_name='python3', store_widget_state=True,
                            resources={'metadata': {'path': str(path.parent)}})
    client.execute(env=env)   # kwargs reach the kernel manager's start_kernel
    for c, r, s in zip(nb.cells, run.cells, skip):
        if c.cell_type == 'code': c['outputs'] = [] if s else json.loads(json.dumps(r.get('outputs', [])))
    w = run.metadata.get('widgets', {}).get(WIDGET_STATE)
    if w: nb.metadata['widgets'] = {WIDGET_STATE: json.loads(json.dumps(w))}
    else: nb.metadata.pop('widgets', None)
    clean_nb(nb)
    write_nb(nb, path)


def check_widget_state(path: Path) -> int:
    "Number of widget models saved in `path`'s metadata; raises `ValueError` unless the state has the standard shape."
    import json
    md = json.loads(Path(path).read_text()).get('metadata', {})
    if 'widgets' not in md: return 0
    w = md['widgets'].get(WIDGET_STATE)
    if not isinstance(w, dict) or not isinstance(w.get('state'), dict) or w.get('version_major') != 2:
        raise ValueError(f"{path}: metadata.widgets is not {{{WIDGET_STATE!r}: {{'state': ..., 'version_major': 2, ...}}}}")
    for k, m in w['state'].items():
        if not {'model_name', 'model_module', 'state'} <= set(m): raise ValueError(f"{path}: widget {k} lacks model_name/model_module/state")
    return len(w['state'])


if __name__ == '__main__':
    args = sys.argv[1:]
    widgets = '--widgets' in args
    run_flags = []
    if '--flags' in args:
        i = args.index('--flags'); run_flags = args[i + 1].replace(',', ' ').split(); del args[i:i + 2]
    os.environ.setdefault('AKT_VPC_QUIET', '1'); os.environ['IN_TEST'] = '1'
    if not widgets: os.environ.setdefault('MPLBACKEND', 'Agg')
    for p in (a for a in args if a != '--widgets'):
        t = time.time()
        if widgets:
            run_notebook_kernel(Path(p).resolve(), run_flags=run_flags)
            print(f'{p}: {time.time() - t:.0f} s, {check_widget_state(Path(p))} widget models saved')
        else:
            run_notebook(Path(p).resolve(), run_flags); print(f'{p}: {time.time() - t:.0f} s')
