"""The experiment machinery of the book: data, networks, recipes, the training loop, the two-stage protocol and
its records. ``T[i, j] = P(noisy = j | clean = i)`` everywhere.

- :mod:`~lnc.experiments.datasets`: files (checksums, cache), MNIST / Fashion-MNIST / CIFAR / CIFAR-N, noisy splits
- :mod:`~lnc.experiments.text`: IMDB, tokenised
- :mod:`~lnc.experiments.web`: Clothing1M / mini-WebVision image lists and their streamed protocol
- :mod:`~lnc.experiments.models`: the paper's networks
- :mod:`~lnc.experiments.recipes`: how each task is trained, and the paper's synthetic noise
- :mod:`~lnc.experiments.loop`: the epoch loop, for in-memory and streamed batches
- :mod:`~lnc.experiments.protocol`: CE → ``T̂`` → corrected losses, and grids of runs on any executor
- :mod:`~lnc.experiments.records`: record files, their identity and resume
- :mod:`~lnc.experiments.results`, :mod:`~lnc.experiments.tables`, :mod:`~lnc.experiments.prose`: the numbers,
  tables and sentences drawn from records; :mod:`~lnc.experiments.inventory`: the stored runs, for the Runs page
- :mod:`~lnc.experiments.published`: published numbers with their sources
"""
