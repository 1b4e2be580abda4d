"""VideoPatchCore on real UCSD Ped2, fully offline: fit on the 16 training videos, score the 12 test videos, one thread.

The fixed score uses the package defaults, chosen without test labels (bench/vpc_validation.py, bench/vpc_cross_video.py);
the test labels are used only to compute the AUCs. Speed is measured beside the code of the `main` branch in the same run:
both designs run at the same time in two child processes (one thread each, same machine load), each reporting its own fit
and score time and peak memory; the JSON gives the ratios. `main`'s package is read with `git archive main akt_vpc`.
Writes bench/out/vpc_ped2.json (and the fused/per-memory scores as .npz). The new run's features are cached under
/tmp/akt_vpc_cache for bench/vpc_cross_video.py.
Run: python bench/vpc_ped2.py
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHILD = r'''
import json, sys, time, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
from akt_vpc.video import load_ped2
from akt_vpc.core import peak_memory_mb
from akt_vpc.vpc import VideoPatchCore
ds = load_ped2(); vpc = VideoPatchCore()
new = hasattr(vpc, 'extractor')
if new:
    from pathlib import Path
    from akt_vpc.validation import cached_features, feature_key
    cache = Path('/tmp/akt_vpc_cache')
    for v in ds.train + ds.test: (cache/f'{feature_key(vpc, v)}.pt').unlink(missing_ok=True)  # computed (and timed) here, then stored
    feats = lambda vs: cached_features(vpc, vs, cache)
else: feats = lambda vs: [vpc.features(v) for v in vs]
t0 = time.time(); vpc.fit_features(feats(ds.train)); t_fit = time.time() - t0
t0 = time.time(); out = vpc.score(feats(ds.test)); t_score = time.time() - t0
np.savez(sys.argv[1], fused=np.concatenate(out['fused']), lengths=[len(s) for s in out['fused']],
         **{'z_' + b: np.concatenate(out['z'][b]) for b in out['z']})
import akt_vpc
print(json.dumps(dict(package=akt_vpc.__file__, fit_seconds=t_fit, score_seconds=t_score, peak_memory_mb=peak_memory_mb(), config=vpc.config(),
                      train_frames=sum(map(len, ds.train)), test_frames=sum(map(len, ds.test)))))
'''

def child(package_root:str, out:Path):
    "Start one design in its own process (one thread) importing `akt_vpc` from `package_root`; returns the process."
    env = {**os.environ, 'PYTHONPATH': package_root, 'OMP_NUM_THREADS': '1'}
    # run from `package_root`: `python -c` puts the working folder first on sys.path
    return subprocess.Popen([sys.executable, '-c', CHILD, str(out)], env=env, stdout=subprocess.PIPE, text=True, cwd=package_root)

def main():
    sys.path.insert(0, str(ROOT))
    from akt_vpc.core import shared_file, missing_reason
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    from akt_vpc.video import load_ped2
    from akt_vpc.metrics import evaluate_scores, micro_auc
    ds = load_ped2(); labels = [v.labels for v in ds.test]; names = [v.name for v in ds.test]
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(f'git -C {ROOT} archive main akt_vpc | tar -x -C {tmp}', shell=True, check=True)
    t0 = time.time()
    procs = {'new': child(str(ROOT), tmp/'new.npz'), 'main': child(str(tmp), tmp/'main.npz')}  # side by side, same load
    runs = {k: json.loads(p.communicate()[0].strip().splitlines()[-1]) for k, p in procs.items()}
    assert runs['main']['package'].startswith(str(tmp)) and runs['new']['package'].startswith(str(ROOT)), {k: r['package'] for k, r in runs.items()}
    res = {}
    for k, r in runs.items():
        d = np.load(tmp/f'{k}.npz'); split = lambda a: np.split(a, np.cumsum(d['lengths'])[:-1])
        fixed = evaluate_scores(split(d['fused']), labels)
        res[k] = dict(fixed_micro_auc=fixed['micro'], fixed_macro_auc=fixed['macro'], per_video_auc=dict(zip(names, fixed['per_video'])),
                      per_bank_micro_auc={f[2:]: micro_auc(split(d[f]), labels) for f in d.files if f.startswith('z_')},
                      fit_fps=r['train_frames'] / r['fit_seconds'], score_fps=r['test_frames'] / r['score_seconds'], **r)
    n, m = res['new'], res['main']
    out = dict(benchmark='VideoPatchCore on UCSD Ped2 (16 train / 12 test videos, 2550 / 2010 frames, 1648 anomalous), one thread, '
                         'package defaults (new) beside the main branch (main) in the same run',
               fixed_micro_auc=n['fixed_micro_auc'], fixed_macro_auc=n['fixed_macro_auc'], macro_rule='prepend',
               main_fixed_micro_auc=m['fixed_micro_auc'], main_fixed_macro_auc=m['fixed_macro_auc'],
               fit_fps=n['fit_fps'], score_fps=n['score_fps'], peak_memory_mb=n['peak_memory_mb'],
               speed_ratio_new_over_main=dict(fit=n['fit_fps'] / m['fit_fps'], score=n['score_fps'] / m['score_fps']),
               targets=dict(score_fps=25, fit_fps=30, peak_memory_mb=1200), runs=res, wall_seconds=time.time() - t0,
               machine_note=f'{os.cpu_count()} CPU cores shared with other jobs; load average at the end {os.getloadavg()[0]:.1f} '
                            '(both designs ran at the same time, so their ratio is the comparable figure)')
    js = json.dumps(out, indent=1, default=float); print(js)
    od = ROOT/'bench'/'out'; od.mkdir(exist_ok=True); (od/'vpc_ped2.json').write_text(js)
    return 0

if __name__ == '__main__': sys.exit(main())
