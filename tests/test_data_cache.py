"""The decoded-array cache of ``lnc.experiments.datasets``: verified on every load, rebuilt when damaged, skipped
(never fatal) where it cannot be written, safe for concurrent loads, and never leaving a temporary file behind."""

import gzip
import hashlib
import multiprocessing
import os
import re
import warnings

import numpy as np
import pytest

from lnc.experiments import datasets

needs_data = pytest.mark.skipif("LNC_DATA_DIR" not in os.environ, reason="LNC_DATA_DIR unset: no shared data")

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture
def cache(monkeypatch, tmp_path):
    """An empty cache folder (``$LNC_CACHE_DIR``), never the real one."""
    monkeypatch.setenv("LNC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def tiny_mnist(cache, monkeypatch, tmp_path, rng):
    """A miniature MNIST (6 train / 3 test 4x4 images) in an empty data folder, with a counter of decoded files."""
    monkeypatch.setenv("LNC_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data" / "mnist").mkdir(parents=True)
    images = (rng.integers(0, 256, (6, 4, 4), dtype=np.uint8), rng.integers(0, 256, (3, 4, 4), dtype=np.uint8))
    arrays = dict(zip(IDX_NAMES, (images[0], np.arange(6, dtype=np.uint8), images[1], np.array([7, 2, 1], np.uint8))))
    sources = {}
    for name, array in arrays.items():
        raw = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes() + array.tobytes()
        (tmp_path / "data" / "mnist" / f"{name}.gz").write_bytes(gzip.compress(raw, mtime=0))
        sources[name] = datasets.Source(f"mnist/{name}.gz", hashlib.sha256(raw).hexdigest(), gunzip=True)
    monkeypatch.setitem(datasets.SOURCES, "mnist", sources)
    decoded = []
    read_idx = datasets._read_idx
    monkeypatch.setattr(datasets, "_read_idx", lambda path: decoded.append(path) or read_idx(path))
    return arrays, decoded


def assert_is_tiny_mnist(dataset, arrays):
    np.testing.assert_array_equal(dataset.x_train, arrays[IDX_NAMES[0]])
    np.testing.assert_array_equal(dataset.y_train, arrays[IDX_NAMES[1]])
    np.testing.assert_array_equal(dataset.x_test, arrays[IDX_NAMES[2]])
    np.testing.assert_array_equal(dataset.y_test, arrays[IDX_NAMES[3]])


def load_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return datasets.load_mnist()


def only_cache_file(cache):
    files = sorted(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz", files
    return files[0]


def test_a_second_load_reads_the_cache(tiny_mnist, cache):
    arrays, decoded = tiny_mnist
    assert_is_tiny_mnist(load_without_warnings(), arrays)
    assert len(decoded) == 4
    assert_is_tiny_mnist(load_without_warnings(), arrays)
    assert len(decoded) == 4
    only_cache_file(cache)


@pytest.mark.parametrize(
    "tamper,problem",
    [("drop the sha256", "it holds no sha256"), ("keep the sha256", "its content does not match its sha256")],
)
def test_a_cache_file_with_wrong_content_is_rebuilt_with_a_warning(tiny_mnist, cache, tamper, problem):
    """Past bug: a well-formed .npz with the labels shifted by one came back as the data set."""
    arrays, decoded = tiny_mnist
    datasets.load_mnist()
    path = only_cache_file(cache)
    with np.load(path) as npz:
        wrong = dict(npz)
    wrong[IDX_NAMES[1]] = wrong[IDX_NAMES[1]] + 1
    if tamper == "drop the sha256":
        wrong.pop(datasets.CACHE_DIGEST, None)
    np.savez(path, **wrong)
    with pytest.warns(UserWarning, match=f"ignoring the cached arrays {re.escape(str(path))}: {problem}"):
        assert_is_tiny_mnist(datasets.load_mnist(), arrays)
    assert len(decoded) == 8
    assert_is_tiny_mnist(load_without_warnings(), arrays)  # rebuilt and verified
    assert len(decoded) == 8


def test_a_truncated_cache_file_is_rebuilt_with_a_warning(tiny_mnist, cache):
    """Past bug: a truncated .npz raised BadZipFile."""
    arrays, _ = tiny_mnist
    datasets.load_mnist()
    path = only_cache_file(cache)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match=f"{re.escape(str(path))}: it cannot be read"):
        assert_is_tiny_mnist(datasets.load_mnist(), arrays)
    assert_is_tiny_mnist(load_without_warnings(), arrays)


def test_a_folder_in_place_of_the_cache_file_is_skipped_and_leaves_no_temporary_file(tiny_mnist, cache):
    """Past bug: IsADirectoryError, and the temporary .npz (55 MB for MNIST) was left behind."""
    arrays, _ = tiny_mnist
    datasets.load_mnist()
    path = only_cache_file(cache)
    path.unlink()
    (path / "something").mkdir(parents=True)
    with pytest.warns(UserWarning, match=f"cannot cache the decoded arrays at {re.escape(str(path))}"):
        assert_is_tiny_mnist(datasets.load_mnist(), arrays)
    assert list(cache.iterdir()) == [path]


def test_a_file_in_place_of_the_cache_folder_is_skipped(tiny_mnist, cache):
    arrays, _ = tiny_mnist
    cache.write_text("not a folder")
    with pytest.warns(UserWarning, match="cannot cache the decoded arrays"):
        assert_is_tiny_mnist(datasets.load_mnist(), arrays)
    assert cache.read_text() == "not a folder"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a POSIX user that permissions bind")
def test_a_read_only_cache_folder_is_read_but_never_written(tiny_mnist, cache):
    """Past bug: PermissionError from a read-only cache folder."""
    arrays, decoded = tiny_mnist
    cache.mkdir()
    cache.chmod(0o500)
    try:
        with pytest.warns(UserWarning, match="cannot cache the decoded arrays"):
            assert_is_tiny_mnist(datasets.load_mnist(), arrays)
        assert not list(cache.iterdir())
        cache.chmod(0o700)
        datasets.load_mnist()
        cache.chmod(0o500)
        assert_is_tiny_mnist(load_without_warnings(), arrays)  # a valid cache file is still read
        assert len(decoded) == 8
    finally:
        cache.chmod(0o700)


def dataset_sha256(dataset):
    digest = hashlib.sha256()
    for array in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_mnist_in_step(barrier, digests):
    """(In a spawned process.) Load MNIST when the sibling process is ready too; put the sha256 of its arrays."""
    warnings.simplefilter("error")  # a cache warning fails the process
    barrier.wait(timeout=120)
    digests.put(dataset_sha256(datasets.load_mnist()))


@needs_data
@pytest.mark.slow
def test_two_processes_filling_the_cache_at_once_get_the_same_arrays(cache, monkeypatch):
    context = multiprocessing.get_context("spawn")
    barrier, digests = context.Barrier(2), context.Queue()
    processes = [context.Process(target=load_mnist_in_step, args=(barrier, digests)) for _ in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0, 0]
    first, second = digests.get(timeout=10), digests.get(timeout=10)
    assert first == second
    only_cache_file(cache)  # one file, no temporary left
    monkeypatch.setattr(datasets, "_read_idx", lambda path: pytest.fail("decoded again: the cache did not verify"))
    assert dataset_sha256(load_without_warnings()) == first
