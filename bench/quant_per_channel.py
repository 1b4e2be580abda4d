"""Per-tensor vs per-channel (GranQ-style) activation ranges on the public ResNet-20 (CIFAR-10), data-free.

For W4A4 and W3A3 and each activation-range granularity, one `akt_vpc.zsq.train.train_zsq` run (AdaDFQ + AKT, seed 0):
- ranges only: the accuracy of the quantized model with the data-free ranges the fine-tuning starts from
  (calib_source='synthetic': set from generator batches after the warm-up, the clipping quantile chosen by
  quantile='auto' on held-out generator batches, KL(FP || Q); no real image, no label);
- fine-tuned: after the same short fine-tuning budget (last iteration, no test-set selection).
train_zsq builds its quantized model with `quantize_model(fp, w, a, quantile=...)`; for the per-channel runs this
script points that name in `akt_vpc.zsq.train` at `quantize_model(..., act_granularity=PerChannel())`, nothing else differs.
Accuracies on a class-balanced subset of the shared CIFAR-10 JPEG test set (--test-n; labels used for scoring only).

Run: python bench/quant_per_channel.py [--bits 4,3] [--warmup 10] [--iterations 20] [--batch 16] [--test-n 1000]
(the defaults are the short budget that fit the shared 2-core machine; two processes, --bits 4 and --bits 3, then --merge)
     python bench/quant_per_channel.py --merge bench/out/quant_per_channel_w4.json bench/out/quant_per_channel_w3.json
Writes bench/out/quant_per_channel[_wK].json (after every run) and prints it; the merged file is the result.
"""
import argparse, functools, json, os, platform, time
from pathlib import Path
import torch

os.environ.setdefault('AKT_VPC_QUIET', '1')
import akt_vpc.zsq.train as zsq
from akt_vpc.zsq.config import ZSQConfig
from akt_vpc.zsq.quant import quantize_model
from akt_vpc.zsq.fake_quant import PerTensor, PerChannel
from akt_vpc.models import pretrained_resnet20
from akt_vpc.zsq.data import cifar10_jpeg_testset, evaluate

OUT = Path(__file__).parent/'out'

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--bits', default='4,3', help="bit-widths k of the WkAk runs")
    p.add_argument('--warmup', type=int, default=10, help='generator warm-up iterations')
    p.add_argument('--iterations', type=int, default=20, help='fine-tuning iterations')
    p.add_argument('--batch', type=int, default=16, help='synthetic images per iteration')
    p.add_argument('--test-n', type=int, default=1000, help='class-balanced test subset (10000: all)')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', default=None)
    p.add_argument('--merge', nargs='+', default=None, help='combine the JSONs of runs split over processes')
    a = p.parse_args(argv)
    a.bits = [int(b) for b in a.bits.split(',')]
    a.out = Path(a.out or OUT/f"quant_per_channel{'_w' + ''.join(map(str, a.bits)) if not a.merge else ''}.json")
    return a

def merge(files, out):
    parts = [json.loads(Path(f).read_text()) for f in files]
    res = {k: v for k, v in parts[0].items() if k != 'runs'}
    res['runs'] = [r for p in parts for r in p['runs']]
    res['merged_from'] = [str(f) for f in files]
    by = {(r['bits'], r['granularity']): r for r in res['runs']}
    res['summary'] = {f'W{b}A{b}': {g: dict(ranges_only=by[(b, g)]['quantized_only_acc'], fine_tuned=by[(b, g)]['last_acc'])
                                    for g in ('PerTensor', 'PerChannel') if (b, g) in by}
                      for b in sorted({r['bits'] for r in res['runs']}, reverse=True)}
    out.write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))

def main(argv=None):
    a = parse(argv)
    if a.merge: return merge(a.merge, a.out)
    torch.set_num_threads(a.threads)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    fp, test = pretrained_resnet20('cifar10'), cifar10_jpeg_testset(n=a.test_n)
    res = dict(benchmark='quant_per_channel', model='resnet20_cifar10 (shared chenyaofo weights)',
               test_set=f'shared CIFAR-10 JPEG q75 test set, class-balanced subset of {len(test)} images', device='cpu',
               threads=a.threads, cpu=platform.processor() or platform.machine(),
               budget=dict(warmup_iterations=a.warmup, iterations=a.iterations, batch_size=a.batch, seed=0),
               settings=dict(method='adadfq', akt=True, calib_source='synthetic', quantile='auto (KL on held-out generator batches)',
                             real_images_used_for_calibration=0),
               note='last_acc after the last iteration; no choice is made on test labels', runs=[])
    t = time.time(); res['fp_acc'] = round(evaluate(fp, test, device='cpu', desc='FP'), 2); res['fp_eval_s'] = round(time.time() - t, 1)
    original = zsq.quantize_model
    for bits in a.bits:
        for gran in (PerTensor(), PerChannel()):
            zsq.quantize_model = functools.partial(quantize_model, act_granularity=gran)
            cfg = ZSQConfig(w_bits=bits, a_bits=bits, method='adadfq', akt=True, iterations=a.iterations,
                            warmup_iterations=a.warmup, batch_size=a.batch, seed=0, device='cpu',
                            calib_source='synthetic', quantile='auto')
            t = time.time()
            r = zsq.train_zsq(fp, test, cfg, resume=False)
            res['runs'].append(dict(bits=bits, granularity=type(gran).__name__, quantized_only_acc=round(r.quantized_only_acc, 2),
                                    last_acc=round(r.last_acc, 2), act_quantile=r.act_quantile,
                                    range_selection=[{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                                                     for row in r.range_selection],
                                    wall_s=round(time.time() - t, 1)))
            a.out.write_text(json.dumps(res, indent=1))
    zsq.quantize_model = original
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
