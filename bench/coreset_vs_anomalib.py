"""Greedy k-center coreset: `akt_vpc.vad.memory.greedy_coreset` vs anomalib 2.7.0 `KCenterGreedy`, side by side.

Same vectors, same sampling ratio, one thread. For each method: wall time of the selection and the
coverage radius max_x min_m ||x - m|| of the selected subset on the ORIGINAL vectors (computed by our
`coverage_radius` for every method), plus a random subset of the same size as a baseline.

Datasets (all unlabelled vectors; no anomaly labels are used anywhere):
  - `clustered`: 20,000 x 128 synthetic vectors, 64 Gaussian clusters of very different sizes/spreads;
  - `digits`: the 1,797 x 64 pixel vectors of sklearn's digits;
  - `ped2_patches`: 20,000 16x16 grey patches (256 values) of UCSD Ped2 frames (training frames if present,
    else test frames; frames downscaled to 180x120), Gaussian-projected to 128 dims (skipped without the data).

anomalib is NOT a dependency of akt_vpc. Create a separate venv for it (it reuses the system torch):

    python -m venv /tmp/anomalib-venv --system-site-packages
    /tmp/anomalib-venv/bin/pip install anomalib==2.7.0

and run this script with that interpreter from the project root (akt_vpc must be importable, e.g. an
editable install in the system site-packages):

    /tmp/anomalib-venv/bin/python bench/coreset_vs_anomalib.py [--ratio 0.1] [--repeats 2] [--timing-repeats 3]

Without anomalib the script still runs our methods and records anomalib as missing (it never substitutes
a re-implementation silently). Output: JSON on stdout and in bench/out/coreset_vs_anomalib.json.
"""
import argparse, json, os, platform, sys, time
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)
try:
    import cv2; cv2.setNumThreads(1)
except ImportError: cv2 = None

from akt_vpc.vad.memory import greedy_coreset, coverage_radius, random_projection
from akt_vpc.core import shared_file


def clustered(n=20000, d=128, k=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, d, generator=g) * 3
    w = torch.rand(k, generator=g) ** 4 + 1e-3
    lab = torch.multinomial(w / w.sum(), n, replacement=True, generator=g)
    basis = torch.randn(k, 16, d, generator=g) / 4 # each cluster spread mostly along a 16-dim subspace
    z = torch.randn(n, 16, generator=g)
    return centres[lab] + torch.einsum('nk,nkd->nd', z, basis[lab]) + 0.05 * torch.randn(n, d, generator=g)


def digits():
    from sklearn.datasets import load_digits
    return torch.tensor(load_digits().data, dtype=torch.float32)


def ped2_patches(n=20000, size=16, stride=8, dim=128, seed=0):
    root = shared_file('ped2/training/frames') or shared_file('ped2/testing/frames')
    if root is None or cv2 is None: return None, 'no Ped2 frames or no cv2'
    files = sorted(Path(root).glob('*/*.jpg'))[::5] # every 5th frame
    pats = []
    for f in files:
        im = cv2.resize(cv2.imread(str(f), cv2.IMREAD_GRAYSCALE), (180, 120), interpolation=cv2.INTER_AREA)
        w = np.lib.stride_tricks.sliding_window_view(im, (size, size))[::stride, ::stride]
        pats.append(w.reshape(-1, size * size))
    x = torch.tensor(np.concatenate(pats), dtype=torch.float32) / 255
    g = torch.Generator().manual_seed(seed)
    x = x[torch.randperm(len(x), generator=g)[:n]]
    return random_projection(x, dim, seed=seed), f'{len(files)} frames of {root}'


def timed(fn, times):
    "Result of `fn()` and the wall-clock seconds of each of `times` calls (the machine is shared: report the min)."
    secs = []
    for _ in range(times):
        t = time.perf_counter(); out = fn(); secs.append(time.perf_counter() - t)
    return out, secs


def run(x, ratio, repeats, anomalib_cls, timing_repeats):
    n = max(1, int(ratio * len(x)))
    rows = []
    def add(method, fn, seed, **extra):
        idx, secs = timed(fn, timing_repeats)
        idx = torch.as_tensor(idx, dtype=torch.long)
        rows.append(dict(method=method, seed=seed, n_selected=int(len(idx)), n_unique=int(len(idx.unique())),
                         seconds_min=round(min(secs), 3), seconds_median=round(float(np.median(secs)), 3),
                         radius=round(coverage_radius(x, idx), 4), **extra))
    for s in range(repeats):
        add('akt_vpc exact (start=0)' if s == 0 else 'akt_vpc exact (random start)',
            lambda: greedy_coreset(x, n=n, start=0 if s == 0 else None, seed=s), s)
        add('akt_vpc project_dim=32 (random start)', lambda: greedy_coreset(x, n=n, project_dim=32, start=None, seed=s), s)
        if anomalib_cls is not None:
            holder = {}
            def sel(): # the same seed for every timing repeat, so each repeat selects the same subset
                torch.manual_seed(s); np.random.seed(s)
                holder['s'] = anomalib_cls(embedding=x, sampling_ratio=ratio)
                return holder['s'].select_coreset_idxs()
            add('anomalib 2.7.0 KCenterGreedy (sparse projection, random start)', sel, s)
            feats = getattr(holder['s'], 'features', None)
            rows[-1]['projected_dim'] = None if feats is None else int(feats.shape[1])
        g = torch.Generator().manual_seed(s)
        add('random subset', lambda: torch.randperm(len(x), generator=g)[:n], s)
    return dict(n_vectors=len(x), dim=x.shape[1], ratio=ratio, n_selected=n, rows=rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ratio', type=float, default=0.1)
    ap.add_argument('--repeats', type=int, default=2, help='seeds per method (seed 0 uses start=0 for our exact run)')
    ap.add_argument('--timing-repeats', type=int, default=3, help='timed runs of each selection; min and median reported')
    ap.add_argument('--datasets', default='clustered,digits,ped2_patches')
    args = ap.parse_args()
    try:
        import anomalib
        from anomalib.models.components.sampling import KCenterGreedy
        anomalib_info = dict(version=anomalib.__version__, kind='anomalib from PyPI (real package, not a re-implementation)')
    except ImportError as e:
        KCenterGreedy, anomalib_info = None, dict(version=None, kind=f'missing ({e}); see the docstring for the venv')
    res = dict(benchmark='coreset_vs_anomalib', threads=torch.get_num_threads(), timing_repeats=args.timing_repeats,
               note='seconds: wall clock of the selection only (anomalib: constructor + select_coreset_idxs, i.e. its projection, '
                    'loop and progress bar); radius: max distance of any vector to its nearest selected vector, on the original vectors', torch=torch.__version__,
               python=platform.python_version(), machine=platform.machine(), cpu_count=os.cpu_count(),
               anomalib=anomalib_info, datasets={})
    makers = dict(clustered=lambda: (clustered(), '20000 x 128, 64 clusters'), digits=lambda: (digits(), 'sklearn digits pixels'),
                  ped2_patches=ped2_patches)
    for name in args.datasets.split(','):
        x, desc = makers[name]()
        if x is None: res['datasets'][name] = dict(skipped=desc); continue
        r = run(x, args.ratio, args.repeats, KCenterGreedy, args.timing_repeats)
        r['description'] = desc
        res['datasets'][name] = r
        print(f'# {name}: done', file=sys.stderr)
    out = Path(__file__).resolve().parent / 'out' / 'coreset_vs_anomalib.json'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == '__main__':
    main()
