"""``lnc.estimate_T`` on 50,000 × 100 posteriors (goal: <= 50 ms), against the plain full-sort implementation
(numpy's column quantile, then a masked argmax) measured in the same run. Run: ``python benchmarks/estimation.py``.

With 100 classes the 97% rule falls back to the argmax in every column (each class holds 1% of the examples,
see ``lnc.estimate_T``): the timing still includes the rule's quantiles, the check and the fallback.
"""

import warnings

import numpy as np
from _timing import best_time

import lnc
from lnc.estimation import _quantile_anchors


def full_sort(probs, quantile=0.97):
    threshold = np.quantile(probs, quantile, axis=0, method="higher")
    below = np.where(probs < threshold, probs, -np.inf)
    return np.where(np.isfinite(below.max(axis=0)), below.argmax(axis=0), probs.argmax(axis=0))


def main(n=50_000, c=100):
    rng = np.random.default_rng(0)
    logits = 3.0 * rng.normal(size=(n, c))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert np.array_equal(_quantile_anchors(probs, 0.97)[0], full_sort(probs))
    warnings.simplefilter("ignore", UserWarning)
    base = best_time(lambda: full_sort(probs))
    print(f"estimate_T on {n} x {c} float64 posteriors")
    print(f"{'implementation':<34} {'ms':>7} {'ratio':>6}")
    for name, fn in (
        ("full sort (np.quantile)", lambda: full_sort(probs)),
        ("lnc.estimate_T, quantile 0.97", lambda: lnc.estimate_T(probs)),
        ("lnc.estimate_T, float32 input", lambda: lnc.estimate_T(probs.astype(np.float32))),
        ("lnc.estimate_T, argmax (None)", lambda: lnc.estimate_T(probs, quantile=None)),
    ):
        t = best_time(fn)
        print(f"{name:<34} {1e3 * t:7.1f} {t / base:6.2f}")


if __name__ == "__main__":
    main()
