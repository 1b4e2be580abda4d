"""The attribute detector on UCSD Ped2 at other resolutions: speeds in the video's own pixels or in working-height pixels.

The attribute detector's speed bins (1, 2, 4, 8 pixels per frame) and flow scale (0.5) were validated on Ped2, whose frames are
240 rows high. `working_height=240` (the default) measures every video's flow as if its frames were 240 rows high
(akt_vpc.vad.attributes, ObjectExtractor.flow); `working_height=None` measures it in the video's own pixels. On Ped2 itself the
two are the same to the bit. Here every Ped2 frame, training and test, is resized by `scale` (0.5: 120 x 180, INTER_AREA; 2: 480
x 720, INTER_CUBIC; 3: 720 x 1080) and the defaults are fitted and scored with each unit: the same scene and events, another
camera resolution. VideoPatchCore's defaults (`vpc` runs) measure everything in the video's own pixels; `vpc240` runs are
VideoPatchCore(working_height=240), every frame read at 240 rows (akt_vpc.vad.vpc.FeatureExtractor; not the default). Nothing
is chosen here: working_height follows from the unit the bins were validated in, and the test labels only compute the AUCs.
Each run in its own child process at one thread, one after the other.
Run: python bench/vpc_resolution.py [--runs 1:240,2:none,2:240,...,2:vpc,2:vpc240] [--out NAME] -> bench/out/NAME.json
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHILD = r'''
import json, sys, time, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
from akt_vpc.vad.datasets import load_ped2
from akt_vpc.vad.video import Video, read_frame
from akt_vpc.vad.attribute_vad import AttributeVAD
from akt_vpc.core import peak_memory_mb
scale, wh = float(sys.argv[2]), None if sys.argv[3] == 'none' else int(sys.argv[3])
class Scaled(Video):
    "A Ped2 video whose frames are resized by `scale` as they are read (then to `size` or `read_size`, if set)."
    def frame(self, i, gray=False, size=None):
        f, size = read_frame(self.frames[i], gray, None, video=self.name), size or self.read_size
        if scale != 1: f = cv2.resize(f, (round(f.shape[1] * scale), round(f.shape[0] * scale)),
                                      interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        return f if size is None else cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_AREA)
ds = load_ped2(); sc = lambda vs: [Scaled(v.name, v.frames, v.labels) for v in vs]
if sys.argv[4] == 'vpc':
    from akt_vpc.vad.vpc import VideoPatchCore
    model = VideoPatchCore(working_height=wh)
else: model = AttributeVAD(working_height=wh)
feats = lambda vs: [model.features(v) for v in vs]
t0 = time.time(); model.fit_features(feats(sc(ds.train))); t_fit = time.time() - t0
t0 = time.time(); out = model.score(feats(sc(ds.test))); t_score = time.time() - t0
np.savez(sys.argv[1], fused=np.concatenate(out.fused), lengths=[len(s) for s in out.fused])
print(json.dumps(dict(fit_seconds=t_fit, score_seconds=t_score, peak_memory_mb=peak_memory_mb(), config=model.config(),
                      frame_hw=list(Scaled('x', ds.test[0].frames).frame(0).shape[:2]))))
'''

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', default='1:240,2:none,2:240,3:none,3:240,0.5:none,0.5:240',
                    help="scale:working_height, comma-separated (working_height 'vpc': VideoPatchCore's defaults instead, "
                    "'vpc240': VideoPatchCore at working_height 240)")
    ap.add_argument('--out', default='vpc_resolution', help='name of the JSON written to bench/out')
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from akt_vpc.core import shared_file, missing_reason
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    from akt_vpc.vad.datasets import load_ped2
    from akt_vpc.vad.metrics import evaluate_scores
    ds = load_ped2(); labels = [v.labels for v in ds.test]; names = [v.name for v in ds.test]
    od = ROOT/'bench'/'out'; od.mkdir(exist_ok=True); env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    t0, res = time.time(), {}
    for run in args.runs.split(','):
        s, wh = run.split(':'); npz = od/f'vpc_resolution_{s}_{wh}.npz'
        method, height = ('vpc', wh[3:] or 'none') if wh.startswith('vpc') else ('attributes', wh)
        p = subprocess.run([sys.executable, '-c', CHILD, str(npz), s, height, method], env=env, stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
        if p.returncode: raise RuntimeError(f'run {run} failed (exit {p.returncode})')
        r = json.loads(p.stdout.strip().splitlines()[-1]); z = np.load(npz)
        ev = evaluate_scores(np.split(z['fused'], np.cumsum(z['lengths'])[:-1]), labels)
        res[run] = dict(method=method, scale=float(s), working_height=None if height == 'none' else int(height), micro_auc=ev['micro'], macro_auc=ev['macro'],
                        per_video_auc=dict(zip(names, ev['per_video'])), fit_fps=2550 / r['fit_seconds'], score_fps=2010 / r['score_seconds'], **r)
        print(run, {k: res[run][k] for k in ('micro_auc', 'macro_auc', 'fit_fps', 'score_fps', 'peak_memory_mb')}, flush=True)
    out = dict(benchmark='the attribute detector (defaults) or VideoPatchCore on UCSD Ped2 resized by `scale`, measured in the '
                         'video\'s own pixels (working_height None) or at 240 rows; one thread, runs one after the other',
               protocol=__doc__.split('Run:')[0].strip(), macro_rule='prepend (an all-abnormal video counts as AUC 1)', runs=res,
               wall_seconds=time.time() - t0, load_average_end=[round(x, 2) for x in os.getloadavg()])
    js = json.dumps(out, indent=1, default=float); print(js); (od/f'{args.out}.json').write_text(js)
    return 0

if __name__ == '__main__': sys.exit(main())
