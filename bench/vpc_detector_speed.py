"""Speed of VideoPatchCore on Ped2 with each detector, one CPU thread: fit and score frames/s, and the detector's share.

For each (detector, memories) pair: fit on the 16 training videos, score the 12 test videos, time spent inside the
detector's `detect` calls (one per clip: the middle frame) and, for the motion detector, in its per-video background.
Each time is measured twice: wall clock, and this process's CPU time (`time.process_time`); with every library at one
thread, the CPU time is what an unshared core would take, while the wall clock also counts waiting for a shared one.
Run: python bench/vpc_detector_speed.py [--quick]  (writes bench/results/vpc_detector_speed.json; --quick: 4 + 3 videos,
bench/out/vpc_detector_speed_quick.json)."""
import argparse, json, platform, time
from pathlib import Path
import cv2, numpy as np, torch
from akt_vpc.core import peak_memory_mb
from akt_vpc.vad.datasets import load_ped2
from akt_vpc.vad.objects import make_detector
from akt_vpc.vad.vpc import VideoPatchCore, DEFAULT_BANKS, MOTION_BANKS

THREADS = 1
torch.set_num_threads(THREADS); cv2.setNumThreads(THREADS)
RUNS = [('yolox', MOTION_BANKS), ('motion', MOTION_BANKS), ('yolox', DEFAULT_BANKS), ('motion', DEFAULT_BANKS)]

def timed_detector(name:str) -> tuple:
    "The detector, with its `detect` and `background` calls timed into the returned dict."
    det, spent = make_detector(name), {'detect': 0., 'background': 0., 'detect_cpu': 0., 'background_cpu': 0., 'calls': 0}
    for meth in ('detect', 'background'):
        if not hasattr(det, meth): continue
        def wrap(*a, _f=getattr(det, meth), _m=meth, **k):
            t, c = time.perf_counter(), time.process_time(); out = _f(*a, **k)
            spent[_m] += time.perf_counter() - t; spent[_m + '_cpu'] += time.process_time() - c
            spent['calls'] += _m == 'detect'; return out
        object.__setattr__(det, meth, wrap)
    return det, spent

def run(detector:str, banks, ds) -> dict:
    det, spent = timed_detector(detector)
    m = VideoPatchCore(banks=banks, detector=det, device='cpu')
    m.encoder  # built before timing (weights read once)
    n_tr, n_te = sum(map(len, ds.train)), sum(map(len, ds.test))
    t, c = time.perf_counter(), time.process_time(); m.fit(ds.train); t_fit, c_fit = time.perf_counter() - t, time.process_time() - c
    fit_det = dict(spent); spent.update({k: 0 for k in spent})
    t, c = time.perf_counter(), time.process_time(); m.score(ds.test); t_score, c_score = time.perf_counter() - t, time.process_time() - c
    r = lambda x: round(x, 2)
    return dict(detector=detector, banks=list(banks), fit_fps_wall=r(n_tr / t_fit), score_fps_wall=r(n_te / t_score),
                fit_fps_cpu=r(n_tr / c_fit), score_fps_cpu=r(n_te / c_score), fit_cpu_seconds=r(c_fit), score_cpu_seconds=r(c_score),
                fit_detector_cpu_seconds=r(fit_det['detect_cpu']), fit_background_cpu_seconds=r(fit_det['background_cpu']),
                score_detector_cpu_seconds=r(spent['detect_cpu']), score_background_cpu_seconds=r(spent['background_cpu']),
                detect_calls_score=spent['calls'], detector_ms_per_call_cpu=r(1e3 * spent['detect_cpu'] / max(spent['calls'], 1)),
                detector_ms_per_call_wall=r(1e3 * spent['detect'] / max(spent['calls'], 1)))

def main(quick:bool=False):
    ds = load_ped2()
    if quick: ds.train, ds.test = ds.train[:4], ds.test[:3]
    res = dict(threads=THREADS, cpu=platform.processor() or platform.machine(), train_frames=sum(map(len, ds.train)),
               test_frames=sum(map(len, ds.test)), runs=[])
    for det, banks in RUNS:
        res['runs'].append(run(det, banks, ds)); print(json.dumps(res['runs'][-1]), flush=True)
    res['peak_memory_mb'] = round(peak_memory_mb())
    out = Path(__file__).parent/('out/vpc_detector_speed_quick.json' if quick else 'results/vpc_detector_speed.json')
    out.parent.mkdir(exist_ok=True); out.write_text(json.dumps(res, indent=1) + '\n')

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--quick', action='store_true'); main(p.parse_args().quick)
