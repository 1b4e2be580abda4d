"""Label-free choice of the attribute detector's defaults, protocol version 11: the optical-flow method.

Why a version 11: the velocity memory is only as good as the flow inside each box, and the anchor measures it with FlowNet2,
a learned flow; offline here the choices are OpenCV's two dense methods, Farneback (the default since version 4) and DIS
(Kroeger et al. 2016, `cv2.DISOpticalFlow`, preset MEDIUM), each at half or full resolution. Farneback was never compared
with another flow method; full-resolution Farneback was compared only for velocity alone, with version 4's first bins
(stage A: 0.833 against 0.837). Measured on training videos only before this script was written (frames 1-119 of training
videos 01, 05, 09, 13, every 4th pair): the photometric error of frame t+1 warped back by the flow, on pixels whose grey level
changed by more than 8, is 29.1 with no flow, 14.1 Farneback x0.5, 11.1 Farneback x1, 18.4 DIS x0.5, 13.1 DIS x1 (mean absolute
grey levels); one thread, per frame: 3.5 / 15 / 2.0 / 8.6 ms (the defaults take about 25 ms a frame in all), so every candidate
keeps the detector above 25 frames/s.
Disclosure: written after the Ped2 test AUCs of versions 4-10's designs were known (bench/results/vpc_ped2.json) and after
chapter 13e's test score curves had been seen. The test AUCs of a DIS flow, or of full-resolution Farneback with the
current design, were not known.

Copies, folds, selection and cache as version 7 (bench/vpc_attr_validation_v7.py): 38 pseudo-anomalous copies of the 16
training videos, 4 folds, micro AUC over the copies, a candidate within 0.005 of an earlier-listed one loses to it. START is
the current defaults (velocity + kind, conf 0.15, Farneback x0.5). New cached features `hdis05`, `hdis10`: for every cached
box, the fine histogram (bench/vpc_attr_validation.py, fine_histogram) of the DIS flow (preset MEDIUM) between the same frames
as the cached `h05` (frame t-1 to t; frame 0: 0 to 1), computed at resolution factor 0.5 (brought back to full-resolution
pixels as `flow_field` does) or 1. `h1` (Farneback x1) is in version 4's cache. The copies are re-made from their seeds and
their one-frame histograms checked equal to the cached `h05` first. CANDIDATES and RULE were written, and committed, before
any result of this script was seen.

Run: python bench/vpc_attr_validation_v11.py cache train|pseudo|foreign ; python bench/vpc_attr_validation_v11.py
     -> bench/out/vpc_attr_validation_v11.json
"""
import os
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(_v, '1')
import sys
from pathlib import Path
import numpy as np
import torch, cv2

torch.set_num_threads(1); cv2.setNumThreads(1)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from akt_vpc.core import shared_file, missing_reason
from vpc_attr_validation import CACHE, fine_histogram
from vpc_attr_validation_v5 import validate_protocol
from vpc_attr_validation_v6 import copy_sets, cache_each
from vpc_attr_validation_v8 import check_copy

# ---- written before any result of this script was seen ----
START = dict(memories=('velocity', 'kind'), flow='h05', speeds=(1, 2, 4, 8), weighted=False, density='knn', appearance='pan',
             k=1, scorer='minmax', q=0.999, frame='max', conf=0.15)  # the current defaults (versions 6-10)
CANDIDATES = {
    'K_flow_method': {
        'K1_farneback_x0.5 (start)': dict(flow='h05'),
        'K2_dis_medium_x0.5': dict(flow='hdis05'),
        'K3_dis_medium_x1': dict(flow='hdis10'),
        'K4_farneback_x1': dict(flow='h1'),
    },
}
RULE = ('highest validation micro AUC over the 38 pseudo-anomalous copies of version 5 (4 folds); a candidate within 0.005 of '
        'an earlier-listed one loses to it')
# ---------------------------------------------------------
SCALES = {'hdis05': 0.5, 'hdis10': 1.0}


def dis_flow(dis, a:np.ndarray, b:np.ndarray, scale:float) -> np.ndarray:
    "DIS flow from grey frame `a` to `b` at resolution factor `scale`, in full-resolution pixels (H, W, 2)."
    from akt_vpc.vad.motion import _shrink, _full_resolution  # brought back as the library's Farneback flow is
    return _full_resolution(dis.calc(_shrink(a, scale), _shrink(b, scale), None), *a.shape)


def cache_dis(videos:list, tags:list, key:str):
    "Per cached video: the fine histogram of each cached box on the DIS flow `key`, after checking the copy against the cache."
    def rows_of(v, c, tag):
        n = len(v); g = [v.frame(i, gray=True) for i in range(n)]; rows = []
        check_copy(g, c, tag); dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        for t in range(n):
            a, b = (t - 1, t) if t else (0, 1); f = dis_flow(dis, g[a], g[b], SCALES[key])
            rows += [fine_histogram(f, x) for x in c['box'][c['frame'] == t]]
        return np.array(rows, np.float32).reshape(len(c['frame']), -1)
    cache_each(videos, tags, key, rows_of)


def cache_part(part:str):
    for videos, tags in copy_sets(part):
        for key in SCALES: cache_dis(videos, tags, key)


def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    if len(sys.argv) > 2 and sys.argv[1] == 'cache': cache_part(sys.argv[2]); return 0
    validate_protocol(11, 'the optical-flow method', __doc__, RULE, START, CANDIDATES,
                      lambda tag: dict(np.load(CACHE / f'{tag}.npz'), kind=np.load(CACHE / f'{tag}_kind.npy'),
                                       **{k: np.load(CACHE / f'{tag}_{k}.npy') for k in SCALES}))
    return 0

if __name__ == '__main__': sys.exit(main())
