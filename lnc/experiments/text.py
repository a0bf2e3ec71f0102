"""IMDB: the official archive tokenised into padded token-id sequences (Keras-style), with its
clean labels (0 = negative, 1 = positive); files and cache as :mod:`lnc.experiments.datasets`.
"""

import functools
import re
import tarfile
from collections import Counter

import numpy as np

from .._checks import check_bool, check_int, check_sequence
from .datasets import SOURCES, Dataset, cached_arrays, data_dir, read_verified

TOKEN_PATTERN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
"""IMDB tokens: runs of lower-case letters and digits, with inner apostrophes kept (``don't``, ``90's``)."""


PAD, OOV = 0, 1
"""Token ids of padding and of out-of-vocabulary words; real words start at 2."""


SPECIAL_WORDS = ("<pad>", "<oov>")
"""The words of :data:`PAD` and :data:`OOV`, first in every vocabulary."""


def tokenize(text):
    """Lower-case ``text``, turn the ``<br />`` line breaks into spaces and return :data:`TOKEN_PATTERN`'s tokens."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return TOKEN_PATTERN.findall(text.lower().replace("<br />", " "))


def build_vocabulary(token_lists, num_words):
    """The ``num_words - 2`` most frequent tokens (ties alphabetical), after the ids of padding and OOV.

    ``token_lists`` is a non-empty sequence of token lists (lists of str, as :func:`tokenize` returns); an int
    ``num_words >= 3``. Returns a tuple ``vocabulary`` with ``vocabulary[i]`` the word of token id ``i``
    (``"<pad>"``, ``"<oov>"``, ...).
    """
    num_words = check_int(num_words, name="num_words", low=3)
    token_lists = check_sequence(token_lists, name="token_lists", item=_check_str_list)
    counts = Counter(token for tokens in token_lists for token in tokens)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: num_words - 2]
    return SPECIAL_WORDS + tuple(word for word, _ in ranked)


def encode(token_lists, vocabulary, maxlen):
    """Token ids ``(N, maxlen)`` int64, as Keras ``pad_sequences``: pre-padded with 0 and pre-truncated
    (the **last** ``maxlen`` tokens are kept); words outside ``vocabulary`` map to id 1.

    ``token_lists``: a sequence of N token lists (lists of str); ``vocabulary``: as :func:`build_vocabulary`
    returns (starting with :data:`SPECIAL_WORDS`); ``maxlen``: an int >= 1.
    """
    maxlen = check_int(maxlen, name="maxlen", low=1)
    token_lists = check_sequence(token_lists, name="token_lists", item=_check_str_list, nonempty=False)
    vocabulary = _check_str_list(check_sequence(vocabulary, name="vocabulary"), name="vocabulary")
    if vocabulary[:2] != SPECIAL_WORDS:
        raise ValueError(
            f"vocabulary must start with {SPECIAL_WORDS} (as build_vocabulary returns), got {vocabulary[:2]}"
        )
    index = {word: i for i, word in enumerate(vocabulary) if i > OOV}
    out = np.full((len(token_lists), maxlen), PAD, dtype=np.int64)
    for row, tokens in zip(out, token_lists):
        ids = [index.get(token, OOV) for token in tokens[-maxlen:]]
        if ids:
            row[-len(ids) :] = ids
    return out


def _check_str_list(values, *, name):
    """Return a list or tuple of str unchanged (a str in its place would be read as its characters)."""
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{name} must be a list of str, got {type(values).__name__} {values!r:.40}")
    return values


IMDB_MEMBER = re.compile(r"aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt")


def load_imdb(*, num_words=5000, maxlen=400, download=False):
    """IMDB reviews (Maas et al. 2011): 25,000 train / 25,000 test, label 1 = positive, as token ids.

    ``x`` is ``(N, maxlen)`` int64 (see :func:`tokenize`, :func:`encode`): 0 = padding, 1 = out of
    vocabulary, 2.. = the ``num_words - 2`` most frequent training-split tokens (the test split never
    shapes the vocabulary). Reviews are ordered by (label, review id). ``meta["vocabulary"]`` maps ids to
    words. Reads ``imdb/aclImdb_v1_labelled.tar.gz`` (shared data) or the official ``aclImdb_v1.tar.gz``.
    """
    num_words, maxlen = check_int(num_words, name="num_words", low=3), check_int(maxlen, name="maxlen", low=1)
    check_bool(download, name="download")
    parts = SOURCES["imdb"]
    source = parts["labelled"] if (data_dir() / parts["labelled"].path).is_file() else parts["official"]
    key = f"imdb-{num_words}-{maxlen}"  # checked ints: "5000" or 5000.0 cannot share the cache of 5000
    arrays = cached_arrays(
        key,
        source,
        lambda: read_verified(
            source, functools.partial(_decode_imdb, num_words=num_words, maxlen=maxlen), download=download
        ),
    )
    return Dataset(
        "imdb",
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        ("negative", "positive"),
        {"vocabulary": tuple(str(w) for w in arrays["vocabulary"])},
    )


def _decode_imdb(tar_path, num_words, maxlen):
    reviews = {"train": [], "test": []}
    with tarfile.open(tar_path, "r:gz") as archive:
        for member in archive:
            hit = IMDB_MEMBER.fullmatch(member.name)
            if hit:
                split, polarity, review_id, _ = hit.groups()
                text = archive.extractfile(member).read().decode("utf-8")
                reviews[split].append((int(polarity == "pos"), int(review_id), tokenize(text)))
    for split in reviews:
        reviews[split].sort(key=lambda r: r[:2])
    vocabulary = build_vocabulary([r[2] for r in reviews["train"]], num_words)
    out = {"vocabulary": np.array(vocabulary)}
    for split, rows in reviews.items():
        out[f"x_{split}"] = encode([r[2] for r in rows], vocabulary, maxlen)
        out[f"y_{split}"] = np.array([r[0] for r in rows], dtype=np.int64)
    return out
