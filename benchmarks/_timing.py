"""Helpers of the benchmark scripts: the best of several repeats (background noise inflates nothing) and the
forward correction's bare log-space formula, the reference its short route is measured against."""

import time

import numpy as np
import torch


def best_time(fn, repeats=7, number=1):
    """Best wall time (s) of ``number`` calls of ``fn`` over ``repeats`` repeats (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def log_space_formula(T):
    """``loss(logits, targets)``: ``-logsumexp(log_softmax(logits) + log T[:, targets].T)``, mean, float32, no
    checks."""
    log_T = torch.tensor(np.log(T), dtype=torch.float32)
    return lambda logits, targets: -torch.logsumexp(torch.log_softmax(logits, 1) + log_T.T[targets], 1).mean()
