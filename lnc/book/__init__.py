"""Helpers of the book's theory chapters: exact Hessians (:mod:`~lnc.book.curvature`), the conditional-risk
minimiser (:mod:`~lnc.book.risk`), simulated posteriors (:mod:`~lnc.book.simulation`), T heat-maps
(:mod:`~lnc.book.plots`), warnings shown without file paths (:mod:`~lnc.book.display`).
``T[i, j] = P(noisy = j | clean = i)``."""
