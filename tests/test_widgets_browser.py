"""The three explorers of `21_widgets`, live in a real browser.

JupyterLab is started on localhost (a free port, a random token, a temporary root holding a copy of
`nbs/shared/21_widgets.ipynb` without outputs and with the cells `nbdev_test` skips emptied, so the notebook in the
repository is never touched). Headless Chromium, driven by Playwright with the system browser (`executable_path`;
no browser download), opens it and runs every cell from the Run menu. Then one control of each explorer is moved
(AnomalyExplorer's frame slider, GradNormExplorer's smoothing slider, by the keyboard; AttentionExplorer's layer
menu) and the explorer's figure on screen must change: screenshots before and after go to `.screenshots/widgets/`
(git-ignored) and their pixels are compared. No error text may appear in any output of the page.

Run with `make widgets-browser-test` (also part of `make docs-test`). Skipped without `AKT_VPC_BROWSER=1` or
`AKT_VPC_DOCS=1`; with them, it fails, saying what to install, when Chromium (`apt-get install -y chromium`),
Playwright (`pip install playwright`) or JupyterLab is missing (the make targets check that first, with
`tools/browser_check.py`).
"""
import os, secrets, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
sys.path.insert(0, str(Path(__file__).parent))
import run_nbs  # noqa: E402  (which cells nbdev_test skips)
from test_docs import chromium, ERROR_RE  # noqa: E402

NB = ROOT/'nbs'/'shared'/'21_widgets.ipynb'
SHOTS = ROOT/'.screenshots'/'widgets'
# each explorer is told apart by its controls' labels; the control moved, and how
EXPLORERS = {'AttentionExplorer': ({'image', 'layer', 'bits'}, 'layer', 'select'),
             'GradNormExplorer': ({'layer', 'bits', 'smooth'}, 'smooth', 'slider'),
             'AnomalyExplorer': ({'video', 'frame', 'threshold'}, 'frame', 'slider')}
MIN_CHANGED = 0.002   # fraction of the figure's pixels that must change when a control moves
pytestmark = pytest.mark.skipif(not (os.environ.get('AKT_VPC_BROWSER') or os.environ.get('AKT_VPC_DOCS')),
                                reason='live widgets in Chromium: set AKT_VPC_BROWSER=1 (make widgets-browser-test)')


def runnable_copy(dest:Path) -> int:
    "Write a copy of 21_widgets to `dest` with no outputs or widget state and the cells nbdev_test skips emptied; its number of cells to run."
    import nbformat
    nb = nbformat.read(NB, as_version=4)
    flags = run_nbs.skip_flags()
    for c in nb.cells:
        if c.cell_type != 'code': continue
        if run_nbs.skip_cell(c, flags): c.source = ''
        c.outputs, c.execution_count = [], None
    nb.metadata.pop('widgets', None)
    nbformat.write(nb, dest/NB.name)
    return sum(c.cell_type == 'code' and bool(c.source.strip()) for c in nb.cells)


def lab_settings(settings_dir:Path):
    "JupyterLab user settings: render every cell (no windowing, so every prompt and output is in the page)."
    f = settings_dir/'@jupyterlab'/'notebook-extension'/'tracker.jupyterlab-settings'
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text('{"windowingMode": "none"}')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_http(url:str, proc, timeout:float=120):
    "Poll `url` until it answers 200; fail with the server's log if it dies or takes too long."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: pytest.fail(f'JupyterLab exited with {proc.returncode}')
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200: return
        except OSError: time.sleep(1)
    pytest.fail(f'JupyterLab did not answer at {url} within {timeout} s')


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    "A JupyterLab server on localhost serving the runnable copy: (url of the notebook, token)."
    try: import jupyterlab  # noqa: F401
    except ImportError: pytest.fail('JupyterLab is not installed: pip install jupyterlab')
    root = tmp_path_factory.mktemp('lab')
    n_cells = runnable_copy(root)
    lab_settings(root/'.settings')
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')]),
               AKT_VPC_QUIET='1', MPLBACKEND='module://matplotlib_inline.backend_inline',
               JUPYTERLAB_SETTINGS_DIR=str(root/'.settings'), JUPYTERLAB_WORKSPACES_DIR=str(root/'.workspaces'))
    log = open(root/'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
                             f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}', '--allow-root',
                             '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate'],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f'http://127.0.0.1:{port}/api/status?token={token}', proc)
        yield f'http://127.0.0.1:{port}/lab/tree/{NB.name}?token={token}', n_cells
    finally:
        proc.terminate()
        try: proc.wait(30)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()


def changed_fraction(a:bytes, b:bytes) -> float:
    "The fraction of pixels that differ (by more than 16 grey levels in a channel) between two PNG screenshots."
    import io
    from PIL import Image
    x, y = (np.asarray(Image.open(io.BytesIO(s)).convert('RGB')).astype(int) for s in (a, b))
    if x.shape != y.shape: return 1.0
    return float((np.abs(x - y).max(-1) > 16).mean())


def run_all_cells(page, n_cells:int, timeout:float=900):
    "Run > Run All Cells, then wait until `n_cells` cells have run and none is running or queued."
    prompts = lambda: page.locator('.jp-CodeCell .jp-InputPrompt').all_inner_texts()
    for attempt in range(3):      # the menu can miss a click while the page is still settling: retry until cells start
        page.locator('.lm-MenuBar-itemLabel', has_text='Run').first.click()
        page.locator('.lm-Menu-itemLabel', has_text='Run All Cells').first.click()
        t0 = time.time()
        while time.time() - t0 < 20 and not any('*' in p or any(ch.isdigit() for ch in p) for p in prompts()): time.sleep(0.5)
        if any('*' in p or any(ch.isdigit() for ch in p) for p in prompts()): break
        page.keyboard.press('Escape')
    t0, quiet_since = time.time(), None
    while time.time() - t0 < timeout:
        now = prompts()
        done = sum(any(ch.isdigit() for ch in p) for p in now)
        if any('*' in p for p in now) or done < n_cells: quiet_since = None
        elif quiet_since is None: quiet_since = time.time()
        elif time.time() - quiet_since > 3: return now
        time.sleep(1)
    pytest.fail(f'the cells did not finish within {timeout} s ({done} of {n_cells} run; prompts {now})')


def move(page, vbox, label:str, kind:str):
    "Move the control labelled `label` of an explorer: a slider by ten steps of the keyboard, a menu to its next option."
    ctrl = vbox.locator('.widget-hbox > .widget-inline-hbox', has=page.locator('.widget-label', has_text=label)).first
    if kind == 'slider':
        handle = ctrl.locator('.noUi-handle').first
        handle.focus()
        for _ in range(10): page.keyboard.press('ArrowRight')
    else:
        sel = ctrl.locator('select').first
        opts = sel.locator('option').all_inner_texts()
        now = sel.evaluate('s => s.selectedIndex')
        sel.select_option(index=(now + 1) % len(opts))


def test_explorers_live_in_chromium(lab):
    "Every explorer redraws its figure on screen when one of its controls moves, with no error output in the page."
    browser = chromium()
    if browser is None: pytest.fail('no Chromium found: apt-get install -y chromium (or set $CHROMIUM)')
    try: from playwright.sync_api import sync_playwright
    except ImportError: pytest.fail('Playwright is not installed: pip install playwright (it drives the system Chromium)')
    SHOTS.mkdir(parents=True, exist_ok=True)
    page_errors = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, headless=True,
                              args=['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                                    '--disable-component-update', '--disable-sync'])
        try:
            page = b.new_page(viewport={'width': 1500, 'height': 1100})
            page.on('pageerror', lambda e: page_errors.append(str(e)))
            url, n_cells = lab
            page.goto(url, timeout=120_000)
            page.wait_for_selector('.jp-Notebook .jp-CodeCell', timeout=120_000)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=120_000)
            time.sleep(3)
            run_all_cells(page, n_cells)
            boxes = page.locator('.widget-vbox:has(> .widget-hbox):has(> .widget-output)')
            found = {}
            for i in range(boxes.count()):
                labels = set(boxes.nth(i).locator('.widget-hbox .widget-label').all_inner_texts())
                name = next((n for n, (want, _, _) in EXPLORERS.items() if want <= labels), None)
                if name: found.setdefault(name, boxes.nth(i))
            assert set(found) == set(EXPLORERS), f'explorers on the page: {sorted(found)}, expected {sorted(EXPLORERS)}'
            changes = {}
            for name, vbox in found.items():
                _, label, kind = EXPLORERS[name]
                vbox.scroll_into_view_if_needed()
                fig = vbox.locator('> .widget-output').first
                fig.locator('img').first.wait_for(timeout=60_000)
                before = fig.screenshot(path=str(SHOTS/f'{name}_before.png'))
                move(page, vbox, label, kind)
                t0, frac = time.time(), 0.0
                while time.time() - t0 < 60 and frac < MIN_CHANGED:
                    time.sleep(1)
                    after = fig.screenshot(path=str(SHOTS/f'{name}_after.png'))
                    frac = changed_fraction(before, after)
                changes[name] = frac
            page.screenshot(path=str(SHOTS/'page.png'), full_page=True)
            texts = page.locator('.jp-OutputArea-output').all_inner_texts()
        finally: b.close()
    assert all(f >= MIN_CHANGED for f in changes.values()), f'fraction of figure pixels changed after moving a control: {changes} (screenshots in {SHOTS})'
    bad = [t[:300] for t in texts if ERROR_RE.search(t) or 'Error displaying widget' in t]
    assert not bad, f'error output in the page: {bad}'
    assert not page_errors, f'JavaScript errors in the page: {page_errors[:5]}'
