"""Build the docs as far as this machine can without Quarto: nbdev's pre-processing, then one HTML page per notebook.

1. `nbdev.serve.proc_nbs()` writes the pre-processed notebooks to `_proc/` (it runs `show_doc` and every cell with an
   import, drops hidden cells and directives: a broken docstring or import fails here, as it would under Quarto).
2. nbconvert renders every `_proc/**/*.ipynb` to `_docs_offline/<same path>.html` (git-ignored), outputs included:
   figures become `<img src="data:image/png...">`, saved widget state is embedded for the widget manager; the front
   matter becomes the page's title and summary, as on the Quarto site.

The real site is built by Quarto in CI (`.github/workflows/deploy.yaml`); `tests/test_docs.py` opens these pages in
headless Chromium. Usage: `python tools/build_docs.py [--force] [--workers N]`.
"""
import argparse, os, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'_docs_offline'


def doc_notebooks(nbs=ROOT/'nbs') -> list:
    "The notebooks that become pages: nbs/**/*.ipynb except those under a folder or name starting with '_' or '.'."
    return sorted(p for p in Path(nbs).rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts))


def _proc_one(task):
    "nbdev's pre-processing of one file (in a fresh process); returns None, or the error as text."
    import traceback
    os.environ.setdefault('AKT_VPC_QUIET', '1'); os.environ.setdefault('MPLBACKEND', 'Agg')
    sys.path.insert(0, str(ROOT)); os.chdir(task[0].parent)
    try:
        import nbdev.serve_drv
        nbdev.serve_drv.main(task)
    except BaseException as e:
        Path(task[1]).unlink(missing_ok=True)
        return ''.join(traceback.format_exception_only(type(e), e))[-2000:]


def preprocess(force:bool=False, n_workers:int=1) -> tuple[Path, dict]:
    """nbdev's docs pre-processing (what `proc_nbs` does: same files, same cache rule) into `_proc/`, one file at a
    time so that one broken notebook does not stop the others; returns `_proc` and {notebook: error} for failures."""
    import shutil
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp
    from nbdev.config import get_config
    from nbdev.serve import _proc_file
    from nbdev.doclinks import nbglob
    os.chdir(ROOT)   # nbdev finds settings.ini from the working directory
    cfg = get_config()
    cache, path = cfg.config_path/'_proc', Path(cfg.nbs_path)
    if force: shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    files = list(nbglob(path, func=Path, file_glob='', file_re=''))
    files += [path/f for f in ('_quarto.yml', '_brand.yml') if (path/f).exists()]
    tasks = [t for t in (_proc_file(f, cache=cache, path=path) for f in files) if t]
    errors = {}
    with ProcessPoolExecutor(max(1, n_workers), mp_context=mp.get_context('spawn')) as ex:
        for t, err in zip(tasks, ex.map(_proc_one, tasks)):
            if err: errors[str(t[0].relative_to(path))] = err; print(f'FAILED {t[0].name}: {err.strip().splitlines()[0]}', flush=True)
    return cache, errors


def title_cell(nb):
    "Replace the pre-processed notebook's front matter (a raw YAML cell, which Quarto turns into the page title) by a title and summary, as Quarto shows them."
    import yaml, nbformat
    if not nb.cells or nb.cells[0].cell_type != 'raw' or not nb.cells[0].source.startswith('---'): return nb
    fm = yaml.safe_load(nb.cells[0].source.strip().strip('-')) or {}
    md = f"# {fm.get('title', '')}" + (f"\n\n> {' '.join(str(fm['description']).split())}" if fm.get('description') else '')
    nb.cells[0] = nbformat.v4.new_markdown_cell(md)
    return nb


def quarto_shims(nb):
    """What Quarto does and nbconvert does not, done to the notebook before rendering: the inputs of `#| echo: false`
    cells (the `show_doc` calls) are hidden, the `#|` cell options are not shown, and Pandoc link attributes
    (`[source](...){target=...}`) are dropped."""
    import re
    for c in nb.cells:
        if c.cell_type != 'code': continue
        if re.search(r'^#\|\s*echo:\s*false', c.source, re.M): c.metadata.setdefault('tags', []).append('remove_input')
        c.source = re.sub(r'\A(#\|[^\n]*\n)+', '', c.source)
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: o['data']['text/markdown'] = re.sub(r'\]\(([^)\s]+)\)\{[^}]*\}', r'](\1)', md)
    return nb


def render(proc:Path=ROOT/'_proc', out:Path=OUT) -> list:
    "nbconvert HTML (lab template) of every pre-processed notebook; returns the pages written."
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    exporter = HTMLExporter(template_name='lab', config=Config(TagRemovePreprocessor=dict(enabled=True, remove_input_tags={'remove_input'})))
    pages = []
    for nb_path in doc_notebooks(proc):
        rel = nb_path.relative_to(proc).with_suffix('.html')
        nb = nbformat.read(nb_path, as_version=4)
        title_cell(nb); quarto_shims(nb)
        body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': nb_path.stem}})
        dst = out/rel; dst.parent.mkdir(parents=True, exist_ok=True); dst.write_text(body, encoding='utf-8')
        pages.append(dst)
    return pages


STAMP = OUT/'build.json'   # written last by `build`: the pages and the pre-processing errors of that build


def build(force:bool=False, n_workers:int=1) -> tuple[list, dict]:
    "Pre-process and render: the HTML pages (one per notebook that pre-processed) and {notebook: error} for the rest."
    import json
    proc, errors = preprocess(force, n_workers)
    missing = [str(p.relative_to(ROOT/'nbs')) for p in doc_notebooks() if not (proc/p.relative_to(ROOT/'nbs')).exists()]
    for m in missing: errors.setdefault(m, 'no pre-processed notebook')
    shutil.rmtree(OUT, ignore_errors=True)
    pages = render(proc, OUT)
    STAMP.write_text(json.dumps({'pages': [str(p.relative_to(OUT)) for p in pages], 'errors': errors}, indent=1))
    return pages, errors


def sources_mtime() -> float:
    "The newest modification time of what the pages are made from: the notebooks, `_quarto.yml` and the library."
    files = [*doc_notebooks(), *(ROOT/'akt_vpc').rglob('*.py'), ROOT/'_quarto.yml']
    return max(p.stat().st_mtime for p in files if p.exists())


def last_build() -> tuple[list, dict]|None:
    "The pages and errors of the last build when it is newer than every source (see `sources_mtime`), else None."
    import json
    if not STAMP.exists() or STAMP.stat().st_mtime <= sources_mtime(): return None
    d = json.loads(STAMP.read_text())
    return [OUT/p for p in d['pages']], d['errors']


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--force', action='store_true', help='ignore nbdev\'s cache and pre-process every notebook')
    ap.add_argument('--workers', type=int, default=1, help='pre-processing workers')
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent)); import build_docs   # workers pickle functions by module name
    t = time.time(); pages, errors = build_docs.build(a.force, a.workers)
    print(f'{len(pages)} pages in {OUT.relative_to(ROOT)}/ ({time.time() - t:.0f} s)')
    for nb, err in errors.items(): print(f'NO PAGE for {nb}: {err.strip()}')
    sys.exit(1 if errors else 0)
