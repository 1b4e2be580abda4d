"""Label-free choice of the attribute detector's defaults, protocol version 9: the kind memory asks confident detections only.

Why a version 9: version 7 measured, on held-out training videos scored by the current defaults, that 91% of the 1% of normal
objects with the highest kind scores are detections below conf 0.3 (19% of all objects are): a faint detection's class
distribution is flat, and flat is rare among confident pedestrians. Raising the detector threshold for every memory lost
(version 7, stage G: velocity needs the faint boxes). The candidates here keep every box at conf >= 0.15 for velocity and let
the kind memory see only the boxes at or above a gate: it is fitted (and its scale) on the training boxes above the gate, and a
box below the gate adds 0 (its scale's minimum) to its object's score. Frames without objects, smoothing, scaling, max over
objects: unchanged. Disclosure: written after the Ped2 test AUCs of versions 4-8's designs were known
(bench/results/vpc_ped2.json) and after chapter 13e's test score curves had been seen; the test AUCs of a gated kind memory
were not known.

Copies, folds, selection and cache as version 7: 38 pseudo-anomalous copies of the 16 training videos, 4 folds, micro AUC
over the copies, a candidate within 0.005 of an earlier-listed one loses to it. START is the current defaults. CANDIDATES and
RULE were written, and committed, before any result of this script was seen.

Run: python bench/vpc_attr_validation_v6.py cache train|pseudo|foreign ; python bench/vpc_attr_validation_v9.py
     -> bench/out/vpc_attr_validation_v9.json
"""
import os
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(_v, '1')
import sys
from pathlib import Path
import numpy as np
import torch, cv2

torch.set_num_threads(1); cv2.setNumThreads(1)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import vpc_attr_validation as v4
from akt_vpc.core import shared_file, missing_reason
from akt_vpc.vad.attribute_vad import AttributeScorer
from vpc_attr_validation_v5 import validate_protocol

# ---- written before any result of this script was seen ----
START = dict(memories=('velocity', 'kind'), flow='h05', speeds=(1, 2, 4, 8), weighted=False, density='knn', appearance='pan',
             k=1, scorer='minmax', q=0.999, frame='max', conf=0.15, kind_gate=None)  # the current defaults
CANDIDATES = {
    'I_kind_gate': {
        'I1_kind_on_every_box (start)': dict(kind_gate=None),
        'I2_kind_on_boxes_conf>=0.3': dict(kind_gate=0.3),
        'I3_kind_on_boxes_conf>=0.5': dict(kind_gate=0.5),
    },
}
RULE = ('highest validation micro AUC over the 38 pseudo-anomalous copies of version 5 (4 folds); a candidate within 0.005 of '
        'an earlier-listed one loses to it')
# ---------------------------------------------------------


class GatedKindScorer(AttributeScorer):
    "`AttributeScorer` whose kind memory holds and scores only boxes with detector score >= `gate` (the others add 0)."
    gate = 0.3
    def keep(self, name, table): return table.scores >= self.gate if name == 'kind' else np.ones(len(table), bool)
    def fit(self, tables):
        for m in self.memories: m.fit([t.attrs[m.name][self.keep(m.name, t)] for t in tables])
        loo = [{m.name: m.distances(t.attrs[m.name], exclude=i) for m in self.memories} for i, t in enumerate(tables)]
        self.scales = {m.name: self.scale().fit(np.concatenate([d[m.name][self.keep(m.name, t)] for d, t in zip(loo, tables)]))
                       for m in self.memories}
        self.fit_frames(tables, [{k: self.scales[k](v) * self.keep(k, t) for k, v in d.items()} for d, t in zip(loo, tables)])
        return self
    def scaled(self, table, exclude=None):
        return {k: v * self.keep(k, table) for k, v in super().scaled(table, exclude).items()}

_scorer = v4.scorer
def scorer(c):
    "Version 4's scorer, or the gated one when the design has a kind gate."
    if c.get('kind_gate') is None: return _scorer(c)
    sc = GatedKindScorer(_scorer(c).memories, sigma=3., q=c['q']); sc.gate = c['kind_gate']; return sc
v4.scorer = scorer  # validate() looks the scorer up in its module


def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    validate_protocol(9, 'the kind memory on confident detections', __doc__, RULE, START, CANDIDATES,
                      lambda tag: dict(np.load(v4.CACHE / f'{tag}.npz'), kind=np.load(v4.CACHE / f'{tag}_kind.npy')))
    return 0

if __name__ == '__main__': sys.exit(main())
