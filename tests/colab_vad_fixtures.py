"""Local stand-ins for every download of the VideoPatchCore tutorial, for the Colab rehearsal (no network here).

`vad_fixtures(tmp)` builds under `tmp`, in the real formats:
- `UCSD_Anomaly_Dataset.tar.gz`: the official archive's name, format and layout (`UCSD_Anomaly_Dataset.v1p2/UCSDped2/
  {Train,Test}/...NNN/NNN.tif`, `Test/TestNNN_gt/NNN.bmp` masks, `Test/UCSDped2.m` with `gt_frame` lines, and a stub
  `UCSDped1/` that the loader must leave packed), holding a 10-frame window of 3 training and 2 test videos of the
  shared Ped2 copy (each test window straddles the start of its anomaly), or of a generated street scene at
  Ped2's 240x360 when the shared data is absent;
- `RN101.pt`: a TorchScript archive (fp16, like OpenAI's) of a model whose state dict has CLIP RN101's `visual.` key
  names up to `layer3` and a `logit_scale`, with random weights;
- `yolox_nano.onnx`: the shared copy of YOLOX-Nano (another export of the release's model, so another sha256), served
  at the release URL; without the shared data no stand-in is made and the tutorial's detector cell cannot run;
- a torch.hub folder holding `ultralytics_yolov5_master/hubconf.py`, whose `yolov5l(pretrained=True)` returns a module
  that takes a list of HWC RGB uint8 frames and returns AutoShape-like results (`.xyxy[i]`: (n, 6) x1, y1, x2, y2,
  conf, cls): one person box over the middle of each frame. Like the real `hubconf.py` it needs no network once
  cached; unlike it, it does not import `ultralytics`.

It returns `{'urls': {url: local file}, 'hub_dir': the torch.hub folder, 'env': {name: value}, 'accept': accept_fixtures}`.
`env` points torch.hub (`TORCH_HOME`) and our download cache (`AKT_VPC_CACHE`) into `tmp`. The stand-ins' sha256
differ from the real files': `accept_fixtures(urls)`, called in the process that runs the tutorial's cells, sets the
expected checksums of the matching entries of `akt_vpc.vad.official_archives.ARCHIVES` and `akt_vpc.vad.clip_rn101.CLIP_RN101_SOURCES`
(and `yolox_nano_file`'s default `sha256`) to the stand-ins' and returns a function that restores them. The harness maps each URL to its file in the
network layer (`akt_vpc.core._fetch`).
"""
import tarfile, warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from akt_vpc.core import file_sha256, shared_file
from akt_vpc.vad.video import Video, VideoDataset
from akt_vpc.vad.street_scene import street_scene
from akt_vpc.vad.datasets import load_ped2
from akt_vpc.vad.official_archives import ARCHIVES, save_ucsd
from akt_vpc.vad.clip_rn101 import CLIP_RN101_URL, ClipTrunk
from akt_vpc.vad.yolox import YOLOX_NANO_URL, YOLOX_NANO_SHARED

N_FRAMES, N_TRAIN, N_TEST = 10, 3, 2

HUBCONF = '''"""YOLOv5-shaped stand-in for the Colab rehearsal: AutoShape's call and result format, no weights."""
import torch

class _Results:
    def __init__(self, boxes): self.xyxy = boxes; self.pred = boxes

class _AutoShapeLike(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.w = torch.nn.Parameter(torch.zeros(1))
    def forward(self, imgs, size=640):
        imgs = imgs if isinstance(imgs, list) else [imgs]
        out = []
        for im in imgs:
            H, W = im.shape[:2]
            out.append(torch.tensor([[W / 3, H / 4, 2 * W / 3, 3 * H / 4, 0.9, 0.]], device=self.w.device))
        return _Results(out)

def _model(pretrained=True, channels=3, classes=80, autoshape=True, _verbose=True, device=None):
    return _AutoShapeLike()

yolov5n = yolov5s = yolov5m = yolov5l = yolov5x = _model
'''


def _window(v:Video, start:int, name:str) -> Video:
    "Frames [start, start + N_FRAMES) of `v` in memory, with their labels."
    frames = v.load(start=start, stop=start + N_FRAMES)
    return Video(name, frames, None if v.labels is None else v.labels[start:start + N_FRAMES])


def ped2_subset() -> VideoDataset:
    "Short windows of a few Ped2 videos (shared copy), or of a generated street scene at 240x360 without it."
    if shared_file('ped2/ped2.mat') is not None: ds = load_ped2()
    else: ds = street_scene(n_train=N_TRAIN, n_test=N_TEST, n_frames=60, size=(240, 360))
    train = [_window(v, 0, v.name) for v in ds.train[:N_TRAIN]]
    test = []
    for v in ds.test[:N_TEST]:
        a = int(np.flatnonzero(v.labels)[0])  # the anomaly's first frame: the window holds both kinds
        test.append(_window(v, max(0, min(a - N_FRAMES // 2, len(v) - N_FRAMES)), v.name))
    return VideoDataset('ped2', train, test)


def ucsd_archive(tmp:Path) -> Path:
    "`UCSD_Anomaly_Dataset.tar.gz` in the official layout."
    src = tmp/'ucsd_src'/'UCSD_Anomaly_Dataset.v1p2'
    save_ucsd(ped2_subset(), src/'UCSDped2')
    (src/'UCSDped1'/'Train'/'Train001').mkdir(parents=True, exist_ok=True)
    (src/'UCSDped1'/'Train'/'Train001'/'001.tif').write_bytes((src/'UCSDped2'/'Train'/'Train001'/'001.tif').read_bytes())
    out = tmp/ARCHIVES['ped2'][0].fname
    with tarfile.open(out, 'w:gz') as t: t.add(src, 'UCSD_Anomaly_Dataset.v1p2')
    return out


class _WholeClip(nn.Module):
    "A model whose state dict has CLIP's `visual.` names (the trunk up to layer3) and a `logit_scale`."
    def __init__(self):
        super().__init__(); self.visual = ClipTrunk(); self.logit_scale = nn.Parameter(torch.ones(()))
    def forward(self, x): return self.visual(x) * self.logit_scale


def clip_archive(tmp:Path) -> Path:
    "A TorchScript archive in fp16 with CLIP RN101's key names and random weights."
    torch.manual_seed(0)
    out = tmp/'RN101.pt'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        traced = torch.jit.trace(_WholeClip().eval(), torch.rand(1, 3, 32, 32))
        traced.half().save(str(out))
    return out


def hub_folder(tmp:Path) -> Path:
    "A torch.hub folder with a cached `ultralytics_yolov5_master` repository."
    hub = tmp/'torch_home'/'hub'
    (hub/'ultralytics_yolov5_master').mkdir(parents=True, exist_ok=True)
    (hub/'ultralytics_yolov5_master'/'hubconf.py').write_text(HUBCONF)
    return hub


def accept_fixtures(urls:dict):
    "Expect the stand-ins' sha256 for the URLs in `urls` (this process only); returns a function that restores the real ones."
    from akt_vpc.vad import official_archives, clip_rn101 as clip, yolox
    old_archives, old_clip = dict(official_archives.ARCHIVES), clip.CLIP_RN101_SOURCES
    old_yolox = yolox.yolox_nano_file.__defaults__   # (download_ok, url, sha256)
    if YOLOX_NANO_URL in urls: yolox.yolox_nano_file.__defaults__ = old_yolox[:2] + (file_sha256(urls[YOLOX_NANO_URL]),)
    for k, v in old_archives.items():
        official_archives.ARCHIVES[k] = tuple(replace(a, sha256=file_sha256(urls[a.urls[0]])) if a.urls[0] in urls else a for a in v)
    clip.CLIP_RN101_SOURCES = tuple((u, f, file_sha256(urls[u]) if u in urls else s) for u, f, s in old_clip)
    def restore():
        official_archives.ARCHIVES.clear(); official_archives.ARCHIVES.update(old_archives); clip.CLIP_RN101_SOURCES = old_clip
        yolox.yolox_nano_file.__defaults__ = old_yolox
    return restore


def vad_fixtures(tmp:Path) -> dict:
    "Stand-ins for the VideoPatchCore tutorial's downloads under `tmp` (see the module's docstring)."
    tmp = Path(tmp); tmp.mkdir(parents=True, exist_ok=True)
    urls = {ARCHIVES['ped2'][0].urls[0]: ucsd_archive(tmp), CLIP_RN101_URL: clip_archive(tmp)}
    if shared_file(YOLOX_NANO_SHARED) is not None: urls[YOLOX_NANO_URL] = shared_file(YOLOX_NANO_SHARED)
    hub = hub_folder(tmp)
    env = {'TORCH_HOME': str(hub.parent), 'AKT_VPC_CACHE': str(tmp/'cache')}
    return {'urls': urls, 'hub_dir': hub, 'env': env, 'accept': accept_fixtures}
