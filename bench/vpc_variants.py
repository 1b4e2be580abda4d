"""VideoPatchCore variants that label-free validation rejected (bench/vpc_validation.py, bench/results/vpc_validation.json).

They left the library; the validation bench and the Ped2 bench rebuild them from here, as `Bank` subclasses (one class
per option value) and one `VideoPatchCore` subclass. Their recorded validation micro AUCs (rejected vs kept):
- object-motion pixels 'frames' (each flow's own foreground in the box), stage 0: 0.8657 vs 'middle' 0.8648 (within the
  0.005 tie rule, so the earlier-listed 'middle' stayed); at full-resolution flow 0.8430 vs 0.8427;
- motion entries 'all' (+ mean speed, box width, centre y): stage A 0.8380 vs 'hist_p90_height' 0.8435; stage J 0.8928 vs 0.8994;
- speeds per box height ('hist_p90_per_height'): stage A 0.7841 (per entry) / 0.7480 (per group);
- per-entry scaling ('entry'): stage A 0.8257 vs one scale per unit group 0.8435 (all entries: 0.8193 vs 0.8380);
- object-level fusion (per-object sum of z-scored distances, max over objects): stage H 0.8820 vs 0.8857.
`design(**kwargs)` builds a model from the option names those runs recorded (flow_scale, motion_mask, motion_entries,
motion_scaling, object_fusion, c_out, grid_rows, ratios, crop_side), so the recorded candidate lists run unchanged.
"""
import numpy as np
import torch
from akt_vpc.vad.banks import MotionBank, FlowGridBank
from akt_vpc.vad.objects import MotionDetector
from akt_vpc.vad.video import frame_scores
from akt_vpc.vad.vpc import VideoPatchCore, BANKS, DEFAULT_BANKS, smooth, _mean_std

class MotionAllEntries(MotionBank):
    "Object motion with all 13 entries (histogram, p90 and mean speed; box height, width, centre y): speeds and geometry."
    columns, groups = list(range(13)), (slice(0, 10), slice(10, 13))

class MotionPerHeight(MotionBank):
    "Object motion with the flow entries divided by the box height (speeds in box heights per frame)."
    def selected(self, x): return super().selected(torch.cat([x[..., :10] / x[..., 10:11].clamp_min(1e-3), x[..., 10:]], -1))

class MotionFramesMask(MotionBank):
    "Object motion on each flow's own foreground pixels inside the box (frames t and t+1), not the middle frame's component."
    def masks(self, clip):
        det = MotionDetector()
        fg = np.stack([det.mask(g, clip.background) for g in clip.gray])
        return [fg] * len(clip.boxes)

def entry_scaling(cls):
    "`cls` with each kept entry scaled to unit variance instead of one scale per unit group."
    return type(cls.__name__ + 'EntryScaled', (cls,), dict(groups=tuple(slice(i, i + 1) for i in range(len(cls.columns)))))

MOTION_VARIANTS = {('hist_p90_height', 'group'): MotionBank, ('hist_p90_height', 'entry'): entry_scaling(MotionBank),
                   ('all', 'group'): MotionAllEntries, ('all', 'entry'): entry_scaling(MotionAllEntries),
                   ('hist_p90_per_height', 'group'): MotionPerHeight, ('hist_p90_per_height', 'entry'): entry_scaling(MotionPerHeight)}

class ObjectFusionVPC(VideoPatchCore):
    "Object memories met per object first: max over objects of the weighted sum of their z-scored distances, then fused."
    def _objects(self): return [b for b in self.banks if 'objects' in b.needs]
    def _dists(self, b, feats, exclude=None): return [d ** self.scorer.power_n for d in b.distances(feats.clips[b.name], exclude)]
    def _object_scores(self, dists:dict, feats) -> np.ndarray:
        w, on = self.fusion.weight, self.object_norm
        zs = [[w(n) * (d - on[n][0]) / on[n][1] for d in dists[n]] for n in dists]
        empty = sum(-w(n) * on[n][0] / on[n][1] for n in dists)  # no object: as one at distance 0 everywhere
        cs = [sum(per).max() if len(per[0]) else empty for per in zip(*zs)]
        return smooth(frame_scores(np.array(cs), feats.n_frames, self.scorer.T), self.scorer.sigma)

    def fit_features(self, feats):
        super().fit_features(feats)
        loo = {b.name: [self._dists(b, f, i) for i, f in enumerate(feats)] for b in self._objects()}
        self.object_norm = {n: _mean_std(np.concatenate([x for d in v for x in d])) for n, v in loo.items()}
        self.fusion.norm['objects'] = _mean_std(np.concatenate([self._object_scores({n: loo[n][i] for n in loo}, f) for i, f in enumerate(feats)]))
        return self

    def score_features(self, feats):
        r = super().score_features(feats); obs = [b.name for b in self._objects()]
        raw = self._object_scores({b.name: self._dists(b, feats) for b in self._objects()}, feats)
        r['raw']['objects'] = raw; r['z']['objects'] = z = (raw - self.fusion.norm['objects'][0]) / self.fusion.norm['objects'][1]
        w = self.fusion.weight
        r['fused'] = sum(w(n) * r['z'][n] for n in self.names if n not in obs) + sum(w(n) for n in obs) * z
        return r

def design(banks=DEFAULT_BANKS, flow_scale=0.5, motion_mask='middle', motion_entries='hist_p90_height', motion_scaling='group',
           object_fusion=False, c_out=32, grid_rows=15, ratios=None, crop_side=None, **kwargs) -> VideoPatchCore:
    "A model from the option names the validation runs recorded (the rejected values come from the classes above)."
    motion = MOTION_VARIANTS[(motion_entries, motion_scaling)]
    if motion_mask == 'frames': motion = type(motion.__name__ + 'Frames', (MotionFramesMask, motion), {})
    opts = dict(motion=dict(flow_scale=flow_scale), flowgrid=dict(flow_scale=flow_scale, grid_rows=grid_rows),
                spatial=dict(c_out=c_out, size=crop_side), temporal=dict(c_out=c_out, size=crop_side), appearance=dict(size=crop_side))
    r = {} if ratios is None else ({b: float(ratios) for b in banks if b != 'flowgrid'} if np.isscalar(ratios) else ratios)
    made = [(motion if b == 'motion' else BANKS[b])(**opts.get(b, {}), **({'ratio': r[b]} if b in r else {})) for b in banks]
    return (ObjectFusionVPC if object_fusion else VideoPatchCore)(banks=made, **kwargs)
