"""Timing helper of the benchmark scripts: best of several repeats, so background noise inflates nothing."""

import time


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
