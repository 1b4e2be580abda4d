"""Video anomaly detection on real UCSD Ped2, fully offline: fit on the 16 training videos, score the 12 test videos, one thread.

Designs, each in its own child process (torch and OpenCV at one thread, onnxruntime intra-op 1), one after the other:
  attributes   the attribute detector's defaults (akt_vpc.vad.attribute_vad.AttributeVAD(): YOLOX-Nano objects on every frame,
               velocity and kind memories, chosen by bench/vpc_attr_validation_v6.py on training videos only)
  attributes_velocity_class  reported only: velocity and class (the choice of protocol version 5)
  attributes_velocity  reported only: the velocity memory alone (the choice of protocol version 4)
  vpc          today's design: VideoPatchCore's defaults (motion detector, motion + flow grid + spatial + appearance memories)
  attributes_all4  reported only (validation did not choose it): the attribute detector with all four memories (velocity,
               geometry, class, the detector's own PAN maps as appearance), for each memory's AUC on the test set
  vpc3_yolox   VideoPatchCore's own three memories (spatial, temporal, high level; CIFAR ResNet-20 encoder) on YOLOX's boxes
All parameters are chosen without test labels; the test labels only compute the AUCs. Each child reports its fit and score
wall time (features included: decoding, detector, flow, encoder), its CPU time (less sensitive to other jobs on the machine)
and its peak memory. Writes bench/out/vpc_ped2.json and the frame scores as bench/out/vpc_ped2_<design>.npz.
Run: python bench/vpc_ped2.py [--designs attributes,vpc,vpc3_yolox]
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHILD = r'''
import json, sys, time, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
from akt_vpc.vad.datasets import load_ped2
from akt_vpc.core import peak_memory_mb
design = sys.argv[2]
ds = load_ped2()
if design.startswith('attributes'):
    from akt_vpc.vad.attribute_vad import AttributeVAD
    model = dict(attributes=AttributeVAD, attributes_velocity=lambda: AttributeVAD(('velocity',)),
                 attributes_velocity_class=lambda: AttributeVAD(('velocity', 'class')),
                 attributes_all4=lambda: AttributeVAD(('velocity', 'geometry', 'class', 'appearance')))[design]()
else:
    from akt_vpc.vad.vpc import VideoPatchCore, VPC_BANKS
    if design == 'vpc': model = VideoPatchCore()
    else:
        from akt_vpc.vad.yolox import YoloxDetector
        model = VideoPatchCore(banks=VPC_BANKS, detector=YoloxDetector(threads=1))
feats = lambda vs: [model.features(v) for v in vs]
t0, c0 = time.time(), time.process_time(); model.fit_features(feats(ds.train)); t_fit, c_fit = time.time() - t0, time.process_time() - c0
t0, c0 = time.time(), time.process_time(); out = model.score(feats(ds.test)); t_score, c_score = time.time() - t0, time.process_time() - c0
peak = peak_memory_mb()
fused, per = out.fused, out.per_memory  # VideoScores (per-memory z) or AttributeScores
np.savez(sys.argv[1], fused=np.concatenate(fused), lengths=[len(s) for s in fused], **{'m_' + b: np.concatenate(per[b]) for b in per})
import akt_vpc
print(json.dumps(dict(package=akt_vpc.__file__, fit_seconds=t_fit, score_seconds=t_score, fit_cpu_seconds=c_fit, score_cpu_seconds=c_score,
                      peak_memory_mb=peak, config=model.config(), train_frames=sum(map(len, ds.train)), test_frames=sum(map(len, ds.test)))))
'''
DESIGNS = ('attributes', 'vpc', 'attributes_velocity_class', 'attributes_velocity', 'attributes_all4', 'vpc3_yolox')

def child(design:str, out:Path):
    "Run one design in its own process (one thread) importing `akt_vpc` from this checkout; returns the process."
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    return subprocess.Popen([sys.executable, '-c', CHILD, str(out), design], env=env, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))

def load() -> list:
    "The 1, 5 and 15 minute load averages of the machine."
    return [round(x, 2) for x in os.getloadavg()]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--designs', default=','.join(DESIGNS), help=f'comma-separated, of {DESIGNS}')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from akt_vpc.core import shared_file, missing_reason
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    from akt_vpc.vad.datasets import load_ped2
    from akt_vpc.vad.metrics import evaluate_scores, micro_auc
    ds = load_ped2(); labels = [v.labels for v in ds.test]; names = [v.name for v in ds.test]
    od = ROOT/'bench'/'out'; od.mkdir(exist_ok=True)
    t0 = time.time(); loads = dict(start=load()); runs = {}
    for d in args.designs.split(','):
        p = child(d, od/f'vpc_ped2_{d}.npz'); txt = p.communicate()[0]
        if p.returncode: raise RuntimeError(f'design {d} failed (exit {p.returncode})')
        runs[d] = json.loads(txt.strip().splitlines()[-1]); loads[f'after_{d}'] = load()
    res = {}
    for k, r in runs.items():
        assert r['package'].startswith(str(ROOT)), r['package']
        z = np.load(od/f'vpc_ped2_{k}.npz'); split = lambda a: np.split(a, np.cumsum(z['lengths'])[:-1])
        fixed = evaluate_scores(split(z['fused']), labels)
        res[k] = dict(fixed_micro_auc=fixed['micro'], fixed_macro_auc=fixed['macro'], per_video_auc=dict(zip(names, fixed['per_video'])),
                      per_memory_micro_auc={f[2:]: micro_auc(split(z[f]), labels) for f in z.files if f.startswith('m_')},
                      fit_fps=r['train_frames'] / r['fit_seconds'], score_fps=r['test_frames'] / r['score_seconds'],
                      fit_fps_cpu=r['train_frames'] / r['fit_cpu_seconds'], score_fps_cpu=r['test_frames'] / r['score_cpu_seconds'], **r)
    out = dict(benchmark='video anomaly detection on UCSD Ped2 (16 train / 12 test videos, 2550 / 2010 frames, 1648 anomalous), one thread, '
                         'the designs one after the other in child processes', designs=__doc__.split('All parameters')[0].split('one after the other:')[1].strip(),
               macro_rule='prepend (an all-abnormal video counts as AUC 1)', runs=res,
               targets=dict(fixed_micro_auc=0.93, fixed_macro_auc=0.95, fit_fps=25, score_fps=25, peak_memory_mb=1500),
               wall_seconds=time.time() - t0, load_average=loads,
               machine_note=f'{os.cpu_count()} CPU cores shared with other jobs; load_average: 1/5/15-minute load averages at the start and '
                            'after each child. The frames/s from CPU time (process_time) are less sensitive to other jobs than those from wall time')
    if 'attributes' in res:
        n = res['attributes']
        out.update(fixed_micro_auc=n['fixed_micro_auc'], fixed_macro_auc=n['fixed_macro_auc'], fit_fps=n['fit_fps'], score_fps=n['score_fps'],
                   fit_fps_cpu=n['fit_fps_cpu'], score_fps_cpu=n['score_fps_cpu'], peak_memory_mb=n['peak_memory_mb'])
    js = json.dumps(out, indent=1, default=float); print(js)
    (od/'vpc_ped2.json').write_text(js)
    return 0

if __name__ == '__main__': sys.exit(main())
