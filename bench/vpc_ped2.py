"""VideoPatchCore on real UCSD Ped2, fully offline: fit on the 16 training videos, score the 12 test videos.

Prints a JSON summary and writes it to bench/out/vpc_ped2.json. Single thread (torch and OpenCV).
The fixed score uses the package defaults, chosen without test labels by bench/vpc_validation.py (run it first: its JSON is
copied into `how_chosen`); the test labels are used only to compute the AUCs and, separately and labelled as such, the
reference's ORACLE grid search.
Run: python bench/vpc_ped2.py
"""
import json, os, sys, time
from pathlib import Path
import numpy as np
import torch, cv2

torch.set_num_threads(1); cv2.setNumThreads(1)

from akt_vpc.core import shared_file, missing_reason
from akt_vpc.video import load_ped2
from akt_vpc.core import progress, peak_memory_mb
from akt_vpc.vpc import VideoPatchCore, BANKS, VPC_BANKS, CNN_BANKS, DEFAULT_BANKS, MOTION_BANKS, merge_features
from akt_vpc.metrics import evaluate_scores, micro_auc, macro_auc, oracle_search

# The fixed score is the package default (VideoPatchCore() with its defaults: banks DEFAULT_BANKS = object motion, flow grid,
# VPC's spatial memory and the tight appearance memory, fused with equal weights by leave-one-training-video-out z-scores;
# motion_entries 'hist_p90_height', motion_scaling 'group', half-resolution flow, middle-frame object pixels, sigma 3), chosen
# by the label-free validation of bench/vpc_validation.py (protocol version 3) on TRAINING videos only. It is fitted and timed
# alone (run 1). VPC's other two memories (temporal, highlevel) are built in a second, separately timed model (run 2) only
# to report them alone, in other fusions and in the reference's ORACLE.
DEFAULT = VideoPatchCore()
OTHER_BANKS = tuple(b for b in BANKS if b not in DEFAULT_BANKS)
HOW_CHOSEN = {
    'protocol': 'label-free validation on the 16 Ped2 TRAINING videos (bench/vpc_validation.py, akt_vpc.validation), version 3: each '
                'training video gets one copy with one object-level pseudo-anomaly (kinds cycled fastobject / paste / wrongway), 4 folds of held-out videos, fit on '
                'the normal videos of the other folds, micro AUC over the 16 pseudo-anomalous copies; the candidate list was written '
                'down before any validation result was seen; stages A (motion descriptor) -> B (banks) -> C (weights) -> D (sigma), '
                'each from the previous winner; ties within 0.005 go to the earlier-listed candidate. The test set was evaluated once, '
                'after the choice, with no iteration on its result',
    'chosen_by_protocol': 'flow resolution (half) and object-motion pixels (middle-frame component), motion descriptor entries '
                          '(hist_p90_height) and scaling (group), banks (motion + flowgrid + spatial + appearance), weights (equal), sigma (3)',
    'session_3': 'protocol version 3 replaced the whole-frame kinds (speedup, reverse) by object-level ones (fastobject, wrongway; '
                 'paste kept), added two motion-descriptor candidates (speeds per box height), and reran stages 0 and A-D; the '
                 'candidate list was committed before the run (commit 4f4cf79). The Ped2 test set was then evaluated once with '
                 'its winner (micro 0.844). Stage E (T 4/5/10, detector threshold 15/20/30; committed in cfaa990 before its '
                 'results) then confirmed T=5 and threshold 20, so the design and its test figures did not change; this JSON is '
                 'the rerun that embeds the final validation file. DISCLOSURE: the revision was made knowing the test AUCs of the version-1 and version-2 designs '
                 '(0.823 and 0.742) and of some fusions (bench/results history); the version-3 winner had not been evaluated on '
                 'the test set in this exact form before',
    'session_4': 'after session 3\'s single test evaluation (micro 0.844, below the floor 0.88) a new memory was added: `shape`, VAD.md 7\'s '
                 '"HOG of the motion-energy image" (one of the five banks of that spec\'s 0.91 probe, made by its author on the TEST '
                 'labels). Validation stages F (default memories with / without shape) and G (no-encoder memories with / without '
                 'shape) were committed (2fdb1b8) before any validation or test result of shape; neither added it (F: 0.8857 vs '
                 '0.8857, the tie goes to the pre-existing design; G: 0.8642 vs 0.8648), so the defaults and the fixed AUC did not '
                 'change. This rerun (the test set\'s second look, with no design depending on it) adds shape alone and its fusions '
                 'to what is reported',
    'session_5': 'four stages, each committed before any of its results (H object-level fusion; I the CIFAR-100 ResNet-20 as encoder; '
                 'then protocol version 4 = version 3 plus 6 copies of a new kind, wide (an object at its own speed stretched 2-2.5x '
                 'horizontally), judging J (the default +- hog, motion entries all, motion+flowgrid+hog) and K (the no-encoder '
                 'memories +- hog)): every stage kept the pre-existing design, so the defaults and the fixed AUC did not change. This '
                 'rerun (the test set\'s third look, no design depending on it) adds hog alone, its fusions and the two validated-out '
                 'variants H2 and I2 to what is reported',
    'session_2': 'session 1 ended with the default motion + flowgrid at half-resolution flow (Ped2 test micro 0.823, macro 0.934). '
                 'Session 2 added validation stage 0 (flow resolution 0.5/1.0 x object pixels middle/frames), its candidates written down '
                 'from VAD.md 7 (whose probes used full-resolution flow) before any of its results, then reran stages A-D from its winner; '
                 'the test set was evaluated once with the new defaults',
    'pre_dating_the_protocol': 'the bank designs themselves (motion descriptor, flow grid, the VPC banks, the tight-appearance bank '
                               'from VAD.md 7), T=5, detector settings, grid_rows=15, c_out=32, coreset ratios, power_n=1, '
                               'the leave-one-training-video-out z-score normalisation, and the candidate list itself',
    'previous_helper_disclosure': 'during development the author looked at Ped2 test AUCs of a few object-motion descriptor variants '
                  '(which flow statistics / geometry entries to use) and of a first run with the four banks spatial+temporal+'
                  'highlevel+motion (micro 0.74, motion scaled per entry); after that run the motion vectors were changed to '
                  'one scale per unit group and the flow grid of VAD.md 7 was added, and the default fusion set to the VAD.md 7 '
                  'recipe. These are design decisions made with sight of test numbers; treat the fixed AUC as optimistic by that much',
    'this_helper_disclosure': 'this helper saw the previous run\'s Ped2 test numbers (micro 0.829; banks alone motion 0.769, flowgrid 0.821, '
                              'spatial 0.653) before writing the candidate list; the candidates come from VAD.md 7 and the brief, not from '
                              'test results, but that knowledge was present',
    'T': '5: the clip length of the offline probes in VAD.md 7 (between the reference settings 4 and 10); not validated',
    'detector': 'motion detector defaults (thr 20 grey levels, 5x5 blur, 3x3 open, 7x7 close, min area 5e-4 of the frame, '
                'median background of each video itself): the values of VAD.md 7, min area expressed relative to the frame',
    'ratios': 'coreset 0.1 for the VPC CNN banks; 1.0 (keep all) for the small motion, flow-grid and tight-appearance banks',
    'power_n': '1: the z-score normalisation makes the exponent unnecessary; reference values 1-4',
    'grid_rows': '15 rows of square cells (16 px on a 240-px frame, the cell size of VAD.md 7, expressed relative to the frame height)',
    'normalisation': 'z-scores from leave-one-training-video-out frame scores: training videos only',
    'c_out': "32 = the ResNet-20 layer2+layer3 channels (96) grouped by 3; reference values 32-64",
    'flow_scale': '0.5 (half-resolution Farneback, about 4x faster than 1.0), chosen by validation stage 0',
}

def main():
    if shared_file('ped2/ped2.mat') is None: print(missing_reason('ped2/ped2.mat')); return 0
    ds = load_ped2()
    labels = [v.labels for v in ds.test]
    n_tr, n_te = sum(map(len, ds.train)), sum(map(len, ds.test))
    vj = Path(__file__).resolve().parent/'out'/'vpc_validation.json'
    validation = json.loads(vj.read_text()) if vj.exists() else None
    if validation is not None:  # the package defaults must be the validated design
        fd = validation['final_design']
        cfg = DEFAULT.config()
        assert all(cfg[k] == (list(v) if k == 'banks' else v) for k, v in fd.items() if k != 'weights'), (fd, cfg)
        assert list(MOTION_BANKS) == validation.get('final_no_encoder_banks', list(MOTION_BANKS)), (MOTION_BANKS, validation['final_no_encoder_banks'])
    t_all = time.time()
    # run 1: the default design, timed alone (features + memories = `fit`; features + scores = `score`)
    vpc = DEFAULT
    t0 = time.time(); tr = [vpc.features(v) for v in progress(ds.train, desc='features (train)')]; vpc.fit_features(tr); t_fit = time.time() - t0
    t0 = time.time(); te = [vpc.features(v) for v in progress(ds.test, desc='features (test)')]; out = vpc.score(te); t_score = time.time() - t0
    peak1 = peak_memory_mb()
    fixed = evaluate_scores(out['fused'], labels)
    # run 2: the other memories, for reporting only
    other = VideoPatchCore(banks=OTHER_BANKS, **{k: v for k, v in vpc.config().items() if k not in ('banks', 'weights', 'ratios')})
    t0 = time.time(); other.fit(ds.train); t_fit2 = time.time() - t0
    t0 = time.time(); out2 = other.score(ds.test); t_score2 = time.time() - t0
    z = {**out['z'], **out2['z']}; raw = {**out['raw'], **out2['raw']}
    per_bank = {b: evaluate_scores(z[b], labels) for b in z}
    fuse = lambda bs: [sum(z[b][i] for b in bs) for i in range(len(labels))]
    fusions = [(f"motion_banks_{'_'.join(MOTION_BANKS)}_equal (no encoder)", MOTION_BANKS),
               ('motion_flowgrid_spatial_equal', ('motion', 'flowgrid', 'spatial')), ('all_banks_equal', BANKS),
               ('vpc_three_equal', VPC_BANKS), ('vpc_three_plus_motion_equal', VPC_BANKS + ('motion',)),
               ('motion_flowgrid_appearance_equal', ('motion', 'flowgrid', 'appearance')),
               ('motion_flowgrid_equal', ('motion', 'flowgrid')), ('motion_flowgrid_shape_equal', ('motion', 'flowgrid', 'shape')),
               ('motion_flowgrid_spatial_appearance_equal', ('motion', 'flowgrid', 'spatial', 'appearance')),
               ('motion_flowgrid_spatial_appearance_shape_equal', ('motion', 'flowgrid', 'spatial', 'appearance', 'shape'))]
    fusions += [('motion_flowgrid_spatial_appearance_hog_equal', DEFAULT_BANKS + ('hog',)), ('motion_flowgrid_hog_equal', MOTION_BANKS + ('hog',))]
    seen = {frozenset(DEFAULT_BANKS)}  # each fusion once, and not the fixed design again
    fusions = [(n, bs) for n, bs in fusions if not (frozenset(bs) in seen or seen.add(frozenset(bs)))]
    others = {name: dict(banks=list(bs), micro=micro_auc(fuse(bs), labels), macro=macro_auc(fuse(bs), labels)) for name, bs in fusions}
    # session 5's validated-out variants of the default (stages H and I), on the same features: reported only
    cfg = {k: v for k, v in vpc.config().items() if k not in ('ratios',)}
    obj = VideoPatchCore(**{**cfg, 'object_fusion': True, 'encoder': vpc.encoder}).fit_features(tr).score(te)
    c100 = VideoPatchCore(**{**cfg, 'encoder': 'cifar100-resnet20'})
    cnn = tuple(b for b in DEFAULT_BANKS if b in CNN_BANKS)
    c100_cnn = VideoPatchCore(**{**cfg, 'banks': cnn, 'encoder': c100.encoder})  # the CNN memories' features only
    c100_feats = [[c100_cnn.features(v) for v in progress(vs, desc=f'CIFAR-100 ({n})')] for vs, n in ((ds.train, 'train'), (ds.test, 'test'))]
    c100_out = c100.fit_features(merge_features(tr, c100_feats[0], cnn)).score(merge_features(te, c100_feats[1], cnn))
    variants = {'H2_object_fusion': obj, 'I2_cifar100_encoder': c100_out}
    others.update({name: dict(banks=list(DEFAULT_BANKS), micro=micro_auc(o['fused'], labels), macro=macro_auc(o['fused'], labels),
                              **({'cnn_banks_alone_micro': {b: micro_auc(o['z'][b], labels) for b in cnn}} if name.startswith('I2') else {}),
                              note='validated out in session 5 (stage ' + name[0] + '); reported only') for name, o in variants.items()})
    t0 = time.time(); oracle = oracle_search(raw, labels); t_oracle = time.time() - t0
    res = dict(
        benchmark='VideoPatchCore on UCSD Ped2 (16 train / 12 test videos, 2010 test frames, 1648 anomalous)',
        fixed_micro_auc=fixed['micro'], fixed_macro_auc=fixed['macro'], macro_rule=fixed['macro_rule'],
        floor_micro_auc=0.88, floor_reached=bool(fixed['micro'] >= 0.88),
        per_video_auc=dict(zip(out['names'], fixed['per_video'])),
        per_bank_micro_auc={b: r['micro'] for b, r in per_bank.items()},
        per_bank_macro_auc={b: r['macro'] for b, r in per_bank.items()},
        per_bank_per_video_auc={b: dict(zip(out['names'], r['per_video'])) for b, r in per_bank.items()},
        other_fixed_fusions=others,
        oracle=oracle,
        parameters=vpc.config(), how_chosen={**HOW_CHOSEN, 'validation': validation},
        normalisation={b: dict(loo_mean=m, loo_std=s) for b, (m, s) in {**vpc.norm, **other.norm}.items()},
        memory_sizes={b: len(m) for b, m in {**vpc.memories, **other.memories}.items()},
        train_frames=n_tr, test_frames=n_te,
        default_fit_seconds=t_fit, default_score_seconds=t_score, default_fit_fps=n_tr / t_fit, default_score_fps=n_te / t_score,
        default_peak_memory_mb=peak1,
        other_banks_fit_seconds=t_fit2, other_banks_score_seconds=t_score2, other_banks_fit_fps=n_tr / t_fit2, other_banks_score_fps=n_te / t_score2,
        oracle_search_seconds=t_oracle, wall_seconds=time.time() - t_all, threads=1, peak_memory_mb=peak_memory_mb(),
        machine_note=f'{os.cpu_count()} CPU cores; load average at the end of the run {os.getloadavg()[0]:.1f} (other jobs share the '
                     'machine: timings are pessimistic when it exceeds 1)',
        torch=torch.__version__, opencv=cv2.__version__,
    )
    js = json.dumps(res, indent=1)
    print(js)
    out_dir = Path(__file__).resolve().parent/'out'; out_dir.mkdir(exist_ok=True)
    (out_dir/'vpc_ped2.json').write_text(js)
    np.savez(out_dir/'vpc_ped2_scores.npz', names=np.array(out['names']), fused=np.concatenate(out['fused']),
             **{f'z_{b}': np.concatenate(z[b]) for b in z}, **{f'raw_{b}': np.concatenate(raw[b]) for b in raw})
    return 0

if __name__ == '__main__': sys.exit(main())
