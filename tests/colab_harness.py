"""The Colab rehearsal: run every cell of the tutorials here, on the CPU, with the network served from local files.

`python tests/colab_harness.py [notebook ...]` (what `make colab-test` runs) executes each tutorial cell by cell,
the `#| gpu`, `#| slow` and `eval: false` (install) cells included, and logs each cell as it starts
(`[zsq_akt_cifar] cell 7/14 gpu: test = cifar_dataset(...)`). The conditions are Colab's as far as a CPU allows:
- `google.colab` is importable (an empty module), so the tutorials take their Colab branches;
- the shared data is hidden (`$AKT_VPC_DATA` points nowhere): everything comes through the download code;
- the network entry points (`urllib.request.urlopen`, which torchvision uses, and `torch.hub`'s `urlopen`, which
  `akt_vpc.core.download` and `torch.hub` use) serve a fixed URL -> local file map and refuse every other URL;
  the served files are in the real formats: torchvision's CIFAR archives (CIFAR-10 built from the shared JPEG test
  set), CIFAR ResNet state dicts under the release file names, and what `tests/colab_vad_fixtures.py` adds
  (Ped2 archive, a TorchScript CLIP stand-in, a YOLOv5-shaped torch.hub folder) when it is there;
- the stand-ins' checksums differ from the real files': torchvision's md5 table and `akt_vpc.models.PRETRAINED`
  are pointed at them for the run (the checks themselves still run);
- `%pip install` (the install cell) is not run: the package URL is rewritten to this checkout and
  `pip install --dry-run --report` resolves it against the installed packages; the cell fails if the install
  would (re)install torch or torchvision;
- `AKT_VPC_REHEARSAL=1`: the tutorials' config cells pick tiny budgets (their "quick run") and the CPU.
It exits non-zero (and the pytest case fails) if any cell raises.
"""
from __future__ import annotations
import contextlib, email.message, hashlib, importlib.util, io, json, os, re, shlex, subprocess, sys, tarfile, tempfile, time, types
import urllib.error, urllib.request
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

def log_line(s:str):
    "Write one line of the rehearsal's log (to the real stdout: the cells' own output is captured)."
    print(s, file=sys.__stdout__, flush=True)
TUTORIALS = [ROOT/'nbs'/'tutorials'/'zsq_akt_cifar.ipynb', ROOT/'nbs'/'tutorials'/'vpc_benchmark.ipynb']
PKG_URL = re.compile(r'git\+https://github\.com/akt-vpc/akt_vpc(?:\.git)?(?:@[\w.\-/]+)?')
NEVER_REINSTALL = {'torch', 'torchvision'}


# ---------------------------------------------------------------- the network layer
class _Response(io.BytesIO):
    "What `urlopen` returns for a served URL: the bytes, `.url`, `.length`, `.status` and headers."
    def __init__(self, url:str, data:bytes):
        super().__init__(data)
        self.url, self.length, self.status, self.code = url, len(data), 200, 200
        self.headers = email.message.Message(); self.headers['Content-Length'] = str(len(data))
    def info(self): return self.headers
    def getcode(self): return self.status
    def geturl(self): return self.url


@contextlib.contextmanager
def served(urls:dict, log=log_line):
    "Serve each URL of `urls` from its local file through the real network entry points; refuse any other URL."
    real = urllib.request.urlopen
    def fake_urlopen(req, *args, **kwargs):
        url = req.full_url if isinstance(req, urllib.request.Request) else str(req)
        if url.startswith('file:'): return real(req, *args, **kwargs)
        if url not in urls:
            log(f'    network: {url} refused (no fixture)')
            raise urllib.error.URLError(f'no network in the rehearsal and no fixture for {url}')
        log(f'    network: {url} served from {Path(urls[url]).name}')
        return _Response(url, Path(urls[url]).read_bytes())
    targets = [(urllib.request, 'urlopen'), (torch.hub, 'urlopen')]
    saved = [getattr(m, n) for m, n in targets]
    for m, n in targets: setattr(m, n, fake_urlopen)
    try: yield
    finally:
        for (m, n), s in zip(targets, saved): setattr(m, n, s)


# ---------------------------------------------------------------- fixtures in the real formats
def _md5(b:bytes) -> str: return hashlib.md5(b).hexdigest()

def cifar_fixtures(tmp:Path, n_test:int=200, n_train:int=50) -> dict:
    "torchvision's CIFAR-10 archive built from the shared JPEG test set (random images without it) and a small CIFAR-100 one."
    import torchvision
    from akt_vpc.core import shared_file
    from akt_vpc.zsq.data import CIFAR10_JPEG, save_cifar_archive
    rng = np.random.default_rng(0)
    src = shared_file(CIFAR10_JPEG)
    if src is not None:
        with np.load(src) as z: images, labels = z['images'], z['labels']
        idx = np.linspace(0, len(images) - 1, n_test).round().astype(int)   # the set is class-major: every class
        test10 = images[idx], labels[idx]
    else:
        print(f'note: {CIFAR10_JPEG} is not here: the CIFAR-10 fixture holds random images')
        test10 = rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n_test)
    train10 = test10[0][:n_train], test10[1][:n_train]   # the fixture has no training set; ZSQ never reads it
    test100 = rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8), rng.integers(0, 100, n_test)
    arcs = {'cifar10': save_cifar_archive(tmp/'cifar10', 'cifar10', test10, train10),
            'cifar100': save_cifar_archive(tmp/'cifar100', 'cifar100', test100, (test100[0][:n_train], test100[1][:n_train]))}
    classes = {'cifar10': torchvision.datasets.CIFAR10, 'cifar100': torchvision.datasets.CIFAR100}
    urls = {classes[k].url: p for k, p in arcs.items()}

    def accept(_urls=None):
        "Point torchvision's md5 table at the fixture archives; returns the function that restores it."
        saved = {c: (c.tgz_md5, c.train_list, c.test_list, c.meta) for c in classes.values()}
        for k, cls in classes.items():
            with tarfile.open(arcs[k]) as tar: md5 = {Path(m.name).name: _md5(tar.extractfile(m).read()) for m in tar.getmembers()}
            cls.tgz_md5 = _md5(arcs[k].read_bytes())
            cls.train_list = [[f, md5[f]] for f, _ in cls.train_list]; cls.test_list = [[f, md5[f]] for f, _ in cls.test_list]
            cls.meta = {**cls.meta, 'md5': md5[cls.meta['filename']]}
        def restore():
            for c, (a, b, t, m) in saved.items(): c.tgz_md5, c.train_list, c.test_list, c.meta = a, b, t, m
        return restore
    return {'urls': urls, 'hub_dir': None, 'env': {}, 'accept': accept}


def _settled(model:torch.nn.Module) -> torch.nn.Module:
    "A random network whose BatchNorm statistics are those of its own activations on noise (finite, trained-like scales)."
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns: m.momentum = None            # cumulative average over the passes
    with torch.no_grad():
        model.train()
        for _ in range(2): model(torch.randn(32, 3, 32, 32))
    for m in bns: m.momentum = 0.1
    return model.eval()

def weight_fixtures(tmp:Path) -> dict:
    "A state dict for every public CIFAR ResNet release file (the shared ResNet-20s where they are, else random weights)."
    from akt_vpc import models
    from akt_vpc.core import shared_file, file_sha256
    urls, digests = {}, {}
    for name, (url, _, rel, _) in models.PRETRAINED.items():
        f = tmp/'release'/url.rsplit('/', 1)[-1]; f.parent.mkdir(parents=True, exist_ok=True)
        local = shared_file(rel) if rel else None
        if local is not None: f.write_bytes(local.read_bytes())
        else:
            arch, ds = name.split('_'); torch.manual_seed(0)
            torch.save(_settled(models.cifar_resnet(models.CIFAR_ARCHS[arch], 10 if ds == 'cifar10' else 100)).state_dict(), f)
        urls[url], digests[name] = f, file_sha256(f)

    def accept(_urls=None):
        "Point `PRETRAINED`'s sha256 prefixes at the stand-ins; returns the function that restores them."
        saved = dict(models.PRETRAINED)
        for name, (url, _, rel, full) in saved.items(): models.PRETRAINED[name] = (url, digests[name], rel, full)
        def restore(): models.PRETRAINED.clear(); models.PRETRAINED.update(saved)
        return restore
    return {'urls': urls, 'hub_dir': None, 'env': {}, 'accept': accept}


def all_fixtures(tmp:Path) -> list[dict]:
    "Our fixtures, and the video tutorial's (`tests/colab_vad_fixtures.py`) when that module is there."
    out = [cifar_fixtures(tmp/'cifar'), weight_fixtures(tmp/'weights')]
    vad = Path(__file__).with_name('colab_vad_fixtures.py')
    if vad.exists():
        spec = importlib.util.spec_from_file_location('colab_vad_fixtures', vad)
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        (tmp/'vad').mkdir(parents=True, exist_ok=True)
        out.append(mod.vad_fixtures(tmp/'vad'))
    return out


@contextlib.contextmanager
def colab_conditions(tmp:Path, log=log_line):
    "Colab as far as this machine allows: fixtures served, `google.colab` importable, shared data hidden, quick budgets."
    fixtures = all_fixtures(tmp)
    urls = {u: Path(p) for f in fixtures for u, p in f['urls'].items()}
    env = {'AKT_VPC_CACHE': str(tmp/'cache'), 'TORCH_HOME': str(tmp/'torch')}
    for f in fixtures: env.update(f.get('env') or {})
    env.update(AKT_VPC_DATA=str(tmp/'no-shared-data'), AKT_VPC_REHEARSAL='1', AKT_VPC_QUIET='1', MPLBACKEND='Agg')
    hub = [f['hub_dir'] for f in fixtures if f.get('hub_dir')]
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    restores = [f['accept'](urls) for f in fixtures if f.get('accept')]
    saved_hub = torch.hub.get_dir()
    if hub: torch.hub.set_dir(str(hub[0]))
    colab = 'google.colab' not in sys.modules
    if colab: sys.modules['google.colab'] = types.ModuleType('google.colab')
    log(f'  {len(urls)} URLs served from local fixtures; torch.hub dir {torch.hub.get_dir()}; cache {os.environ["AKT_VPC_CACHE"]}')
    try:
        with served(urls, log): yield
    finally:
        if colab: sys.modules.pop('google.colab', None)
        torch.hub.set_dir(saved_hub)
        for r in reversed(restores): r()
        for k, v in saved_env.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v


# ---------------------------------------------------------------- the install cell
def pip_dry_run(line:str, log=log_line) -> list[str]:
    "What `%pip install <line>` would install here, by `pip install --dry-run --report`; the package URL points at this checkout."
    args = [a for a in shlex.split(line) if a not in ('-q', '--quiet', '-U', '--upgrade')]
    if not args or args[0] != 'install': raise ValueError(f'install cell: expected `%pip install ...`, got `%pip {line}`')
    args = [PKG_URL.sub(ROOT.as_uri(), a) for a in args[1:]]
    if not any(ROOT.as_uri() in a for a in args): raise ValueError(f'install cell: the package URL was not found in `{line}`')
    with tempfile.TemporaryDirectory() as d:
        report = Path(d)/'report.json'
        cmd = [sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet', '--no-build-isolation', '--report', str(report), *args]
        log('    pip (dry run): ' + ' '.join(shlex.quote(a) for a in cmd[3:]))
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=d)
        if r.returncode != 0: raise RuntimeError(f'install cell: pip could not resolve it: {r.stderr.strip()[-800:]}')
        items = json.loads(report.read_text())['install']
    names = [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in items]
    log(f'    would install: {", ".join(names) or "nothing"}')
    bad = [n for n in names if n.split('==')[0].lower() in NEVER_REINSTALL]
    if bad: raise RuntimeError(f'install cell: it would (re)install {bad}: Colab\'s own torch/torchvision must be kept')
    return names


# ---------------------------------------------------------------- running a notebook
def _flags(src:str) -> list[str]:
    "The nbdev directives of a cell that would skip it under test (`eval: false`, `#| gpu`, `#| slow`, ...)."
    out = []
    for l in src.splitlines():
        if not l.startswith('#|'): break
        d = l[2:].strip()
        if d.replace(' ', '') == 'eval:false': out.append('eval: false')
        elif d in ('gpu', 'slow', 'notest'): out.append(d)
    return out

def run_notebook(path:Path, log=log_line) -> int:
    "Execute every code cell of `path` in one IPython shell, logging each; raises on the first cell that fails."
    from execnb.shell import CaptureShell
    cells = [c for c in json.loads(Path(path).read_text())['cells'] if c['cell_type'] == 'code']
    shell = CaptureShell(path=Path(path).parent)
    shell.register_magic_function(lambda line: pip_dry_run(line, log) and None, 'line', 'pip')
    cwd = os.getcwd(); os.chdir(Path(path).parent)
    try:
        for i, c in enumerate(cells, 1):
            src = ''.join(c['source'])
            first = next((l for l in src.splitlines() if l.strip() and not l.startswith('#|')), '')
            flags = _flags(src)
            log(f"[{Path(path).stem}] cell {i}/{len(cells)}{' (' + ', '.join(flags) + ')' if flags else ''}: {first[:100]}")
            t0 = time.time()
            outs = shell.run(src)
            if shell.exc is not None:
                tb = next((''.join(o.get('traceback', [])) for o in outs if o.get('output_type') == 'error'), '')
                raise RuntimeError(f'{Path(path).name} cell {i} failed: {type(shell.exc).__name__}: {shell.exc}\n{_plain(tb)[-3000:]}')
            text = ''.join(''.join(o.get('text', '')) for o in outs if o.get('output_type') == 'stream').strip()
            log(f'    ok ({time.time() - t0:.1f} s)' + (f'; prints: {text.splitlines()[-1][:140]}' if text else ''))
    finally: os.chdir(cwd)
    return len(cells)

def _plain(s:str) -> str: return re.sub(r'\x1b\[[0-9;]*m', '', s)

def rehearse(notebooks=TUTORIALS, log=log_line) -> dict:
    "Run `notebooks` under Colab's conditions (see the module docstring); returns {notebook: cells run}."
    done = {}
    with tempfile.TemporaryDirectory() as d, colab_conditions(Path(d), log):
        for nb in notebooks:
            t0 = time.time()
            done[Path(nb).name] = run_notebook(Path(nb), log)
            log(f'[{Path(nb).stem}] all {done[Path(nb).name]} cells ran ({time.time() - t0:.0f} s)')
    return done


if __name__ == '__main__':
    nbs = [Path(a).resolve() for a in sys.argv[1:]] or TUTORIALS
    sys.path.insert(0, str(ROOT))
    try: res = rehearse(nbs)
    except Exception as e:
        print(f'COLAB REHEARSAL FAILED: {e}', flush=True); sys.exit(1)
    print(f'COLAB REHEARSAL PASSED: {res}')
