"""VideoPatchCore on real UCSD Ped2, fully offline: fit on the 16 training videos, score the 12 test videos, one thread.

The fixed score uses the package defaults, chosen without test labels (bench/vpc_validation.py, bench/vpc_cross_video.py);
the test labels are used only to compute the AUCs. Speed is measured beside the code of the `main` branch in the same run:
each design runs in its own child process (one thread), one after the other (default: on a machine where other jobs take
cores, two children at once would compete with each other too) or, with --parallel, at the same time. Each child reports
its fit and score wall time, its CPU time (less sensitive to other jobs on the machine) and its peak memory; the JSON gives
the ratios and the load average before, between and after the children. `main`'s package is read with `git archive main akt_vpc`.
Writes bench/out/vpc_ped2.json (and the fused/per-memory scores as .npz). The new run's features are stored under
/tmp/akt_vpc_cache for bench/vpc_cross_video.py, after its time and peak memory are read.
Run: python bench/vpc_ped2.py [--parallel]
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHILD = r'''
import json, sys, time, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
from akt_vpc.vad.datasets import load_ped2
from akt_vpc.core import peak_memory_mb
from akt_vpc.vad.vpc import VideoPatchCore
ds = load_ped2(); vpc = VideoPatchCore()
feats = lambda vs: [vpc.features(v) for v in vs]
t0, c0 = time.time(), time.process_time(); ftr = feats(ds.train); vpc.fit_features(ftr); t_fit, c_fit = time.time() - t0, time.process_time() - c0
t0, c0 = time.time(), time.process_time(); fte = feats(ds.test); out = vpc.score(fte); t_score, c_score = time.time() - t0, time.process_time() - c0
peak = peak_memory_mb()
np.savez(sys.argv[1], fused=np.concatenate(out.fused), lengths=[len(s) for s in out.fused],
         **{'z_' + b: np.concatenate(out.z[b]) for b in out.z})
if sys.argv[2] == 'cache':  # after the measurement: the features, stored for bench/vpc_cross_video.py (its import of sklearn is not measured)
    from pathlib import Path
    from akt_vpc.vad.validation import feature_key
    cache = Path('/tmp/akt_vpc_cache'); cache.mkdir(exist_ok=True)
    for v, f in zip(ds.train + ds.test, ftr + fte): torch.save(dict(name=f.name, n_frames=f.n_frames, clips=f.clips), cache/f'{feature_key(vpc, v)}.pt')
import akt_vpc
print(json.dumps(dict(package=akt_vpc.__file__, fit_seconds=t_fit, score_seconds=t_score, fit_cpu_seconds=c_fit, score_cpu_seconds=c_score,
                      peak_memory_mb=peak, config=vpc.config(),
                      train_frames=sum(map(len, ds.train)), test_frames=sum(map(len, ds.test)))))
'''

def child(package_root:str, out:Path, cache:bool=False):
    "Start one design in its own process (one thread) importing `akt_vpc` from `package_root`; returns the process."
    env = {**os.environ, 'PYTHONPATH': package_root, 'OMP_NUM_THREADS': '1'}
    # run from `package_root`: `python -c` puts the working folder first on sys.path
    return subprocess.Popen([sys.executable, '-c', CHILD, str(out), 'cache' if cache else '-'], env=env, stdout=subprocess.PIPE, text=True, cwd=package_root)

def load() -> list:
    "The 1, 5 and 15 minute load averages of the machine."
    return [round(x, 2) for x in os.getloadavg()]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--parallel', action='store_true', help='run the two designs at the same time (default: one after the other)')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from akt_vpc.core import shared_file, missing_reason
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    from akt_vpc.vad.datasets import load_ped2
    from akt_vpc.vad.metrics import evaluate_scores, micro_auc
    ds = load_ped2(); labels = [v.labels for v in ds.test]; names = [v.name for v in ds.test]
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(f'git -C {ROOT} archive main akt_vpc | tar -x -C {tmp}', shell=True, check=True)
    t0 = time.time(); loads = dict(start=load())
    roots = {'new': str(ROOT), 'main': str(tmp)}
    if args.parallel:  # side by side, same load
        procs = {k: child(r, tmp/f'{k}.npz', k == 'new') for k, r in roots.items()}
        runs = {k: json.loads(p.communicate()[0].strip().splitlines()[-1]) for k, p in procs.items()}
    else:  # one after the other
        runs = {}
        for k, r in roots.items():
            runs[k] = json.loads(child(r, tmp/f'{k}.npz', k == 'new').communicate()[0].strip().splitlines()[-1]); loads[f'after_{k}'] = load()
    loads['end'] = load()
    assert runs['main']['package'].startswith(str(tmp)) and runs['new']['package'].startswith(str(ROOT)), {k: r['package'] for k, r in runs.items()}
    res = {}
    for k, r in runs.items():
        d = np.load(tmp/f'{k}.npz'); split = lambda a: np.split(a, np.cumsum(d['lengths'])[:-1])
        fixed = evaluate_scores(split(d['fused']), labels)
        res[k] = dict(fixed_micro_auc=fixed['micro'], fixed_macro_auc=fixed['macro'], per_video_auc=dict(zip(names, fixed['per_video'])),
                      per_bank_micro_auc={f[2:]: micro_auc(split(d[f]), labels) for f in d.files if f.startswith('z_')},
                      fit_fps=r['train_frames'] / r['fit_seconds'], score_fps=r['test_frames'] / r['score_seconds'],
                      fit_fps_cpu=r['train_frames'] / r['fit_cpu_seconds'], score_fps_cpu=r['test_frames'] / r['score_cpu_seconds'], **r)
    n, m = res['new'], res['main']
    out = dict(benchmark='VideoPatchCore on UCSD Ped2 (16 train / 12 test videos, 2550 / 2010 frames, 1648 anomalous), one thread, '
                         'package defaults (new) beside the main branch (main) in the same run, '
                         + ('at the same time' if args.parallel else 'one after the other (new first)'),
               fixed_micro_auc=n['fixed_micro_auc'], fixed_macro_auc=n['fixed_macro_auc'], macro_rule='prepend',
               main_fixed_micro_auc=m['fixed_micro_auc'], main_fixed_macro_auc=m['fixed_macro_auc'],
               fit_fps=n['fit_fps'], score_fps=n['score_fps'], fit_fps_cpu=n['fit_fps_cpu'], score_fps_cpu=n['score_fps_cpu'],
               peak_memory_mb=n['peak_memory_mb'], main_fit_fps=m['fit_fps'], main_score_fps=m['score_fps'], main_peak_memory_mb=m['peak_memory_mb'],
               speed_ratio_new_over_main=dict(fit=n['fit_fps'] / m['fit_fps'], score=n['score_fps'] / m['score_fps']),
               cpu_speed_ratio_new_over_main=dict(fit=n['fit_fps_cpu'] / m['fit_fps_cpu'], score=n['score_fps_cpu'] / m['score_fps_cpu']),
               targets=dict(score_fps=25, fit_fps=30, peak_memory_mb=1200), runs=res, wall_seconds=time.time() - t0,
               load_average=loads, parallel=args.parallel,
               machine_note=f'{os.cpu_count()} CPU cores shared with other jobs; load_average: 1/5/15-minute load averages at the start, '
                            'after each child and at the end. The frames/s from CPU time (process_time) are less sensitive to other jobs than '
                            'those from wall time; the ratios new/main are the comparable figures')
    js = json.dumps(out, indent=1, default=float); print(js)
    od = ROOT/'bench'/'out'; od.mkdir(exist_ok=True); (od/'vpc_ped2.json').write_text(js)
    return 0

if __name__ == '__main__': sys.exit(main())
