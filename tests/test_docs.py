"""Open every offline docs page in headless Chromium: one page per notebook, its figures there and decoded, no error output.

The pages come from `tools/build_docs.py` (nbdev pre-processing, then nbconvert HTML into `_docs_offline/`); a build
is reused when it is newer than every notebook and library module, else made again. Each page is loaded in headless Chromium (Debian's
`chromium`; without it the test fails, saying what to install, as `make docs-test` does first with
`tools/browser_check.py`): the DOM as the browser sees it after loading tells
how many embedded figures there are and how many decoded, and a screenshot of the page goes to `.screenshots/<page>.png` (git-ignored; 1280x4000, the top of the page). Install Chromium with `apt-get install -y chromium`, or
point `$CHROMIUM` at a Chrome/Chromium binary.
"""
import json, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# The offline docs build re-runs every import cell of every notebook (~10 min on 2 cores): a longer check, run with
# `make docs-test` (AKT_VPC_DOCS=1), not in the default test run; the saved-figures checks need no build and always run.
docs_build = pytest.mark.skipif(not os.environ.get('AKT_VPC_DOCS'), reason='docs build + browser test: set AKT_VPC_DOCS=1 (make docs-test)')
sys.path.insert(0, str(ROOT/'tools'))
import build_docs  # noqa: E402
import browser_check  # noqa: E402
from browser_check import chromium  # noqa: E402,F401  (test_widgets_browser imports it from here)

SHOTS = ROOT/'.screenshots'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--virtual-time-budget=8000']
ERROR_RE = re.compile(r'Traceback \(most recent call last\)|^\w*(Error|Exception): ', re.M)
# written into a copy of each page: on load, count the embedded figures and the decoded ones
PROBE = """<script>window.addEventListener('load', () => {
  const im = [...document.images], figs = im.filter(i => i.src.startsWith('data:image'));
  document.body.setAttribute('data-img-total', figs.length);   // embedded figures (badges from the web cannot load offline)
  document.body.setAttribute('data-img-ok', figs.filter(i => i.complete && i.naturalWidth > 0).length);
});</script>"""


NOTEBOOKS = build_docs.doc_notebooks()
REL = [p.relative_to(ROOT/'nbs') for p in NOTEBOOKS]
BY_NAME = {r.name: r for r in REL}   # notebooks by file name, wherever under nbs/ they sit (sidebar sections are folders)


@pytest.fixture(scope='module')
def site():
    """The offline pages, {relative .html path: Path}, and the pre-processing errors: from the last build when it is
    newer than every source, else built now. A lock makes pytest-xdist workers build once and share the result."""
    import fcntl
    with open(Path(tempfile.gettempdir())/f'akt_vpc_docs_{os.getuid()}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # released when the file closes
        built = build_docs.last_build() or build_docs.build(n_workers=2)
    pages, errors = built
    return {p.relative_to(build_docs.OUT): p for p in pages}, errors


@docs_build
def test_one_page_per_notebook(site):
    "Every notebook in nbs/ has its page (nbdev's pre-processing ran it), and there is no page without a notebook."
    pages, errors = site
    assert not errors, 'no page for: ' + '; '.join(f'{k}: {v.strip()[:400]}' for k, v in errors.items())
    assert set(pages) == {r.with_suffix('.html') for r in REL}, f'pages {sorted(map(str, pages))} != notebooks {sorted(map(str, REL))}'


# The notebooks that draw figures a reader should see, and how many (at least) their committed outputs hold: saved
# with `python tools/run_nbs.py nbs/<nb>.ipynb` (`--widgets` for 21_widgets, `--flags slow` for a tutorial's slow
# cells). Their pages must show at least as many decoded <img> figures.
FIGURES = {
    '01a_quant.ipynb': 1, '04_distill.ipynb': 1, '06_train.ipynb': 1, '12_features.ipynb': 1, '15_metrics.ipynb': 1,
    '16a_ascnet.ipynb': 1, '16_ascnet_encoder.ipynb': 1, '10a_official_archives.ipynb': 1,
    '05_synth.ipynb': 2, '07_gradnorms.ipynb': 1, '10c_street_scene.ipynb': 1, '11_objects.ipynb': 1, '12a_motion.ipynb': 2,
    '13_memory.ipynb': 1, '14_vpc.ipynb': 1, '14a_validation.ipynb': 1, '16b_ascnet_train.ipynb': 1,
    '20a_zsq_plots.ipynb': 3, '20b_vad_plots.ipynb': 1, '21_widgets.ipynb': 3, 'index.ipynb': 2,
    'zsq_akt_cifar.ipynb': 2, 'vpc_benchmark.ipynb': 2, '01d_learned_quant.ipynb': 1, '05c_reconstruct.ipynb': 1, '05d_reconstruct_run.ipynb': 2,
    '10b_datasets.ipynb': 1, '13c_scoring.ipynb': 1, '11a_yolox.ipynb': 1, '13e_attribute_vad.ipynb': 1,
}


def test_figure_list_names_notebooks():
    "Every notebook of FIGURES exists (a renamed notebook must be renamed here too), and notebook names are unique."
    assert len(BY_NAME) == len(REL), f'two notebooks share a file name: {sorted(str(r) for r in REL)}'
    assert not set(FIGURES) - set(BY_NAME), f'FIGURES names no notebook: {sorted(set(FIGURES) - set(BY_NAME))}'


@pytest.mark.parametrize('name', sorted(FIGURES), ids=str)
def test_saved_figures(name):
    "The notebooks that draw figures are committed with them (and 21_widgets with the widgets' saved state)."
    if name not in BY_NAME: pytest.skip(f'{name}: no such notebook (see test_figure_list_names_notebooks)')
    rel = BY_NAME[name]
    figs, errors = nb_outputs(ROOT/'nbs'/rel)
    flags = ' --widgets' if name == '21_widgets.ipynb' else ''
    assert figs >= FIGURES[name], f'{rel}: expected at least {FIGURES[name]} saved figures, found {figs} (run python tools/run_nbs.py{flags} nbs/{rel})'
    assert not errors, f'{rel}: error output saved in the notebook: {errors}'
    if name == '21_widgets.ipynb':
        w = json.loads((ROOT/'nbs'/rel).read_text())['metadata'].get('widgets', {}).get('application/vnd.jupyter.widget-state+json')
        assert w and w['version_major'] == 2 and w['state'], 'no widget state in the standard shape in the metadata'


def nb_outputs(nb_path:Path):
    "The (figures, error texts) of a pre-processed notebook's outputs."
    nb = json.loads(nb_path.read_text())
    figs, errors = 0, []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            if o['output_type'] == 'error': errors.append(f"{o.get('ename')}: {o.get('evalue')}")
            figs += sum(k.startswith('image/') for k in o.get('data', {}))
            text = ''.join(o.get('text', '')) + ''.join(o.get('data', {}).get('text/plain', ''))
            if ERROR_RE.search(text): errors.append(text[:300])
    return figs, errors


def load(browser:str, page:Path, shot:Path) -> str:
    "Load a probed copy of `page` in headless Chromium: save a screenshot to `shot`, return the DOM after loading."
    with tempfile.TemporaryDirectory() as tmp:
        probed = page.parent/f'.probe_{page.name}'      # beside the page, so relative links still resolve
        html = page.read_text(encoding='utf-8')
        probed.write_text(html.replace('</body>', PROBE + '</body>') if '</body>' in html else html + PROBE, encoding='utf-8')
        try:
            args = [browser, *FLAGS, f'--user-data-dir={tmp}', '--window-size=1280,1600']
            dom = subprocess.run(args + ['--dump-dom', probed.as_uri()], capture_output=True, text=True, timeout=120).stdout
            shot.parent.mkdir(parents=True, exist_ok=True)
            # a tall window: the top of the page with its first figures (scrolling in headless mode paints a blank shot)
            subprocess.run(args[:-1] + ['--window-size=1280,4000', f'--screenshot={shot}', probed.as_uri()], capture_output=True, timeout=120)
        finally: probed.unlink(missing_ok=True)
    return dom


@docs_build
@pytest.mark.parametrize('rel', REL, ids=[str(r) for r in REL])
def test_page(site, rel):
    "The page loads in Chromium, shows every figure of its notebook (decoded), and has no error output."
    browser = chromium()
    if browser is None: pytest.fail('no Chromium found: apt-get install -y chromium (or set $CHROMIUM)')
    pages, errors = site
    if rel.with_suffix('.html') not in pages: pytest.fail(f'{rel}: no page (pre-processing failed: {errors.get(str(rel), "?").strip()[:400]})')
    page = pages[rel.with_suffix('.html')]
    figs, errors = nb_outputs(ROOT/'_proc'/rel)
    assert not errors, f'{rel}: error output in the notebook: {errors}'
    shot = SHOTS/rel.with_suffix('.png')
    dom = load(browser, page, shot)
    body = re.search(r'<body[^>]*>', dom)
    attr = lambda k: re.search(rf'\b{k}="(\d+)"', body.group(0)) if body else None
    assert attr('data-img-total') and attr('data-img-ok'), f'{rel}: the page did not finish loading in Chromium (no probe result)'
    total, ok = int(attr('data-img-total').group(1)), int(attr('data-img-ok').group(1))
    n_fig_tags = len(re.findall(r'<img[^>]+src="data:image/', dom))
    want = max(figs, FIGURES.get(rel.name, 0))
    assert n_fig_tags >= want, f'{rel}: the notebook has {want} figures, the page shows {n_fig_tags}'
    assert ok == total, f'{rel}: {total - ok} of {total} figures did not decode'
    out_text = ' '.join(re.findall(r'class="[^"]*jp-OutputArea-output[^"]*"[^>]*>\s*<pre>(.*?)</pre>', dom, flags=re.S))
    assert not ERROR_RE.search(re.sub(r'<[^>]+>', '', out_text)), f'{rel}: error text in an output of the page'
    assert shot.exists() and shot.stat().st_size > 5000, f'{rel}: no screenshot at {shot}'
    from PIL import Image
    grey = np.asarray(Image.open(shot).convert('L'))
    assert (grey < 200).mean() > 0.001, f'{rel}: the screenshot {shot} is blank'


# The VAD half runs without the quantization half: its plotting module imports none of these.
ZSQ_HALF = ('distill', 'data', 'quant', 'zsq', 'zsq_config', 'synth', 'models', 'gradnorms', 'zsq_plots')


def test_browser_check_says_what_to_install(tmp_path):
    "Without Chromium, `tools/browser_check.py` (run first by `make docs-test`) fails, naming what to install."
    env = {k: v for k, v in os.environ.items() if k != 'CHROMIUM'}
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'browser_check.py')], capture_output=True, text=True,
                       env={**env, 'PATH': str(tmp_path)})          # an empty PATH: no Chromium on it
    assert r.returncode == 1 and 'apt-get install -y chromium' in r.stderr, (r.returncode, r.stderr)
    fake = tmp_path/'chromium'; fake.write_text('#!/bin/sh\n'); fake.chmod(0o755)
    r = subprocess.run([sys.executable, '-c', 'import sys; sys.path.insert(0, sys.argv[1]); import browser_check; '
                        'print(browser_check.chromium())', str(ROOT/'tools')], capture_output=True, text=True,
                       env={**env, 'PATH': str(tmp_path)})
    assert r.stdout.strip() == str(fake), r.stdout     # found on the PATH


def test_vad_plots_import_no_zsq_half():
    "`akt_vpc.vad.plots` (and what it imports) loads no module of the quantization half."
    code = "import sys, akt_vpc.vad.plots; print(' '.join(m for m in sys.modules if m.startswith('akt_vpc.')))"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(out.stdout.split())
    assert 'akt_vpc.vad.plots' in loaded
    bad = sorted(loaded & {f'akt_vpc.{m}' for m in ZSQ_HALF})
    assert not bad, f'akt_vpc.vad.plots imports modules of the quantization half: {bad}'


# A reader has neither our spec files nor the project's history: notebook text cites papers, not these.
SPEC_RE = re.compile(r'\b(VAD|ZSQ|COLAB|LAYOUT|NBDEV)\.md\b|\bspec(?:ification)? section', re.I)


def spec_citations(nb_path:Path) -> list[str]:
    "'cell N: text' for every line of a notebook's cells that cites one of our spec files."
    cells = json.loads(nb_path.read_text())['cells']
    return [f'cell {i}: {line.strip()[:160]}' for i, c in enumerate(cells)
            for line in ''.join(c['source']).splitlines() if SPEC_RE.search(line)]


def test_no_spec_citations():
    "No notebook cites our spec files (VAD.md, ZSQ.md, COLAB.md, LAYOUT.md, NBDEV.md, 'spec section'); lists every place."
    found = {str(r): spec_citations(ROOT/'nbs'/r) for r in REL}
    found = {k: v for k, v in found.items() if v}
    assert not found, f'{sum(map(len, found.values()))} citations of spec files:\n' + '\n'.join(
        f'  {k} {place}' for k, v in sorted(found.items()) for place in v)


def test_spec_citation_check_finds_them(tmp_path):
    "The check above finds a citation in any cell, and passes clean text."
    nb = {'cells': [{'cell_type': 'markdown', 'source': ['The AKT paper (arXiv:2412.19125).\n']},
                    {'cell_type': 'code', 'source': ['x = 1  # see ZSQ.md section 3\n', 'y = 2']},
                    {'cell_type': 'markdown', 'source': ['As spec section 7 says']}]}
    (tmp_path/'a.ipynb').write_text(json.dumps(nb))
    test_eq = lambda a, b: (a == b) or pytest.fail(f'{a} != {b}')
    test_eq(spec_citations(tmp_path/'a.ipynb'), ['cell 1: x = 1  # see ZSQ.md section 3', 'cell 2: As spec section 7 says'])


def test_sidebar_sections():
    "The sidebar (nbs/sidebar.yml, custom_sidebar) lists every notebook once, in its part's section."
    text = (ROOT/'nbs'/'sidebar.yml').read_text()
    listed = re.findall(r'^\s*- ([\w/]+\.ipynb)\s*$', text, flags=re.M)
    have = sorted(str(p.relative_to(ROOT/'nbs')) for p in (ROOT/'nbs').rglob('*.ipynb')
                  if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
    assert sorted(listed) == have, f'sidebar.yml and nbs/ differ: {sorted(set(listed) ^ set(have))}'
    assert len(re.findall(r'^\s*- section: ', text, flags=re.M)) >= 3, 'the sidebar has no sections'
