"""Fused fake-quantize kernels vs the written-out formula: speed and agreement, side by side in one run.

Usage: python bench/quant_fused.py [--threads 1] [--repeats 20]
Prints JSON (and writes bench/out/quant_fused.json): per tensor shape and device, milliseconds per call
for torch's fused kernel and for `fake_quant_reference`, their ratio (fused / formula; < 1 means fused is faster)
and the fraction of elements where the two differ by more than 1e-5 of the range.
"""
import argparse, json, platform, time
from pathlib import Path
import torch
from akt_vpc.zsq.fake_quant import _fused_fake_quant, fake_quant_reference


def timeit(f, repeats, sync):
    f(); sync()
    t = time.perf_counter()
    for _ in range(repeats): f()
    sync()
    return (time.perf_counter() - t) / repeats * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    rows = []
    for dev in devices:
        sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
        g = torch.Generator().manual_seed(0)
        cases = [('activation per-tensor', torch.randn(128, 16, 32, 32, generator=g).relu(), None),
                 ('activation per-tensor', torch.randn(128, 64, 8, 8, generator=g).relu(), None),
                 ('weight per-channel', torch.randn(64, 64, 3, 3, generator=g), 0)]
        for kind, x, axis in cases:
            x = x.to(dev)
            if axis is None: lo, hi = x.min(), x.max()
            else: flat = x.flatten(1); lo, hi = flat.min(1).values, flat.max(1).values
            for bits in (4, 8):
                fused = lambda: _fused_fake_quant(x, lo, hi, bits, axis, True)
                ref = lambda: fake_quant_reference(x, lo, hi, bits, axis)
                a, b = fused(), ref()
                tf, tr = timeit(fused, args.repeats, sync), timeit(ref, args.repeats, sync)
                rng = (hi - lo).max().item()
                rows.append(dict(device=dev, kind=kind, shape=list(x.shape), bits=bits, fused_ms=round(tf, 4), formula_ms=round(tr, 4),
                                 ratio_fused_over_formula=round(tf / tr, 3),
                                 frac_differ=float(((a - b).abs() > 1e-5 * rng).float().mean())))
    out = dict(torch=torch.__version__, machine=platform.machine(), threads=args.threads, rows=rows)
    text = json.dumps(out, indent=1)
    print(text)
    Path('bench/out').mkdir(parents=True, exist_ok=True)
    Path('bench/out/quant_fused.json').write_text(text)


if __name__ == '__main__':
    main()
