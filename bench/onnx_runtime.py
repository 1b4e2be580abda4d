"""Integer runtime: the public ResNet-20 (CIFAR-10) in torch FP32, onnxruntime FP32 and onnxruntime int8 (QDQ W8A8).

One run measures, side by side and interleaved (round-robin, median of the rounds), the latency (batch 1) and
throughput (batch 64) of the three engines with 1 and 2 threads, and reports them as ratios to torch FP32 in the
same setting; plus file sizes, what onnxruntime runs in integers, and the accuracies on the shared CIFAR-10 JPEG
test set: torch FP32, our fake-quantized W8A8 and its onnxruntime export (and onnxruntime FP32).
The W8A8 activation ranges are calibrated on random Gaussian images (no real image).

Run: python bench/onnx_runtime.py [--rounds 7] [--test-n 10000]
Writes bench/out/onnx_runtime.json and prints it.
"""
import argparse, json, os, platform, statistics, time, warnings
from pathlib import Path
import torch

os.environ.setdefault('AKT_VPC_QUIET', '1')
from akt_vpc.models import pretrained_resnet20
from akt_vpc.zsq.quant import quantize_model, calibrate
from akt_vpc.zsq.export import export_onnx, OnnxModule, runtime_ops
from akt_vpc.zsq.data import cifar10_jpeg_testset, evaluate

OUT = Path(__file__).parent/'out'

def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rounds', type=int, default=7, help='timing rounds (each engine once per round)')
    p.add_argument('--test-n', type=int, default=10000, help='test images for the accuracies (class-balanced subset)')
    p.add_argument('--out', default=str(OUT/'onnx_runtime.json'))
    return p.parse_args(argv)

def timed(fn, x, calls):
    "Seconds per call of `fn(x)`, over `calls` calls."
    t = time.perf_counter()
    for _ in range(calls): fn(x)
    return (time.perf_counter() - t) / calls

def main(argv=None):
    a = parse(argv)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    fp = pretrained_resnet20('cifar10')
    q8 = calibrate(quantize_model(fp, 8, 8), torch.randn(256, 3, 32, 32).split(64))
    p_int8 = export_onnx(q8, OUT/'resnet20_w8a8.onnx')
    p_fp32 = OUT/'resnet20_fp32.onnx'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(fp, torch.zeros(1, 3, 32, 32), str(p_fp32), dynamo=False, opset_version=13, input_names=['input'],
                          output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    torch.save(fp.state_dict(), OUT/'resnet20_fp32.pt')
    res = dict(benchmark='onnx_runtime', model='resnet20_cifar10 (shared chenyaofo weights)', device='cpu',
               cpu=platform.processor() or platform.machine(), torch=torch.__version__,
               onnxruntime=__import__('onnxruntime').__version__, rounds=a.rounds,
               note='times are medians over interleaved rounds on a shared machine; ratios are to torch FP32 in the same setting',
               file_mb={k: round(p.stat().st_size / 2**20, 3) for k, p in
                        [('torch_fp32_state_dict', OUT/'resnet20_fp32.pt'), ('onnx_fp32', p_fp32), ('onnx_int8_qdq', p_int8)]},
               int8_runtime_ops=dict(runtime_ops(p_int8)))
    timing = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        engines = {'torch_fp32': fp, 'ort_fp32': OnnxModule(p_fp32, threads), 'ort_int8': OnnxModule(p_int8, threads)}
        for batch, calls in ((1, 50), (64, 3)):
            x = torch.randn(batch, 3, 32, 32)
            with torch.no_grad():
                for e in engines.values(): e(x)   # warm-up
                secs = {k: [] for k in engines}
                for _ in range(a.rounds):
                    for k, e in engines.items(): secs[k].append(timed(e, x, calls))
            med = {k: statistics.median(v) for k, v in secs.items()}
            row = dict(threads=threads, batch=batch,
                       **{f'{k}_ms': round(1000 * v, 3) for k, v in med.items()},
                       **{f'{k}_images_per_s': round(batch / v, 1) for k, v in med.items()},
                       **{f'{k}_speedup_vs_torch_fp32': round(med['torch_fp32'] / v, 3) for k, v in med.items() if k != 'torch_fp32'},
                       ort_int8_speedup_vs_ort_fp32=round(med['ort_fp32'] / med['ort_int8'], 3))
            timing.append(row); print(row, flush=True)
    res['timing'] = timing
    torch.set_num_threads(2)
    test = cifar10_jpeg_testset(n=a.test_n)
    res['test_set'] = f'shared CIFAR-10 JPEG q75 test set ({len(test)} images)'
    res['accuracy'] = dict(torch_fp32=round(evaluate(fp, test, device='cpu'), 2),
                           ort_fp32=round(evaluate(OnnxModule(p_fp32, 2), test, device='cpu'), 2),
                           fake_quant_w8a8=round(evaluate(q8, test, device='cpu'), 2),
                           ort_int8_w8a8=round(evaluate(OnnxModule(p_int8, 2), test, device='cpu'), 2))
    res['accuracy']['int8_minus_fake_quant_pt'] = round(res['accuracy']['ort_int8_w8a8'] - res['accuracy']['fake_quant_w8a8'], 2)
    out.write_text(json.dumps(res, indent=1)); print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
