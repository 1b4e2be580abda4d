"""Label-free choice of the attribute detector's memories, protocol version 6: the `kind` memory.

`kind` (akt_vpc.vad.attributes.soft_class) is the detector's whole class distribution of a box (the square root of its class
scores over their sum), where `class` keeps only the best class's id. Disclosure: this version was written after the Ped2 test
AUCs of version 5's chosen design were known (velocity + class: micro 0.906, macro 0.931, bench/results/vpc_ped2.json) and
after its score curves on the 12 test videos had been seen (chapter 13e's figure).

Copies, folds and selection as version 5 (bench/vpc_attr_validation_v5.py): version 4's 22 copies and the 16 foreign-object
copies, 4 folds, micro AUC over the 38 copies, a candidate within 0.005 of an earlier-listed one loses to it. START is version
5's chosen design. Features: version 5's cache, plus each cached object's kind vector from the same YOLOX pass (conf 0.05, all
classes) re-run on the same frames (the boxes are checked equal to the cached ones). CANDIDATES and RULE were written, and
committed, before any result of this script was seen.

Run: python bench/vpc_attr_validation_v6.py cache train|pseudo|foreign ; python bench/vpc_attr_validation_v6.py
     -> bench/out/vpc_attr_validation_v6.json
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
from vpc_attr_validation import CACHE, WIDE_VIDEOS, WIDE_SEED, SEED
from vpc_attr_validation_v5 import FOREIGN_DONOR_STEP, foreign_copy, validate_protocol

# ---- written before any result of this script was seen ----
START = dict(memories=('velocity', 'class'), flow='h05', speeds=(1, 2, 4, 8), weighted=False, density='knn', appearance='pan',
             k=1, scorer='minmax', q=0.999, frame='max', conf=0.15)  # version 5's chosen design
CANDIDATES = {
    'B_memories': {
        'B1_velocity+class (start)': dict(memories=('velocity', 'class')),
        'B2_velocity+kind': dict(memories=('velocity', 'kind')),
        'B3_velocity+class+kind': dict(memories=('velocity', 'class', 'kind')),
    },
}
RULE = ('highest validation micro AUC over the 38 pseudo-anomalous copies of version 5 (4 folds); a candidate within 0.005 of '
        'an earlier-listed one loses to it')
# ---------------------------------------------------------


def cache_each(videos:list, tags:list, suffix:str, rows_of):
    "Per video not cached yet: `rows_of(video, its cached npz, tag)` saved as CACHE/<tag>_<suffix>.npy (float16)."
    for v, tag in zip(videos, tags):
        out = CACHE / f'{tag}_{suffix}.npy'
        if out.exists(): continue
        np.save(out, np.asarray(rows_of(v, np.load(CACHE / f'{tag}.npz'), tag), np.float16)); print(tag, suffix, flush=True)


def cache_kind(videos:list, tags:list):
    "Per cached video: the kind vector (K, 80) of each cached object, from the cache's own YOLOX pass re-run."
    from akt_vpc.vad.yolox import YoloxDetector
    from akt_vpc.vad.attributes import FrameObjects, soft_class
    det = YoloxDetector(conf=0.05, classes=None)
    def rows_of(v, c, tag):
        rows = []
        for t in range(len(v)):
            d = det.predict(v.frame(t)); ref = c['box'][c['frame'] == t]
            if d.boxes.shape != ref.shape or not np.allclose(d.boxes.numpy(), ref, atol=1e-3):
                raise RuntimeError(f'{tag} frame {t}: the detections differ from the cached ones')
            rows.append(soft_class(FrameObjects(d.boxes.numpy(), d.classes.numpy(), d.scores.numpy(),
                                                class_scores=d.class_scores.numpy())))
        return np.concatenate(rows)
    cache_each(videos, tags, 'kind', rows_of)


def copy_sets(part:str) -> list:
    "The (videos, cache tags) of one part of version 5's cache: 'train', 'pseudo' (with 'wide') or 'foreign'."
    from akt_vpc.vad.datasets import load_ped2
    from akt_vpc.vad.validation import pseudo_anomalies, pseudo_anomaly, OBJECT_KINDS
    tr = load_ped2().train
    if part == 'train': return [(tr, [f'train_{i:02d}' for i in range(16)])]
    if part == 'pseudo':
        return [(pseudo_anomalies(tr, OBJECT_KINDS, seed=SEED), [f'pseudo_{i:02d}' for i in range(16)]),
                ([pseudo_anomaly(tr[i], 'wide', WIDE_SEED + i, donor=tr[(i + 1) % 16]) for i in WIDE_VIDEOS],
                 [f'wide_{i:02d}' for i in WIDE_VIDEOS])]
    if part == 'foreign':
        cifar = dict(np.load(shared_file('cifar10/cifar10_test_jpgq75.npz')))
        return [([foreign_copy(tr[i], tr[(i + FOREIGN_DONOR_STEP) % 16], i, cifar) for i in range(16)],
                 [f'foreign_{i:02d}' for i in range(16)])]
    raise ValueError(f"part: expected 'train', 'pseudo' or 'foreign', got {part!r}")


def cache_part(part:str):
    for videos, tags in copy_sets(part): cache_kind(videos, tags)


def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    if len(sys.argv) > 2 and sys.argv[1] == 'cache': cache_part(sys.argv[2]); return 0
    validate_protocol(6, 'the kind memory', __doc__, RULE, START, CANDIDATES,
                      lambda tag: dict(np.load(CACHE / f'{tag}.npz'), kind=np.load(CACHE / f'{tag}_kind.npy')))
    return 0

if __name__ == '__main__': sys.exit(main())
