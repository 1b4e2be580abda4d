"""Execute notebooks in place and keep their outputs, so the docs, GitHub and the README show the figures.

Runs each notebook the way `nbdev_test` does (execnb's CaptureShell, project root on sys.path), skipping
`#| eval: false` cells and cells flagged with `tst_flags` (slow, gpu, notest), then writes the notebook back with
its outputs and cleans it with nbdev_clean's rules.

Usage: python tools/run_nbs.py nbs/03_data.ipynb [more.ipynb ...]
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


def run_notebook(path: Path):
    "Execute `path` in-process and write it back with its outputs, cleaned."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.clean import clean_nb
    flags = get_config().tst_flags.split()
    nb = read_nb(path)
    cwd = os.getcwd(); os.chdir(path.parent)
    sys.path.insert(0, str(ROOT))
    try: CaptureShell(path).run_all(nb, exc_stop=True, preproc=lambda c: skip_cell(c, flags))
    finally: os.chdir(cwd)
    clean_nb(nb)
    write_nb(nb, path)


if __name__ == '__main__':
    os.environ.setdefault('AKT_VPC_QUIET', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    os.environ['IN_TEST'] = '1'
    for p in sys.argv[1:]:
        t = time.time(); run_notebook(Path(p).resolve()); print(f'{p}: {time.time() - t:.0f} s')
