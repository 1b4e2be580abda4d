"""Does a normal frame's score rise or fall with how many objects it holds? The attribute detector on Ped2 TRAINING videos only.

Each training video is scored by the design fitted on the other three folds (4 folds, video i in fold i % 4; the features of
bench/vpc_attr_validation.py's cache, YOLOX at conf 0.15, the kind vectors of version 6), unsmoothed frame scores (max over the
frame's objects of the summed scaled memories). Reported per design: Spearman's rank correlation between a frame's object count
and its score, the median score per object-count bucket, and the spread of the 16 videos' median scores over the pooled
spread. No copy, no test video, no label: every frame here is normal. Designs: the defaults (velocity + kind), velocity alone,
and the defaults with the crowd correction of validation stage F2 (max - beta log N; not adopted: it tied with the max).
Run: python bench/vpc_attr_validation_v6.py cache train ; python bench/vpc_attr_crowd.py -> bench/out/vpc_attr_crowd.json
"""
import os
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(_v, '1')
import json, sys
from pathlib import Path
import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from akt_vpc.core import shared_file, missing_reason
from akt_vpc.vad.attribute_vad import AttributeScorer, make_memories
from vpc_attr_validation import CACHE, N_FOLDS, table
from vpc_attr_variants import CrowdScorer

DESIGN = dict(memories=('velocity', 'kind'), flow='h05', speeds=(1, 2, 4, 8), weighted=False, appearance='pan', conf=0.15)
DESIGNS = {'defaults (velocity + kind)': (('velocity', 'kind'), AttributeScorer), 'velocity alone': (('velocity',), AttributeScorer),
           'defaults, max - beta log N (stage F2)': (('velocity', 'kind'), CrowdScorer)}
BUCKETS = ((1, 3), (4, 6), (7, 9), (10, 13), (14, 99))

def held_out_frames(memories, cls, train) -> tuple:
    "(objects, score, video) of every frame with objects of every training video, scored by the other folds' fit."
    c = {**DESIGN, 'memories': memories}; n, s, v = [], [], []
    for k in range(N_FOLDS):
        sc = cls(make_memories(memories, 1), sigma=3., q=0.999).fit([table(train[i], c) for i in range(16) if i % N_FOLDS != k])
        for i in [i for i in range(16) if i % N_FOLDS == k]:
            t = table(train[i], c); raw = sc.raw_frames(t, sc.scaled(t))['fused']
            cnt = np.bincount(t.frame, minlength=t.n_frames); ok = ~np.isnan(raw)
            n += list(cnt[ok]); s += list(raw[ok]); v += [i] * int(ok.sum())
    return np.array(n), np.array(s), np.array(v)

def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    train = [dict(np.load(CACHE / f'train_{i:02d}.npz'), kind=np.load(CACHE / f'train_{i:02d}_kind.npy')) for i in range(16)]
    res = {}
    for name, (mems, cls) in DESIGNS.items():
        n, s, v = held_out_frames(mems, cls, train)
        res[name] = dict(frames=len(n), spearman_objects_score=float(spearmanr(n, s)[0]),
                         median_by_objects={f'{a}-{b}': dict(frames=int(((n >= a) & (n <= b)).sum()),
                                                             median=float(np.median(s[(n >= a) & (n <= b)])))
                                            for a, b in BUCKETS if ((n >= a) & (n <= b)).any()},
                         video_median_spread=float(np.std([np.median(s[v == i]) for i in range(16)]) / np.std(s)))
        print(name, res[name], flush=True)
    out = dict(benchmark='normal frames\' scores against their object count, Ped2 training videos held out by fold', protocol=__doc__.split('Run:')[0].strip(),
               results=res)
    js = json.dumps(out, indent=1); od = Path(__file__).resolve().parent/'out'; od.mkdir(exist_ok=True)
    (od/'vpc_attr_crowd.json').write_text(js); print(js)
    return 0

if __name__ == '__main__': sys.exit(main())
