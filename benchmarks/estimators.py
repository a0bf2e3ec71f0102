"""Every estimator of ``lnc.ESTIMATORS`` on 50,000 × 100 posteriors with their noisy labels, against cleanlab's
confident joint (``compute_confident_joint`` then ``estimate_latent``), the reference, timed in the same run.
Run: ``python benchmarks/estimators.py``.

The posteriors lean towards each example's noisy label; with 100 classes the anchor rule falls back to the argmax
(see ``lnc.estimate_T``), its warning silenced here. ``min_volume`` fits by gradient descent (2,000 steps on at most
5,000 rows): it is timed once, not at its best of seven.
"""

import warnings

import numpy as np
from _timing import best_time
from cleanlab.count import compute_confident_joint, estimate_latent

import lnc


def posteriors(n=50_000, c=100, seed=0):
    """``(probs, noisy)``: Dirichlet posteriors mixed half and half with the one-hot noisy label, float64."""
    rng = np.random.default_rng(seed)
    noisy = rng.integers(0, c, n)
    probs = 0.5 * rng.dirichlet(np.full(c, 0.1), size=n) + 0.5 * np.eye(c)[noisy]
    return probs / probs.sum(axis=1, keepdims=True), noisy


def main():
    probs, noisy = posteriors()
    warnings.simplefilter("ignore", UserWarning)
    reference = best_time(lambda: estimate_latent(compute_confident_joint(noisy, probs), noisy))
    print(f"estimators on {probs.shape[0]} x {probs.shape[1]} float64 posteriors with their noisy labels")
    print(f"{'estimator':<34} {'ms':>9} {'ratio':>6}")
    print(f"{'cleanlab confident joint (ref.)':<34} {1e3 * reference:9.1f} {1.0:6.2f}")
    for name in lnc.ESTIMATORS:
        run = lambda: lnc.estimate_T(probs, noisy, method=name)  # noqa: E731
        t = best_time(run, repeats=1 if name == "min_volume" else 7)
        print(f"{'lnc ' + name:<34} {1e3 * t:9.1f} {t / reference:6.2f}")


if __name__ == "__main__":
    main()
