"""Zero-shot quantization of the public ResNet-20 (CIFAR-10) on CPU, scored on the shared CIFAR-10 JPEG test set.

For each bit-width: the quantized model with the data-free activation ranges the fine-tuning starts from (no
fine-tuning), AdaDFQ-style fine-tuning, and the same plus AKT (same seed, same budget, same warm-up); at W3A3 the
with/without-AKT pair is repeated over several seeds (a shorter budget per run is allowed) with mean and spread.
No real image is used for anything but the reported accuracies.
The package's best zero-shot pipeline on this model is not fine-tuning but block reconstruction
(`akt_vpc.zsq.reconstruct_run`): bench/zsq_reconstruct.py measures it the same way (W4A4 seed 0, W3A3 seeds 0-2, with
and without AKT, calibration-only start, final accuracy, wall time, images/s).

How the settings were chosen (never by test accuracy):
- Q lr 1e-4, Nesterov SGD, generator Adam 1e-3 (0.5, 0.999), T = 20, AKT reference form with lambda 1000: the
  reference values of the spec (ZSQ.md sections 3-6); lr 5e-4 / 1e-3 diverged there.
- Activation ranges: after the warm-up, reset and set from 8 fresh batches of the trained generator
  (calib_source='synthetic'), with the batch-quantile clipping chosen by quantile='auto': the candidate whose Q model
  agrees best with the FP model (smallest KL(FP || Q)) on 4 further held-out generator batches. The table of that
  choice is in the JSON (`range_selection`).
- Budget (iterations, batch): what fits the CPU time, as stated in the JSON.

Levers (`--levers`): W4A4 seed 0 only, the pipeline (AdaDFQ + AKT, the settings above) and each lever alone on top
of it, all from the same warm-up checkpoint (`warm_start`), each in its own checkpoint folder. Every run also
reports the agreement and KL(FP || Q) of its final Q model with the FP model on 8 held-out generator batches (the
warm-up generator sampled with another seed; no run trained on them): a lever is adopted only if it lowers that KL
(`adopt_by_synthetic_kl`); the test accuracies are reported, never used for the choice.

Run: python bench/zsq_resnet20.py [--quick] [--iterations N] [--warmup N] [--batch B] [--seeds S] [--bits 4,3]
     python bench/zsq_resnet20.py --levers [--only-levers a,b] [--iterations N] [--warmup N] [--batch B]
     (run 'pipeline' first: it makes the shared warm-up; shards merge with --levers --merge A.json B.json)
Prints JSON and writes bench/out/zsq_resnet20.json (rewritten after every run, so a partial run leaves its figures).
Checkpoints go to bench/out/zsq_ckpt/: a killed benchmark resumes where it stopped.
"""
import argparse, json, os, platform, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from seed_stats import seed_summary

os.environ.setdefault('AKT_VPC_QUIET', '1')
from akt_vpc.zsq.config import ZSQConfig
from akt_vpc.zsq.train import train_zsq
from akt_vpc.models import pretrained_resnet20
from akt_vpc.zsq.data import cifar10_jpeg_testset, evaluate
from akt_vpc.models import GDFQGenerator
from akt_vpc.zsq.quant import output_agreement
from akt_vpc.core import load_checkpoint

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--iterations', type=int, default=400, help='fine-tuning iterations of the main (seed 0) runs')
    p.add_argument('--seed-iterations', type=int, default=None, help='iterations of the extra-seed W3A3 runs (default: --iterations)')
    p.add_argument('--warmup', type=int, default=200, help='generator warm-up iterations')
    p.add_argument('--batch', type=int, default=64, help='synthetic images per iteration')
    p.add_argument('--seeds', type=int, default=3, help='seeds of the W3A3 with/without-AKT pair')
    p.add_argument('--only-seeds', default=None, help="run only these seeds of the W3A3 study, e.g. '2' (to split it over processes)")
    p.add_argument('--bits', default='4,3', help="bit-widths k of the WkAk runs, e.g. '4,3'")
    p.add_argument('--method', default='adadfq', choices=['gdfq', 'adadfq', 'hast'])
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--test-n', type=int, default=None, help='score on a class-balanced subset of the test set')
    p.add_argument('--eval-every', type=int, default=0, help='periodic test evaluations (for the test-selected best)')
    p.add_argument('--quick', action='store_true', help='smoke run: 6 iterations, warm-up 4, batch 16, 500 test images, 2 seeds')
    p.add_argument('--out', default=str(Path(__file__).parent/'out'/'zsq_resnet20.json'))
    p.add_argument('--ckpt-dir', default=None, help='checkpoint folder (default: bench/out/zsq_ckpt); one per budget')
    p.add_argument('--levers', action='store_true', help='W4A4 seed 0: the pipeline and each lever alone (see the docstring)')
    p.add_argument('--only-levers', default=None, help="run only these levers, e.g. 'bn_correction,cosine_lr' (after 'pipeline' made the warm-up)")
    p.add_argument('--merge', nargs='+', default=None, help='combine the JSONs of runs split over processes (e.g. --bits 4 / --bits 3) into --out')
    a = p.parse_args(argv)
    if a.quick:
        a.iterations, a.warmup, a.batch, a.seeds, a.test_n = 6, 4, 16, 2, a.test_n or 500
        a.out = a.out.replace('.json', '_quick.json')
    if a.levers: a.out = a.out.replace('.json', '_levers.json')
    a.seed_iterations = a.seed_iterations or a.iterations
    a.bits = [int(b) for b in a.bits.split(',')]
    return a

def main(argv=None):
    a = parse(argv)
    torch.set_num_threads(a.threads)
    out_path = Path(a.out); out_path.parent.mkdir(parents=True, exist_ok=True)
    ck_dir = Path(a.ckpt_dir) if a.ckpt_dir else out_path.parent/('zsq_ckpt_quick' if a.quick else 'zsq_ckpt')
    fp, test = pretrained_resnet20('cifar10'), cifar10_jpeg_testset(n=a.test_n)
    res = dict(benchmark='zsq_resnet20', model='resnet20_cifar10 (shared chenyaofo weights)',
               test_set=f'shared CIFAR-10 JPEG q75 test set ({len(test)} images)', device='cpu', threads=a.threads,
               cpu=platform.processor() or platform.machine(), method=a.method,
               budget=dict(warmup_iterations=a.warmup, iterations=a.iterations, seed_iterations=a.seed_iterations,
                           batch_size=a.batch, seeds=a.seeds),
               settings=dict(q_lr=1e-4, g_lr=1e-3, T=20, lr_schedule='constant', akt_form='reference', akt_lambda=1000,
                             calib_source='synthetic (8 batches of the trained generator)',
                             quantile="auto: smallest KL(FP||Q) on 4 held-out generator batches (no real data)",
                             real_images_used_for_calibration=0),
               note='best_acc_test_selected is test-set model selection (as the papers report); last_acc is the honest figure',
               runs=[])
    t = time.time(); res['fp_acc'] = round(evaluate(fp, test, device='cpu', desc='FP'), 2); res['fp_eval_s'] = round(time.time() - t, 1)

    def dump():
        out_path.write_text(json.dumps(res, indent=1))

    def run(bits, akt, seed, iterations, warm_start=None, study='main'):
        cfg = ZSQConfig(w_bits=bits, a_bits=bits, method=a.method, akt=akt, iterations=iterations,
                        warmup_iterations=a.warmup, batch_size=a.batch, seed=seed, device='cpu',
                        eval_every=a.eval_every, checkpoint_every=50, out_dir=str(ck_dir/study),
                        calib_source='synthetic', quantile='auto', calib_batches=8,
                        quantile_candidates=(None, 0.99999, 0.9999, 0.999, 0.995))
        t0 = time.time()
        r = train_zsq(fp, test, cfg, warm_start=warm_start if warm_start and Path(warm_start).exists() else None)
        row = dict(**r.summary(), bits=f'W{bits}A{bits}', akt=akt, seed=seed, iterations=iterations, study=study,
                   wall_s=round(time.time() - t0, 1),
                   range_selection=[{k: (round(v, 4) if isinstance(v, float) and k != 'quantile' else v) for k, v in s.items()} for s in r.range_selection])
        res['runs'].append(row); dump()
        print(json.dumps({k: v for k, v in row.items() if k != 'range_selection'}), flush=True)
        return ck_dir/study/f'zsq_{cfg.tag}_warmup.pt'

    # main pairs at every bit-width; at W3A3 the seed study (seed 0 shared when its budget is the same)
    plan = []
    for bits in a.bits:
        plan.append((bits, 0, a.iterations, 'main'))
        if bits == 3:
            same = a.seed_iterations == a.iterations
            plan += [(3, s, a.seed_iterations, 'main' if same else 'seeds') for s in range(0 if not same else 1, a.seeds)]
    if a.only_seeds is not None:
        keep = {int(x) for x in a.only_seeds.split(',')}
        plan = [p for p in plan if p[0] != 3 or p[1] in keep]
    warm = {}
    for bits, seed, iters, study in plan:
        ws = run(bits, False, seed, iters, warm_start=warm.get((bits, seed)), study=study)
        warm.setdefault((bits, seed), ws)
        run(bits, True, seed, iters, warm_start=ws, study=study)

    summarize(res); dump(); print(json.dumps(res, indent=1))
    return res

# each lever alone on top of the pipeline: ZSQConfig fields it changes
LEVERS = {
    'pipeline': {},
    'start_only': dict(iterations=1, q_lr=0.0),                          # the calibration-only start (no Q update)
    'bn_correction_start': dict(iterations=1, q_lr=0.0, bn_correction=True),
    'bn_correction': dict(bn_correction=True),
    'cosine_lr': dict(lr_schedule='cosine'),
    'q_lr_3e-5': dict(q_lr=3e-5),
    'q_lr_3e-4': dict(q_lr=3e-4),
    'cosine_lr+bn_correction': dict(lr_schedule='cosine', bn_correction=True),   # the two adopted alone, together
}

def held_out_batches(warmup_ckpt, batch, seed, n=8):
    "`n` batches of the warm-up generator drawn with a sampler no run uses (held out for the choices)."
    ck = load_checkpoint(warmup_ckpt)
    G = GDFQGenerator(10).train(); G.load_state_dict(ck['generator'])   # batch statistics, as in training (a local copy)
    g = torch.Generator().manual_seed(10_000 + seed)
    with torch.no_grad(): return [G(*G.sample_inputs(batch, g)) for _ in range(n)]

def levers(a):
    "The pipeline and each lever alone at W4A4 seed 0, from one warm-up; JSON with the held-out synthetic KL of each."
    torch.set_num_threads(a.threads)
    out_path = Path(a.out); out_path.parent.mkdir(parents=True, exist_ok=True)
    ck_dir = Path(a.ckpt_dir) if a.ckpt_dir else out_path.parent/'zsq_ckpt_levers'
    fp, test = pretrained_resnet20('cifar10'), cifar10_jpeg_testset(n=a.test_n)
    names = list(LEVERS) if a.only_levers is None else a.only_levers.split(',')
    unknown = [n for n in names if n not in LEVERS]
    if unknown: raise SystemExit(f"--only-levers: unknown {unknown}; expected some of {list(LEVERS)}")
    res = dict(benchmark='zsq_resnet20_levers', bits='W4A4', seed=0, method=a.method, akt=True,
               test_set=f'shared CIFAR-10 JPEG q75 test set ({len(test)} images)', threads=a.threads,
               budget=dict(warmup_iterations=a.warmup, iterations=a.iterations, batch_size=a.batch),
               how_chosen='held-out synthetic: KL(FP||Q) of the final Q model on 8 batches of the warm-up generator '
                          '(sampler seed 10000, used by no run); a lever is adopted if its KL is below the pipeline\'s. '
                          'Test accuracies are reported only.', runs=[])
    base = dict(w_bits=4, a_bits=4, method=a.method, akt=True, iterations=a.iterations, warmup_iterations=a.warmup,
                batch_size=a.batch, seed=0, device='cpu', checkpoint_every=50, calib_source='synthetic',
                quantile='auto', calib_batches=8, quantile_candidates=(None, 0.99999, 0.9999, 0.999, 0.995))
    warm = ck_dir/'pipeline'/f"zsq_{ZSQConfig(**base).tag}_warmup.pt"
    held = None
    for name in names:
        cfg = ZSQConfig(**{**base, **LEVERS[name], 'out_dir': str(ck_dir/name)})
        t0 = time.time()
        r = train_zsq(fp, test, cfg, warm_start=warm if name != 'pipeline' and warm.exists() else None)
        held = held or held_out_batches(warm, a.batch, 0)
        row = dict(lever=name, changes=LEVERS[name], **r.summary(), wall_s=round(time.time() - t0, 1),
                   held_out_synthetic={k: round(v, 4) for k, v in output_agreement(fp, r.qmodel, held).items()})
        res['runs'].append(row); print(json.dumps(row), flush=True)
        out_path.write_text(json.dumps(res, indent=1))
    adopt(res); out_path.write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))
    return res

def adopt(res):
    "Mark each lever adopted or not by its held-out synthetic KL against the pipeline's (None without a pipeline run)."
    pipe = next((r for r in res['runs'] if r['lever'] == 'pipeline'), None)
    for r in res['runs']:
        r['adopt_by_synthetic_kl'] = None if pipe is None or r is pipe else r['held_out_synthetic']['kl'] < pipe['held_out_synthetic']['kl']
    return res

def merge_levers(files, out):
    "One levers JSON from shards run in parallel (same budget, same warm-up)."
    parts = [json.loads(Path(f).read_text()) for f in files]
    res = {k: v for k, v in parts[0].items() if k != 'runs'}
    res['runs'] = [r for p in parts for r in p['runs']]
    res['merged_from'] = [str(f) for f in files]
    Path(out).write_text(json.dumps(adopt(res), indent=1)); print(json.dumps(res, indent=1))
    return res

def summarize(res):
    "Mean and spread of the W3A3 seeds, mean throughput, total time."
    b = res['budget']; sub = 'main' if b['seed_iterations'] == b['iterations'] else 'seeds'
    w3 = [r for r in res['runs'] if r['bits'] == 'W3A3' and r['study'] == sub]
    if w3:
        summ = {}
        for akt in (False, True):
            v = [r['last_acc'] for r in w3 if r['akt'] == akt and r['last_acc'] is not None]
            if v: summ['akt' if akt else 'base'] = seed_summary(v, iterations=b['seed_iterations'])
        res['w3a3_seeds_last_acc'] = summ
    ips = [r['images_per_s'] for r in res['runs'] if r['images_per_s']]
    res['train_images_per_s_mean'] = round(statistics.mean(ips), 1) if ips else None
    res['total_wall_s'] = round(sum(r['wall_s'] for r in res['runs']), 1)
    return res

def merge(files, out):
    "One JSON from several partial ones (same budget and settings)."
    parts = [json.loads(Path(f).read_text()) for f in files]
    res = {k: v for k, v in parts[0].items() if k not in ('runs', 'w3a3_seeds_last_acc')}
    res['runs'] = [r for p in parts for r in p['runs']]
    res['merged_from'] = [str(f) for f in files]
    res['parallel_processes'] = len(files)
    summarize(res)
    Path(out).write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    args = parse(sys.argv[1:])
    if args.merge and args.levers: merge_levers(args.merge, args.out)
    elif args.merge: merge(args.merge, args.out)
    elif args.levers: levers(args)
    else: main(sys.argv[1:])
