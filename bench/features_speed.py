"""Speed of akt_vpc.vad.features on real Ped2 frames, one CPU thread: Farneback flow at two scales,
the motion descriptor, and object features with the offline CIFAR ResNet-20 and a random-weight CLIP RN101 trunk.
Run: python bench/features_speed.py  (prints JSON, writes bench/out/features_speed.json)."""
import json, os, platform, time
from pathlib import Path
import cv2, numpy as np, torch
from akt_vpc.core import require_shared
from akt_vpc.vad.motion import flow_field, clip_flows, motion_descriptor
from akt_vpc.vad.features import (object_features, CifarResNetEncoder,
                              ClipRN101Encoder, highlevel_vectors)

THREADS = 1
torch.set_num_threads(THREADS); cv2.setNumThreads(THREADS)

def timed(fn, reps=1):
    t = time.perf_counter()
    for _ in range(reps): out = fn()
    return (time.perf_counter() - t)/reps, out

def main(video='01', n=120):
    folder = require_shared(f'ped2/testing/frames/{video}/000.jpg').parent
    frames = [cv2.imread(str(folder/f'{i:03d}.jpg'), cv2.IMREAD_GRAYSCALE) for i in range(n)]
    res = dict(threads=THREADS, cpu=platform.processor() or platform.machine(), frames=n, frame_size=list(frames[0].shape))
    for s in (0.5, 1.0):
        flow_field(frames[0], frames[1], s)  # warm-up
        sec, flows = timed(lambda: clip_flows(frames, scale=s))
        res[f'flow_fps_scale{s}'] = round((n - 1)/sec, 1)
    flows5 = flows[:4]
    sec, _ = timed(lambda: motion_descriptor(flows5, (100, 80, 140, 160)), reps=200)
    res['motion_descriptor_ms_T5'] = round(sec*1e3, 3)
    tubes = torch.rand(8, 3, 5, 64, 64)
    enc = CifarResNetEncoder(require_shared('weights/resnet20_cifar10.pth'))
    object_features(enc, tubes[:1])
    sec, _ = timed(lambda: object_features(enc, tubes, c_out=32))
    res['cifar_object_crops_per_s'] = round(8*5/sec, 1)
    clip = ClipRN101Encoder(pretrained=False)
    sec, _ = timed(lambda: object_features(clip, tubes[:2], c_out=32, batch_size=10))
    res['clip_rn101_object_crops_per_s_224px'] = round(2*5/sec, 2)
    sec, _ = timed(lambda: highlevel_vectors(clip, torch.rand(5, 3, 240, 360)))
    res['clip_rn101_highlevel_frames_per_s'] = round(5/sec, 2)
    out = Path(__file__).parent/'out'; out.mkdir(exist_ok=True)
    (out/'features_speed.json').write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
