"""Data loading: checksums, downloads, caches, the loaders on the shared data and on generated fixtures,
IMDB tokenisation, the noisy splits."""

import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lnc.experiments import datasets, text, web

needs_data = pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: no shared data")
SHARED_DATA = Path(os.environ.get("LNC_DATA_DIR", "."))
"""The shared data folder (read before a fixture points ``$LNC_DATA_DIR`` elsewhere)."""


@pytest.fixture(autouse=True, scope="module")
def temporary_cache(tmp_path_factory):
    """Never the real cache: the tests of this module share one temporary cache folder (``folders``: an own one)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LNC_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture
def folders(monkeypatch, tmp_path):
    """An empty data folder and cache folder."""
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LNC_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def sha256(payload):
    return hashlib.sha256(payload).hexdigest()


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path))
    assert datasets.data_dir() == tmp_path
    monkeypatch.delenv("LNC_DATA_DIR")
    assert datasets.data_dir() == Path.home() / ".cache" / "lnc"


def test_missing_file_says_where_it_looked_and_how_to_get_it(folders):
    with pytest.raises(FileNotFoundError, match=f"cifarn/cifar10n_labels.npz not found: looked for {folders}"):
        datasets.load_cifarn_labels("aggre")
    with pytest.raises(FileNotFoundError, match="pass download=True to fetch it from https://ossci-datasets"):
        datasets.load_mnist()
    with pytest.raises(FileNotFoundError, match="CIFAR-10 not found: .*download=True"):
        datasets.load_cifar10()


def test_checksum_mismatch_is_refused_saying_where_and_how_to_get_the_file_again(folders):
    (folders / "cifarn").mkdir()
    np.savez(folders / "cifarn" / "cifar10n_labels.npz", clean_label=np.zeros(3), aggre_label=np.zeros(3))
    with pytest.raises(
        ValueError,
        match=f"cifarn/cifar10n_labels.npz is damaged: .*expected be0540029bef.*Found at "
        f"{folders}/cifarn/cifar10n_labels.npz: delete it and copy it again",
    ):
        datasets.load_cifarn_labels("aggre")


@needs_data
@pytest.mark.parametrize("damage", ["truncate", "flip a byte"])
def test_a_damaged_gzip_names_the_file_where_it_was_and_how_to_get_it_again(folders, damage):
    """Past bug: EOFError / BadGzipFile naming no file."""
    (folders / "mnist").mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        shutil.copy(SHARED_DATA / "mnist" / f"{name}.gz", folders / "mnist")
    path = folders / "mnist" / "train-labels-idx1-ubyte.gz"
    raw = bytearray(path.read_bytes())
    if damage == "truncate":
        del raw[len(raw) // 2 :]
    else:
        raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(raw)
    with pytest.raises(
        ValueError,
        match=f"mnist/train-labels-idx1-ubyte.gz is damaged: .*Found at {path}: delete it "
        "and load again with download=True to fetch it from https://",
    ):
        datasets.load_mnist()


def test_a_verified_archive_that_fails_to_open_names_the_file_and_how_to_get_it_again(folders, monkeypatch, rng):
    """An archive whose recorded sha256 is of a truncated copy passes the checksum but cannot be read."""
    x = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    (folders / "cifar10").mkdir()
    path = folders / "cifar10" / "cifar-10-python.tar.gz"
    cifar_python_tarball(path, x, np.arange(5), x, np.arange(5))
    path.write_bytes(path.read_bytes()[:200])
    monkeypatch.setitem(
        datasets.SOURCES["cifar10"],
        "python",
        datasets.Source("cifar10/cifar-10-python.tar.gz", sha256(path.read_bytes())),
    )
    with pytest.raises(
        ValueError,
        match=f"cifar-10-python.tar.gz is damaged: it cannot be read although its sha256 "
        f"matched .*Found at {path}: delete it and copy it again",
    ):
        datasets.load_cifar10()


@pytest.mark.parametrize(
    "call,error,match",
    [
        (
            lambda: datasets.fetch("mnist"),
            TypeError,
            "source must be an lnc.experiments.datasets.Source .*got str 'mnist'",
        ),
        (
            lambda: datasets.fetch(datasets.SOURCES["mnist"]["t10k-labels-idx1-ubyte"], download="no"),
            TypeError,
            "download must be True or False, got str 'no'",
        ),
        (lambda: datasets.load_mnist(download="no"), TypeError, "download must be True or False"),
        (lambda: datasets.load_cifar10(download=1), TypeError, "download must be True or False"),
        (lambda: datasets.load_cifarn_labels(["aggre"]), TypeError, "label_set must be one of"),
        (lambda: text.load_imdb(num_words="5000"), TypeError, "num_words must be an int, got str"),
        (lambda: text.load_imdb(maxlen=400.0), TypeError, "maxlen must be an int, got float"),
    ],
)
def test_loaders_refuse_wrong_types_before_reading_any_file(folders, call, error, match):
    """Past bugs: fetch("mnist") gave AttributeError; download="no" downloaded; num_words="5000" could read the
    cache of num_words=5000."""
    with pytest.raises(error, match=match):
        call()


def test_download_from_a_url_is_verified_then_kept(folders, tmp_path):
    payload = b"some bytes"
    (tmp_path / "remote.bin").write_bytes(payload)
    source = datasets.Source("x/file.bin", sha256(payload), (tmp_path / "remote.bin").as_uri())
    assert datasets.fetch(source, download=True).read_bytes() == payload
    (tmp_path / "remote.bin").write_bytes(b"other bytes")  # already there: not downloaded again
    assert datasets.fetch(source, download=True).read_bytes() == payload


def test_a_corrupt_download_is_removed(folders, tmp_path):
    (tmp_path / "remote.bin").write_bytes(b"corrupt")
    source = datasets.Source("x/file.bin", sha256(b"expected"), (tmp_path / "remote.bin").as_uri())
    with pytest.raises(ValueError, match="expected"):
        datasets.fetch(source, download=True)
    assert not any((folders / "x").iterdir())


def test_a_failed_download_says_which_url(folders, tmp_path):
    source = datasets.Source("x/file.bin", sha256(b""), (tmp_path / "nowhere.bin").as_uri())
    with pytest.raises(FileNotFoundError, match="download from file://.*nowhere.bin failed"):
        datasets.fetch(source, download=True)


def test_gzip_sources_are_checked_on_their_decompressed_bytes(folders):
    payload = b"idx content"
    (folders / "a.gz").write_bytes(gzip.compress(payload, mtime=0))
    assert datasets.fetch(datasets.Source("a.gz", sha256(payload), gunzip=True)) == folders / "a.gz"
    with pytest.raises(ValueError, match="decompressed content has sha256"):
        datasets.fetch(datasets.Source("a.gz", sha256(gzip.compress(payload, mtime=0)), gunzip=True))


def cifar_python_tarball(path, x_train, y_train, x_test, y_test, extra=None):
    """A miniature CIFAR-10 python release: 5 training batches and a test batch of pickled dicts."""

    def batch(x, y):
        return pickle.dumps(
            {b"data": x.transpose(0, 3, 1, 2).reshape(len(x), -1), b"labels": [int(v) for v in y], **(extra or {})}
        )

    with tarfile.open(path, "w:gz") as tar:
        members = {
            f"data_batch_{k + 1}": batch(xs, ys)
            for k, (xs, ys) in enumerate(zip(np.array_split(x_train, 5), np.array_split(y_train, 5)))
        }
        members["test_batch"] = batch(x_test, y_test)
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return sha256(path.read_bytes())


def test_cifar10_python_release_is_decoded_in_canonical_layout_and_cached(folders, monkeypatch, rng):
    x_train = rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    (folders / "cifar10").mkdir()
    digest = cifar_python_tarball(
        folders / "cifar10" / "cifar-10-python.tar.gz", x_train, np.arange(10), x_test, [3, 1, 2]
    )
    monkeypatch.setitem(
        datasets.SOURCES["cifar10"], "python", datasets.Source("cifar10/cifar-10-python.tar.gz", digest)
    )
    loaded = datasets.load_cifar10()
    np.testing.assert_array_equal(loaded.x_train, x_train)
    np.testing.assert_array_equal(loaded.y_train, np.arange(10))
    np.testing.assert_array_equal(loaded.x_test, x_test)
    assert loaded.y_test.tolist() == [3, 1, 2] and loaded.y_train.dtype == np.int64
    monkeypatch.setattr(datasets, "_decode_cifar_python", lambda *a: pytest.fail("decoded again: cache not used"))
    np.testing.assert_array_equal(datasets.load_cifar10().x_train, x_train)


def test_cifar_pickles_holding_anything_but_arrays_are_refused(folders, monkeypatch, rng):
    x = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    (folders / "cifar10").mkdir()
    digest = cifar_python_tarball(
        folders / "cifar10" / "cifar-10-python.tar.gz", x, np.arange(5), x, np.arange(5), extra={b"evil": os.system}
    )
    monkeypatch.setitem(
        datasets.SOURCES["cifar10"], "python", datasets.Source("cifar10/cifar-10-python.tar.gz", digest)
    )
    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        datasets.load_cifar10()


def test_tokenize_lowercases_drops_line_breaks_and_keeps_inner_apostrophes():
    review = "I didn't LIKE it.<br /><br />10/10 -- the 90's 'classic'!"
    assert text.tokenize(review) == ["i", "didn't", "like", "it", "10", "10", "the", "90's", "classic"]


def test_vocabulary_ranks_by_count_then_alphabetically():
    vocab = text.build_vocabulary([["b", "a", "c", "c", "c"], ["b", "a", "d"]], num_words=5)
    assert vocab == ("<pad>", "<oov>", "c", "a", "b")  # c: 3, then a and b tie at 2 (a < b); d (1) is cut


def test_encode_pre_pads_and_keeps_the_last_tokens():
    vocab = ("<pad>", "<oov>", "good", "bad")
    out = text.encode([["good"], ["bad", "x", "good", "bad"]], vocab, maxlen=3)
    np.testing.assert_array_equal(out, [[0, 0, 2], [1, 2, 3]])


def test_encode_reads_a_generator_of_token_lists_once():
    token_lists = (tokens for tokens in [["good"], ["bad", "x"]])
    np.testing.assert_array_equal(
        text.encode(token_lists, ("<pad>", "<oov>", "good", "bad"), maxlen=2), [[0, 2], [3, 1]]
    )


VOCAB = ("<pad>", "<oov>", "good", "bad")


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: text.build_vocabulary("good bad", 5), TypeError, "token_lists must be a sequence .*got str"),
        (lambda: text.build_vocabulary(["good bad"], 5), TypeError, r"token_lists\[0\] must be a list of str, got str"),
        (lambda: text.build_vocabulary([["good"], [1, 2]], 5), TypeError, r"token_lists\[1\] must be a list of str"),
        (lambda: text.build_vocabulary([], 5), ValueError, "token_lists must be a non-empty sequence"),
        (lambda: text.build_vocabulary([["good"]], 5.0), TypeError, "num_words must be an int, got float"),
        (lambda: text.build_vocabulary([["good"]], 2), ValueError, "num_words must be an int >= 3, got 2"),
        (lambda: text.encode("good bad", VOCAB, 3), TypeError, "token_lists must be a sequence .*got str"),
        (lambda: text.encode(["good bad"], VOCAB, 3), TypeError, r"token_lists\[0\] must be a list of str, got str"),
        (lambda: text.encode([["good", None]], VOCAB, 3), TypeError, r"token_lists\[0\] must be a list of str"),
        (lambda: text.encode([["good"]], "<pad> <oov> good", 3), TypeError, "vocabulary must be a sequence"),
        (lambda: text.encode([["good"]], ("good", "bad"), 3), ValueError, "vocabulary must start with"),
        (lambda: text.encode([["good"]], VOCAB, "3"), TypeError, "maxlen must be an int, got str"),
        (lambda: text.encode([["good"]], VOCAB, 0), ValueError, "maxlen must be an int >= 1, got 0"),
        (lambda: text.tokenize(b"good"), TypeError, "text must be a str, got bytes"),
    ],
)
def test_imdb_text_functions_refuse_bad_input(call, error, match):
    """Past bug: a str where token lists are expected was read as its characters."""
    with pytest.raises(error, match=match):
        call()


def imdb_tarball(path, reviews):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in reviews.items():
            payload = text.encode()
            info = tarfile.TarInfo(f"aclImdb/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return sha256(path.read_bytes())


def test_imdb_vocabulary_comes_from_the_training_split_only(folders, monkeypatch):
    (folders / "imdb").mkdir()
    digest = imdb_tarball(
        folders / "imdb" / "aclImdb_v1_labelled.tar.gz",
        {
            "train/pos/0_9.txt": "great great fun",
            "train/neg/0_2.txt": "dull plot<br />dull",
            "train/neg/1_1.txt": "plot",
            "test/pos/0_8.txt": "zzz zzz zzz zzz great",
            "test/neg/0_3.txt": "dull",
        },
    )
    monkeypatch.setitem(
        datasets.SOURCES["imdb"], "labelled", datasets.Source("imdb/aclImdb_v1_labelled.tar.gz", digest)
    )
    imdb = text.load_imdb(num_words=5, maxlen=4)
    assert imdb.meta["vocabulary"] == ("<pad>", "<oov>", "dull", "great", "plot")  # no "zzz"
    assert imdb.y_train.tolist() == [0, 0, 1]  # ordered by (label, id)
    np.testing.assert_array_equal(imdb.x_train, [[0, 2, 4, 2], [0, 0, 0, 4], [0, 3, 3, 1]])
    np.testing.assert_array_equal(imdb.x_test, [[0, 0, 0, 2], [1, 1, 1, 3]])


@needs_data
@pytest.mark.parametrize(
    "loader,first_train,first_test",
    [
        (datasets.load_mnist, [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]),
        (datasets.load_fashion_mnist, [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]),
    ],
)
def test_mnist_like_loaders_read_the_shared_files(loader, first_train, first_test):
    d = loader()
    assert d.x_train.shape == (60_000, 28, 28) and d.x_test.shape == (10_000, 28, 28) and d.x_train.dtype == np.uint8
    assert d.y_train[:10].tolist() == first_train and d.y_test[:10].tolist() == first_test
    assert d.num_classes == 10


@needs_data
def test_mnist_label_counts_are_the_published_ones():
    assert np.bincount(datasets.load_mnist().y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]


@needs_data
def test_cifar10_jpeg_copy_is_in_canonical_order_and_matches_cifar10n():
    d = datasets.load_cifar10()
    assert d.x_train.shape == (50_000, 32, 32, 3) and d.x_test.shape == (10_000, 32, 32, 3)
    assert d.y_train[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3] and d.y_test[:10].tolist() == [
        3,
        8,
        8,
        0,
        6,
        6,
        1,
        6,
        3,
        1,
    ]
    np.testing.assert_array_equal(d.y_train, datasets.load_cifarn_labels("aggre")[0])
    assert abs(d.x_train.mean(axis=(0, 1, 2)) / 255 - [0.49125, 0.48209, 0.44652]).max() < 1e-4


@needs_data
def test_imdb_loads_with_the_paper_vocabulary_and_length():
    d = text.load_imdb()
    assert d.x_train.shape == d.x_test.shape == (25_000, 400)
    assert np.bincount(d.y_train).tolist() == [12_500, 12_500] and d.x_train.max() == 4999
    assert d.meta["vocabulary"][2:5] == ("the", "and", "a")


@needs_data
@pytest.mark.parametrize(
    "label_set,shipped",
    [
        ("aggre", "cifar10n_aggre"),
        ("worst", "cifar10n_worst"),
        ("random1", "cifar10n_random1"),
        ("cifar100n", "cifar100n_noisy_fine"),
        ("cifar100n_coarse", "cifar100n_noisy_coarse"),
    ],
)
def test_cifarn_T_matches_the_shipped_matrix(label_set, shipped):
    expected = np.load(Path(os.environ["LNC_DATA_DIR"]) / "cifarn" / f"T_{shipped}.npy")
    np.testing.assert_allclose(datasets.cifarn_T(label_set), expected, atol=1e-12)


@needs_data
def test_cifarn_noise_rates_match_the_published_ones():
    clean, noisy = datasets.load_cifarn_labels("worst")
    assert clean.shape == noisy.shape == (50_000,)
    assert abs(np.mean(clean != noisy) - 0.4021) < 1e-4


def test_unknown_label_set_is_refused():
    with pytest.raises(ValueError, match="label_set must be one of"):
        datasets.load_cifarn_labels("aggregate")


def toy_dataset(n=100, c=4, rng=None):
    rng = rng or np.random.default_rng(0)
    return datasets.Dataset(
        "toy",
        np.arange(n)[:, None] * np.ones((1, 3)),
        rng.integers(0, c, n),
        np.zeros((7, 3)),
        np.zeros(7, dtype=np.int64),
        tuple("abcd"[:c]),
    )


def test_noisy_splits_are_disjoint_seeded_and_sized():
    d = toy_dataset()
    noisy = (d.y_train + 1) % 4
    s = datasets.noisy_splits(d, noisy, seed=3, subset=60)
    train_ids, val_ids = s.x_train[:, 0].astype(int), s.x_val[:, 0].astype(int)
    assert (len(train_ids), len(val_ids)) == (54, 6) and not set(train_ids) & set(val_ids)
    np.testing.assert_array_equal(s.y_train, noisy[train_ids])
    np.testing.assert_array_equal(s.clean_val, d.y_train[val_ids])
    assert s.x_test.shape == (7, 3)
    again = datasets.noisy_splits(d, noisy, seed=3, subset=60)
    np.testing.assert_array_equal(again.x_val, s.x_val)
    assert not np.array_equal(datasets.noisy_splits(d, noisy, seed=4, subset=60).x_val, s.x_val)


def test_noisy_splits_store_T_checked_as_float64():
    d = toy_dataset()
    T = [[0.7, 0.3, 0, 0], [0, 0.8, 0.2, 0], [0, 0, 1, 0], [0.1, 0, 0, 0.9]]  # asymmetric
    for given in (T, torch.tensor(T, dtype=torch.float64)):
        stored = datasets.noisy_splits(d, d.y_train, seed=0, T=given).T
        assert isinstance(stored, np.ndarray) and stored.dtype == np.float64
        np.testing.assert_array_equal(stored, np.array(T))


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(noisy_labels=np.zeros(99, dtype=int)), ValueError, r"noisy_labels must have shape \(100,\)"),
        (dict(noisy_labels=np.full(100, 4)), ValueError, r"noisy_labels must lie in \[0, 4\)"),
        (dict(subset=101), ValueError, r"subset must be an int in \[2, 100\]"),
        (dict(subset="60"), TypeError, "subset must be an int, got str"),
        (dict(val_fraction=0.6), ValueError, r"val_fraction must lie in \[0.0, 0.5\]"),
        (dict(val_fraction=0.01, subset=20), ValueError, "val_fraction must leave at least one of the 20 examples"),
        (dict(T="identity"), TypeError, "T must be an array of real numbers, got str"),
        (dict(T=np.full((4, 4), np.nan)), ValueError, "T must be finite and non-negative, got nan"),
        (dict(T=np.eye(3)), ValueError, r"T must have shape \(4, 4\) for the 4 classes of dataset, got \(3, 3\)"),
        (dict(T=np.full((4, 4), 0.5)), ValueError, "T must be row-stochastic"),
        (dict(T=np.eye(4) + 0j), TypeError, "T must be an array of real numbers, got dtype complex128"),
        (dict(T=np.ma.masked_array(np.eye(4), mask=np.eye(4))), TypeError, "T must be an array of real numbers"),
    ],
)
def test_noisy_splits_refuse_bad_input(kwargs, error, match):
    """Past bugs: any T was stored (a str, NaN, the wrong size); a positive val_fraction could give no validation
    example; a str subset raised ValueError."""
    d = toy_dataset()
    kwargs = {"noisy_labels": d.y_train, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        datasets.noisy_splits(d, kwargs.pop("noisy_labels"), **kwargs)


def test_noisy_splits_refuse_a_dataset_with_fewer_images_than_labels():
    d = toy_dataset()
    short = datasets.Dataset("short", d.x_train[:90], d.y_train, d.x_test, d.y_test, d.class_names)
    with pytest.raises(ValueError, match=r"dataset.x_train must hold one example per label .*\(100\), got 90"):
        datasets.noisy_splits(short, d.y_train, seed=0)


def write_image(path, color):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 6), color).save(path)


def test_clothing1m_release_layout(tmp_path):
    for k in range(4):
        write_image(tmp_path / "images" / "0" / f"{k}.jpg", (10 * k, 0, 0))
    (tmp_path / "noisy_label_kv.txt").write_text("images/0/0.jpg 3\nimages/0/1.jpg 13\n")
    (tmp_path / "clean_label_kv.txt").write_text("images/0/2.jpg 5\nimages/0/3.jpg 0\nimages/0/0.jpg 2\n")
    (tmp_path / "noisy_train_key_list.txt").write_text("images/0/0.jpg\nimages/0/1.jpg\n")
    (tmp_path / "clean_train_key_list.txt").write_text("images/0/0.jpg\n")
    (tmp_path / "clean_val_key_list.txt").write_text("images/0/2.jpg\n")
    (tmp_path / "clean_test_key_list.txt").write_text("images/0/3.jpg\n")
    splits = web.load_clothing1m(tmp_path, transform=np.asarray)
    assert {k: len(v) for k, v in splits.items()} == {
        "noisy_train": 2,
        "clean_train": 1,
        "clean_val": 1,
        "clean_test": 1,
    }
    assert splits["noisy_train"].labels.tolist() == [3, 13] and splits["clean_train"].labels.tolist() == [2]
    image, label = splits["clean_test"][0]
    assert image.shape == (6, 8, 3) and label == 0


def test_clothing1m_refuses_unlabelled_keys_and_bad_labels(tmp_path):
    for name in ("clean_train", "clean_val", "clean_test"):
        (tmp_path / f"{name}_key_list.txt").write_text("")
    (tmp_path / "clean_label_kv.txt").write_text("")
    (tmp_path / "noisy_label_kv.txt").write_text("a.jpg 1\n")
    (tmp_path / "noisy_train_key_list.txt").write_text("a.jpg\nb.jpg\n")
    with pytest.raises(ValueError, match="1 images have no label in noisy_label_kv.txt, e.g. b.jpg"):
        web.load_clothing1m(tmp_path)
    (tmp_path / "noisy_label_kv.txt").write_text("a.jpg 14\n")
    with pytest.raises(ValueError, match=r"noisy_label_kv.txt:1: expected 'path label' with label in \[0, 14\)"):
        web.load_clothing1m(tmp_path)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        web.load_clothing1m(tmp_path / "missing")


def test_mini_webvision_keeps_the_first_classes_of_the_google_images(tmp_path):
    write_image(tmp_path / "google" / "q0001" / "a.jpg", "red")
    write_image(tmp_path / "val_images_256" / "v.jpg", "blue")
    (tmp_path / "info").mkdir()
    (tmp_path / "info" / "train_filelist_google.txt").write_text("google/q0001/a.jpg 0\ngoogle/q0900/b.jpg 899\n")
    (tmp_path / "info" / "train_filelist_flickr.txt").write_text("flickr/q0001/c.jpg 0\n")
    (tmp_path / "info" / "val_filelist.txt").write_text("v.jpg 1\nw.jpg 70\n")
    splits = web.load_webvision(tmp_path)
    assert splits["train"].paths == ("google/q0001/a.jpg",) and splits["val"].labels.tolist() == [1]
    image, label = splits["val"][0]
    assert image.size == (8, 6) and image.getpixel((0, 0))[2] > 200 and label == 1
    assert len(web.load_webvision(tmp_path, sources=("google", "flickr"))["train"]) == 2


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(sources=()), ValueError, "sources must be a non-empty sequence"),
        (dict(sources="google"), TypeError, "sources must be a sequence .*got str"),
        (dict(sources=("google", "bing")), ValueError, r"sources\[1\] must be one of \('google', 'flickr'\), got 'bi"),
        (dict(sources=("google", "google")), ValueError, "sources must name each source once"),
        (dict(num_classes=1001), ValueError, r"num_classes must be an int in \[2, 1000\], got 1001"),
        (dict(root=None), TypeError, "root must be a path .*got NoneType"),
    ],
)
def test_mini_webvision_refuses_bad_arguments(tmp_path, kwargs, error, match):
    """Past bug: sources=() gave an empty training set, and a str was read as its characters."""
    (tmp_path / "info").mkdir()
    (tmp_path / "info" / "train_filelist_google.txt").write_text("google/q0001/a.jpg 0\n")
    (tmp_path / "info" / "val_filelist.txt").write_text("v.jpg 1\n")
    with pytest.raises(error, match=match):
        web.load_webvision(kwargs.pop("root", tmp_path), **kwargs)
