"""Zero-shot quantization of the public ResNet-20 (CIFAR-10) on CPU, scored on the shared CIFAR-10 JPEG test set.

For each bit-width: the quantized model with the data-free activation ranges the fine-tuning starts from (no
fine-tuning), AdaDFQ-style fine-tuning, and the same plus AKT (same seed, same budget, same warm-up); at W3A3 the
with/without-AKT pair is repeated over several seeds (a shorter budget per run is allowed) with mean and spread.
No real image is used for anything but the reported accuracies.

How the settings were chosen (never by test accuracy):
- Q lr 1e-4, Nesterov SGD, generator Adam 1e-3 (0.5, 0.999), T = 20, AKT reference form with lambda 1000: the
  reference values of the spec (ZSQ.md sections 3-6); lr 5e-4 / 1e-3 diverged there.
- Activation ranges: after the warm-up, reset and set from 8 fresh batches of the trained generator
  (calib_source='synthetic'), with the batch-quantile clipping chosen by quantile='auto': the candidate whose Q model
  agrees best with the FP model (smallest KL(FP || Q)) on 4 further held-out generator batches. The table of that
  choice is in the JSON (`range_selection`).
- Budget (iterations, batch): what fits the CPU time, as stated in the JSON.

Run: python bench/zsq_resnet20.py [--quick] [--iterations N] [--warmup N] [--batch B] [--seeds S] [--bits 4,3]
Prints JSON and writes bench/out/zsq_resnet20.json (rewritten after every run, so a partial run leaves its figures).
Checkpoints go to bench/out/zsq_ckpt/: a killed benchmark resumes where it stopped.
"""
import argparse, json, os, platform, statistics, sys, time
from pathlib import Path
import torch

os.environ.setdefault('AKT_VPC_QUIET', '1')
from akt_vpc.zsq_config import ZSQConfig
from akt_vpc.zsq import train_zsq
from akt_vpc.models import pretrained_resnet20
from akt_vpc.data import cifar10_jpeg_testset, evaluate

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
    p.add_argument('--merge', nargs='+', default=None, help='combine the JSONs of runs split over processes (e.g. --bits 4 / --bits 3) into --out')
    a = p.parse_args(argv)
    if a.quick:
        a.iterations, a.warmup, a.batch, a.seeds, a.test_n = 6, 4, 16, 2, a.test_n or 500
        a.out = a.out.replace('.json', '_quick.json')
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

def summarize(res):
    "Mean and spread of the W3A3 seeds, mean throughput, total time."
    b = res['budget']; sub = 'main' if b['seed_iterations'] == b['iterations'] else 'seeds'
    w3 = [r for r in res['runs'] if r['bits'] == 'W3A3' and r['study'] == sub]
    if w3:
        summ = {}
        for akt in (False, True):
            v = [r['last_acc'] for r in w3 if r['akt'] == akt and r['last_acc'] is not None]
            if v: summ['akt' if akt else 'base'] = dict(seeds=len(v), iterations=b['seed_iterations'], mean=round(statistics.mean(v), 2),
                                                       std=round(statistics.stdev(v), 2) if len(v) > 1 else None,
                                                       min=min(v), max=max(v), values=v)
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
    if args.merge: merge(args.merge, args.out)
    else: main(sys.argv[1:])
