"""Variants of the attribute detector (akt_vpc.vad.attribute_vad) that bench/vpc_attr_validation.py compares and the library
does not keep unless validation adopts them: a Gaussian-mixture velocity density (the anchor's kind of density for velocity),
z-score scaling, and a frame score corrected for the number of objects in the frame.
"""
import numpy as np
from akt_vpc.vad.attribute_vad import VelocityMemory, TrainingScale, AttributeScorer

class GmmVelocityMemory(VelocityMemory):
    """Velocity density by a Gaussian mixture (full covariances): distance = -log p(x); leaving a video out refits without it.
    Each fit reads at most `max_rows` rows drawn at random (seed): a full fit of Ped2's ~19,000 objects took 71 s at one thread."""
    def __init__(self, k:int=1, n_components:int=5, seed:int=0, max_rows:int=3000):
        super().__init__(k); self.n_components, self.seed, self.max_rows, self._fits = n_components, seed, max_rows, {}
    def fit(self, parts):
        super().fit(parts); self._parts = [np.asarray(p, np.float64) for p in parts]; self._fits = {}; return self
    def gmm(self, exclude):
        from sklearn.mixture import GaussianMixture
        key = exclude if exclude in self.videos and len(self.videos) > 1 else None
        if key not in self._fits:
            x = np.concatenate([p for i, p in enumerate(self._parts) if i != key and len(p)])
            if len(x) > self.max_rows: x = x[np.random.default_rng(self.seed).choice(len(x), self.max_rows, replace=False)]
            self._fits[key] = GaussianMixture(self.n_components, covariance_type='full', reg_covar=1e-4, random_state=self.seed).fit(x)
        return self._fits[key]
    def distances(self, x, exclude=None):
        if len(x) == 0: return np.zeros(0)
        return -self.gmm(exclude).score_samples(np.asarray(x, np.float64))

class ZScale(TrainingScale):
    "z-scores of the training distances, (d - mean) / std (how the package's VideoPatchCore fuses its memories)."
    def fit(self, d):
        d = np.asarray(d, np.float64); self.lo, self.hi = float(d.mean()), float(d.mean() + d.std()); return self

class ZScorer(AttributeScorer):
    "Memories z-scored by their leave-one-video-out training distances instead of min / quantile."
    def scale(self): return ZScale()

class CrowdScorer(AttributeScorer):
    """Frame score = max over objects - beta * log(objects in the frame): how the largest of N normal scores grows under an
    exponential tail; beta = mean excess of the training objects' summed scaled scores over their median."""
    beta = 0.
    def raw_frames(self, table, scaled):
        out = super().raw_frames(table, scaled)
        n = np.bincount(np.asarray(table.frame, np.int64), minlength=table.n_frames)
        out['fused'] = out['fused'] - self.beta * np.log(np.maximum(n, 1))
        return out
    def fit_frames(self, tables, scaled):
        s = np.concatenate([sum(d.values()) for d in scaled if len(next(iter(d.values())))])
        med = np.median(s); self.beta = float(np.mean(s[s > med] - med))
        super().fit_frames(tables, scaled)
