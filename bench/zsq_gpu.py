"""The AKT paper's protocol on one GPU within a time budget: ResNet-20 CIFAR-10, W4A4 and W3A3, AdaDFQ with and
without AKT, scored on the shared CIFAR-10 JPEG test set (no network: the weights and the test set come from
$AKT_VPC_DATA or a `shared/data` folder above the working directory).

Schedule (the reference's, scaled to the budget): batch 200, Q model SGD Nesterov lr 1e-4 divided by 10 half-way
(`lr_schedule='step'`), generator Adam 1e-3, T = 20, AKT reference form with lambda 1000, a generator warm-up of 2%
of the fine-tuning iterations (the reference's 4 of 200 epochs; at least 50). The AKT run of a bit-width starts
from its base run's warm-up checkpoint (`warm_start`), so both see the same generator and the same start.
Activation ranges: `--calib synthetic` (default: set after the warm-up from 8 batches of the trained generator, the
clipping quantile chosen by the agreement of Q and FP outputs on 4 held-out generator batches, no real image) or
`--calib warmup` (the reference's EMA over the warm-up).

How the number of iterations is chosen: a short probe run (warm-up 5, 20 iterations, AKT on, no test data) times a
training iteration, the FP evaluation times an evaluation, and the iterations N of every run are the largest that
let the 4 runs (2 warm-ups of max(50, N/50) iterations, 4 x N iterations, 8 evaluations, 4 range settings) fit in
what is left of `--budget-s` (default 480 s = 8 minutes, 10% kept as margin). `--iterations` overrides it.

Block reconstruction (`--reconstruct`, on by default): before the AdaDFQ runs, the package's zero-shot pipeline
by block reconstruction (`akt_vpc.zsq.reconstruct_run.run_reconstruction`: 1,024 synthetic images, half
from a GDFQ generator and half BN-matched, AdaRound + LSQ for `--rec-iterations` steps a block, default 2000, the
choice of bench/results/zsq_reconstruct_long.json) for each bit-width, with and without its AKT term; its time comes out of the budget before the AdaDFQ runs are sized.

Run:  python bench/zsq_gpu.py [--budget-s 480] [--device cuda]   -> bench/results/zsq_gpu.json
      python bench/zsq_gpu.py --tiny                             -> bench/out/zsq_gpu_tiny.json (CPU, seconds)
"""
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path
import torch

os.environ.setdefault('AKT_VPC_QUIET', '1')
from akt_vpc.core import pick_device
from akt_vpc.zsq.config import ZSQConfig
from akt_vpc.zsq.train import train_zsq
from akt_vpc.models import pretrained_resnet20
from akt_vpc.zsq.data import cifar10_jpeg_testset, evaluate
from akt_vpc.zsq.reconstruct_run import run_reconstruction, image_shape

BENCH = Path(__file__).parent

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--budget-s', type=float, default=480.0, help='wall-clock budget of the whole benchmark, seconds')
    p.add_argument('--device', default='auto', help="'cuda', 'cuda:N', 'cpu' or 'auto'")
    p.add_argument('--batch', type=int, default=200, help='synthetic images per iteration (reference: 200)')
    p.add_argument('--iterations', type=int, default=None, help='fine-tuning iterations per run (default: sized to the budget)')
    p.add_argument('--bits', default='4,3', help="bit-widths k of the WkAk runs")
    p.add_argument('--calib', default='synthetic', choices=['synthetic', 'warmup'], help='how the activation ranges are set')
    p.add_argument('--reconstruct', action=argparse.BooleanOptionalAction, default=True,
                   help="first run the block-reconstruction pipeline per bit-width, with and without AKT (--no-reconstruct: AdaDFQ only)")
    p.add_argument('--rec-iterations', type=int, default=2000,
                   help='Adam steps per block of the block reconstruction (2000: the choice of zsq_reconstruct_long.json)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--test-n', type=int, default=None, help='score on a class-balanced subset of the test set')
    p.add_argument('--tiny', action='store_true', help='CPU smoke run: batch 8, 3 iterations, warm-up 2, 200 test images')
    p.add_argument('--out', default=None, help='JSON path (default: bench/results/zsq_gpu.json, or bench/out/zsq_gpu_tiny.json)')
    a = p.parse_args(argv)
    if a.budget_s <= 0: p.error(f"--budget-s: expected seconds > 0, got {a.budget_s}")
    if a.iterations is not None and a.iterations < 1: p.error(f"--iterations: expected >= 1, got {a.iterations}")
    if a.rec_iterations < 1: p.error(f"--rec-iterations: expected >= 1, got {a.rec_iterations}")
    if a.tiny:
        a.device, a.batch, a.iterations, a.test_n = 'cpu', 8, a.iterations or 3, a.test_n or 200
        torch.set_num_threads(1)
    a.out = Path(a.out or (BENCH/'out'/'zsq_gpu_tiny.json' if a.tiny else BENCH/'results'/'zsq_gpu.json'))
    a.bits = [int(b) for b in a.bits.split(',')]
    return a

def warmup_for(iterations:int, tiny:bool=False) -> int:
    "Warm-up iterations for a run of `iterations`: 2% of it (the reference's 4 of 200 epochs), at least 50."
    return 2 if tiny else max(50, iterations // 50)

def config(a, bits, akt, iterations, device, out_dir, warmup=None):
    return ZSQConfig(w_bits=bits, a_bits=bits, method='adadfq', akt=akt, iterations=iterations,
                     warmup_iterations=warmup if warmup is not None else warmup_for(iterations, a.tiny),
                     batch_size=a.batch, seed=a.seed, device=device, lr_schedule='step', lr_step_at=0.5,
                     checkpoint_every=10**9, out_dir=out_dir, calib_source=a.calib,
                     quantile='auto' if a.calib == 'synthetic' else None, calib_batches=8,
                     quantile_candidates=(None, 0.99999, 0.9999, 0.999, 0.995), img_size=a.img_size)

def size_schedule(a, fp, device, t_eval, elapsed, runs):
    "Time a short probe run; the largest iterations per run that fit the rest of the budget."
    probe_iters, probe_warm = (3, 2) if a.tiny else (20, 5)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.time()
        r = train_zsq(fp, None, config(a, a.bits[0], True, probe_iters, device, d, warmup=probe_warm))
        probe_s = time.time() - t0
    t_iter = a.batch / r.images_per_s
    t_fixed = max(0.0, probe_s - (probe_iters + probe_warm) * t_iter)     # range setting and start-up
    left = 0.9 * a.budget_s - elapsed - probe_s - runs * (2 * t_eval + t_fixed)
    per_iter = t_iter * (runs + len(a.bits) * 2 / 50)   # 4 runs of N plus 2 warm-ups of N/50
    n = int(left / per_iter) if left > 0 else 0
    return n, dict(probe_s=round(probe_s, 2), s_per_iteration=round(t_iter, 4), fixed_s_per_run=round(t_fixed, 2),
                   eval_s=round(t_eval, 2), seconds_left_for_training=round(left, 1))

def reconstruction_runs(a, fp, test, device, res) -> list:
    "`run_reconstruction` (`--rec-iterations` steps a block; a tiny budget with --tiny) per bit-width, without and with AKT."
    budget = dict(images=32, iterations=3, generator_iterations=2, bn_steps=2) if a.tiny else dict(iterations=a.rec_iterations)
    rows = res.setdefault('reconstruction', [])
    for bits in a.bits:
        for akt in (False, True):
            t0 = time.time()
            r = run_reconstruction(fp, test, w_bits=bits, a_bits=bits, akt=akt, device=device, seed=a.seed, **budget)
            rows.append(dict(r.to_dict(), bits=f'W{bits}A{bits}', akt=akt, wall_s=round(time.time() - t0, 1),
                             gain_over_start=round(r.last_acc - r.quantized_only_acc, 2)))
            a.out.write_text(json.dumps(res, indent=1)); print(json.dumps(rows[-1]), flush=True)
    return rows

def main(argv=None):
    a = parse(argv)
    t_start = time.time()
    device = pick_device(a.device)
    if device.type == 'cuda': torch.backends.cudnn.benchmark = True
    fp, test = pretrained_resnet20('cifar10'), cifar10_jpeg_testset(n=a.test_n)
    a.img_size = image_shape(fp, test)[-1]    # the side of the synthetic images: the test set's (square)
    t0 = time.time(); fp_acc = evaluate(fp, test, device=device, desc='FP'); t_eval = time.time() - t0
    res = dict(benchmark='zsq_gpu', protocol='AKT paper: ResNet-20 CIFAR-10, AdaDFQ with and without AKT',
               device=str(device), device_name=torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.processor() or platform.machine(),
               torch=torch.__version__, budget_s=a.budget_s, tiny=a.tiny,
               test_set=f'shared CIFAR-10 JPEG q75 test set ({len(test)} images)', fp_acc=round(fp_acc, 2), img_size=a.img_size,
               settings=dict(batch_size=a.batch, q_lr=1e-4, g_lr=1e-3, lr_schedule='step x0.1 at 50%', T=20,
                             akt_form='reference', akt_lambda=1000, calib_source=a.calib,
                             quantile="auto: smallest KL(FP||Q) on 4 held-out generator batches" if a.calib == 'synthetic' else None,
                             real_images_used_for_calibration_or_choices=0),
               note='best_acc_test_selected is test-set model selection (as the papers report); last_acc is the honest figure',
               runs=[])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.reconstruct: reconstruction_runs(a, fp, test, device, res)
    runs = 2 * len(a.bits)
    if a.iterations is None or a.tiny:    # --tiny probes too (to run that code), then keeps its 3 iterations
        n, res['sizing'] = size_schedule(a, fp, device, t_eval, time.time() - t_start, runs)
        if n < 1 and not a.tiny: raise SystemExit(f"--budget-s: {a.budget_s} s leaves no time for training on {device} ({res['sizing']})")
    n = a.iterations or n
    res['iterations'], res['warmup_iterations'] = n, warmup_for(n, a.tiny)
    with tempfile.TemporaryDirectory() as ck:
        for bits in a.bits:
            warm = None
            for akt in (False, True):
                cfg = config(a, bits, akt, n, device, ck)
                t0 = time.time()
                r = train_zsq(fp, test, cfg, warm_start=warm)
                row = dict(**r.summary(), bits=f'W{bits}A{bits}', akt=akt, wall_s=round(time.time() - t0, 1),
                           gain_over_start=None if r.summary()['last_acc'] is None else round(r.last_acc - r.quantized_only_acc, 2))
                res['runs'].append(row); a.out.write_text(json.dumps(res, indent=1))
                print(json.dumps(row), flush=True)
                if not akt: warm = Path(ck)/f'zsq_{cfg.tag}_warmup.pt'   # the AKT twin starts from this warm-up
    res['total_wall_s'] = round(time.time() - t_start, 1)
    res['within_budget'] = res['total_wall_s'] <= a.budget_s
    a.out.write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))
    return res

if __name__ == '__main__':
    main(sys.argv[1:])
