"""Image data sets and the noisy splits of a run, from a local folder: ``$LNC_DATA_DIR``, else ``~/.cache/lnc``.

Every file is checked against its checksum before it is read (sha256; the MNIST-style ``.gz`` files on the
decompressed bytes, since mirrors re-compress them). A missing file is downloaded only when asked
(``download=True``) and where a URL is known. A damaged file (another checksum, or an archive that cannot be
decompressed or read) raises ``ValueError`` naming the file, where it was found and how to get it again.

Decoded arrays are cached as pickle-free ``.npz`` under ``$LNC_CACHE_DIR`` (else ``~/.cache/lnc/arrays``), so a
second load is fast. A cache file is named after the checksums of its source files and stores the sha256 of its
own name and arrays; one that cannot be read or fails that check is ignored with a ``UserWarning`` and decoded
again from the source files. It is written to a temporary file renamed into place (concurrent loads are safe; no
temporary file is left behind); where it cannot be written (a read-only folder, a folder in its place) the
arrays are returned uncached, with a ``UserWarning``.

Images are uint8: MNIST-like ``(N, 28, 28)``, CIFAR ``(N, 32, 32, 3)`` (HWC). Labels are int64 and, for
CIFAR, in the order of the python (pickle) release (torchvision's order, the order of CIFAR-N).
"""

import functools
import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.request
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._checks import (
    check_bool,
    check_choice,
    check_labels,
    check_num_classes,
    check_optional_int,
    check_rate,
    check_transition_matrix,
    make_rng,
)
from ..noise import empirical_T


@dataclass(frozen=True)
class Source:
    """A file of a data set: ``path`` under :func:`data_dir`, its ``sha256`` and where to download it.

    ``gunzip=True``: the checksum is of the decompressed bytes (MNIST mirrors differ in gzip headers only).
    """

    path: str
    sha256: str
    url: str | None = None
    gunzip: bool = False


def _idx_sources(folder, base_url, digests):
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return {
        name: Source(f"{folder}/{name}.gz", digest, f"{base_url}/{name}.gz", gunzip=True)
        for name, digest in zip(names, digests)
    }


SOURCES = {
    "mnist": _idx_sources(
        "mnist",
        "https://ossci-datasets.s3.amazonaws.com/mnist",
        (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    ),
    "fashion_mnist": _idx_sources(
        "fashion-mnist",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
        (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ),
    ),
    "cifar10": {
        "python": Source(
            "cifar10/cifar-10-python.tar.gz",
            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        ),
        "jpeg": Source("cifar10/cifar10_jpeg.zip", "05dfe57eb9b6380288b7e3f74446a70efa936385a283159222f675799bab23d1"),
        "labels": Source("cifar10/labels.npz", "7b5658df039dfd28954c0e15a04e0f1ad48e13f1a48346cb681c8e073936077c"),
    },
    "cifar100": {
        "python": Source(
            "cifar100/cifar-100-python.tar.gz",
            "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
            "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        )
    },
    "imdb": {
        "labelled": Source(
            "imdb/aclImdb_v1_labelled.tar.gz", "17240517279c85d5bb04c2d98f83111ece715e07c0f595e906e75efb42c90c58"
        ),
        "official": Source(
            "imdb/aclImdb_v1.tar.gz",
            "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
            "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        ),
    },
    "cifar10n": {
        "labels": Source(
            "cifarn/cifar10n_labels.npz", "be0540029bef4278fb52f58861a17d2a78068f9b4329d6f126b354c01dfab2cf"
        )
    },
    "cifar100n": {
        "labels": Source(
            "cifarn/cifar100n_labels.npz", "fa0fbf6a20eb8f0a2a28ae1bbb2f19a51af46b853d9cfd3ecff0b75537753526"
        )
    },
}
"""Data set → part → :class:`Source`. The IDX digests are of the decompressed files (published md5s match)."""


CIFARN_LABEL_SETS = {
    "aggre": ("cifar10n", "clean_label", "aggre_label"),
    "random1": ("cifar10n", "clean_label", "random_label1"),
    "random2": ("cifar10n", "clean_label", "random_label2"),
    "random3": ("cifar10n", "clean_label", "random_label3"),
    "worst": ("cifar10n", "clean_label", "worse_label"),
    "cifar100n": ("cifar100n", "clean_label", "noisy_label"),
    "cifar100n_coarse": ("cifar100n", "clean_coarse_label", "noisy_coarse_label"),
}
"""CIFAR-N label set → (archive, clean key, noisy key). ``worst`` is stored as ``worse_label``."""


MNIST_CLASSES = tuple(str(d) for d in range(10))


FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


DAMAGED_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, tarfile.TarError, zipfile.BadZipFile)
"""What reading a truncated or altered archive raises (``gzip``, ``tarfile``, ``zipfile``, ``np.load``)."""


CACHE_DIGEST = "__sha256__"
"""The entry of a cached ``.npz`` holding the sha256 of its name and other entries (see :func:`_arrays_sha256`)."""


def data_dir():
    """The data folder: ``$LNC_DATA_DIR`` if set, else ``~/.cache/lnc``."""
    return Path(os.environ.get("LNC_DATA_DIR") or Path.home() / ".cache" / "lnc")


def cache_dir():
    """Where decoded arrays are cached: ``$LNC_CACHE_DIR`` if set, else ``~/.cache/lnc/arrays``."""
    return Path(os.environ.get("LNC_CACHE_DIR") or Path.home() / ".cache" / "lnc" / "arrays")


def fetch(source, *, download=False):
    """Return the local path of ``source`` (a :class:`Source`) after checking its checksum.

    A missing file is downloaded from ``source.url`` into :func:`data_dir` when ``download=True``.

    Raises
    ------
    TypeError
        ``source`` is not a :class:`Source` (e.g. a data set's name), or ``download`` is not a bool.
    FileNotFoundError
        The file is missing (and not downloaded): the message says where it was looked for and how to get it.
    ValueError
        The file is damaged: its checksum differs (a corrupt or different file) or, for a ``gunzip`` source, it
        cannot be decompressed (truncated, altered). The message names the file, where it was found and how to
        get it again. A failed download is removed.
    """
    if not isinstance(source, Source):
        raise TypeError(
            f"source must be an lnc.experiments.datasets.Source (e.g. lnc.experiments.datasets.SOURCES['mnist'][...]), "
            f"got {type(source).__name__} {source!r:.60}"
        )
    check_bool(download, name="download")
    path = data_dir() / source.path
    if not path.is_file():
        if not (download and source.url):
            how = (
                f"pass download=True to fetch it from {source.url}"
                if source.url
                else "it cannot be downloaded: copy it from the project's shared/data"
            )
            raise FileNotFoundError(
                f"{source.path} not found: looked for {path}. Set LNC_DATA_DIR to the folder that holds it, or {how}."
            )
        _download(source, path)
    problem = _sha256_problem(source, path)
    if problem:
        raise ValueError(_damaged(source, path, problem))
    return path


def _damaged(source, path, problem):
    """The message of a damaged local copy ``path`` of ``source``: what is wrong, where, and how to replace it."""
    how = (
        f"load again with download=True to fetch it from {source.url}"
        if source.url
        else "copy it again from the project's shared/data"
    )
    return f"{source.path} is damaged: {problem}. Found at {path}: delete it and {how}."


def _download(source, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(source.url, timeout=60) as response:
                shutil.copyfileobj(response, tmp)
        except OSError as err:
            Path(tmp.name).unlink()
            raise FileNotFoundError(f"{source.path}: download from {source.url} failed ({err})") from err
    problem = _sha256_problem(source, Path(tmp.name))
    if problem:
        Path(tmp.name).unlink()
        raise ValueError(
            f"{source.path}: the download from {source.url} is corrupt or another version ({problem}); nothing was kept"
        )
    os.replace(tmp.name, path)


def _sha256_problem(source, path):
    """What is wrong with ``path`` as a copy of ``source`` (its sha256, or a gzip that cannot be decompressed),
    or ``None``."""
    digest = hashlib.sha256()
    try:
        with (gzip.open if source.gunzip else open)(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except DAMAGED_ERRORS as err:
        return f"it cannot be decompressed ({type(err).__name__}: {err})"
    if digest.hexdigest() != source.sha256:
        what = "decompressed content" if source.gunzip else "file"
        return f"its {what} has sha256 {digest.hexdigest()}, expected {source.sha256} (corrupt or another version)"
    return None


def read_verified(source, read, *, download=False):
    """``read(path)`` of the path :func:`fetch` returns; an archive that fails to read raises as a damaged file."""
    path = fetch(source, download=download)
    try:
        return read(path)
    except DAMAGED_ERRORS as err:
        raise ValueError(
            _damaged(source, path, f"it cannot be read although its sha256 matched ({type(err).__name__}: {err})")
        ) from err


def cached_arrays(key, sources, decode):
    """``decode()`` (a dict of arrays) cached as ``<cache_dir>/<key>-<digest>.npz`` (pickle-free), the digest
    derived from the checksums of the ``sources`` it reads (a :class:`Source` or several).

    A cache file that cannot be read or fails its sha256 is decoded again; one that cannot be written is
    skipped; both with a ``UserWarning`` (see the module's docstring).
    """
    sources = sources if isinstance(sources, (list, tuple)) else [sources]
    digest = hashlib.sha256("".join(s.sha256 for s in sources).encode()).hexdigest()[:12]
    path = cache_dir() / f"{key}-{digest}.npz"
    arrays = _read_cache(path) if path.is_file() else None
    if arrays is None:
        arrays = decode()
        _write_cache(path, arrays)
    return arrays


def _read_cache(path):
    """The arrays cached at ``path``, or ``None`` (with a warning) when it cannot be read or fails its sha256."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = dict(npz)
    except Exception as err:  # whatever a damaged file raises: the cache is rebuilt from the verified sources
        problem = f"it cannot be read ({type(err).__name__}: {err})"
    else:
        stored = arrays.pop(CACHE_DIGEST, None)
        if stored is not None and str(stored) == _arrays_sha256(path.name, arrays):
            return arrays
        problem = "it holds no sha256" if stored is None else "its content does not match its sha256"
    warnings.warn(
        f"ignoring the cached arrays {path}: {problem}; decoding the source files again", UserWarning, stacklevel=3
    )
    return None


def _write_cache(path, arrays):
    """Save ``arrays`` and their sha256 to ``path`` through a temporary file renamed into place; where that
    fails, warn and leave no temporary file behind."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp", delete=False) as f:
            tmp = Path(f.name)
            np.savez(f, **arrays, **{CACHE_DIGEST: np.array(_arrays_sha256(path.name, arrays))})
        os.replace(tmp, path)
    except OSError as err:
        warnings.warn(
            f"cannot cache the decoded arrays at {path} ({type(err).__name__}: {err}); going on without the cache",
            UserWarning,
            stacklevel=3,
        )
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # gone after a successful rename


def _arrays_sha256(name, arrays):
    """sha256 of a cache file's ``name`` and of its ``arrays`` (each one's key, dtype, shape and bytes)."""
    digest = hashlib.sha256(name.encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"\0{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.data)
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set with its **clean** labels: ``x_train`` (N, ...), ``y_train`` (N,) int64, ``x_test``, ``y_test``.

    ``meta`` holds extras (IMDB: ``vocabulary``, the word of each token id).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    meta: dict = field(default_factory=dict)

    @property
    def num_classes(self):
        return len(self.class_names)


def load_mnist(*, download=False):
    """MNIST (LeCun et al. 1998): 60,000 train / 10,000 test images (N, 28, 28) uint8, digits 0-9."""
    return _load_idx("mnist", MNIST_CLASSES, download)


def load_fashion_mnist(*, download=False):
    """Fashion-MNIST (Xiao et al. 2017): laid out like MNIST, 10 clothing classes."""
    return _load_idx("fashion_mnist", FASHION_MNIST_CLASSES, download)


def _load_idx(name, class_names, download):
    check_bool(download, name="download")
    sources = SOURCES[name]
    arrays = cached_arrays(
        name,
        list(sources.values()),
        lambda: {key: read_verified(source, _read_idx, download=download) for key, source in sources.items()},
    )
    return Dataset(
        name,
        arrays["train-images-idx3-ubyte"],
        arrays["train-labels-idx1-ubyte"].astype(np.int64),
        arrays["t10k-images-idx3-ubyte"],
        arrays["t10k-labels-idx1-ubyte"].astype(np.int64),
        class_names,
    )


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]  # magic: 0x00 0x00 0x08 ndim
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


def load_cifar10(*, download=False):
    """CIFAR-10 (Krizhevsky 2009): 50,000 train / 10,000 test images (N, 32, 32, 3) uint8, canonical order.

    Reads the python release ``cifar10/cifar-10-python.tar.gz`` when present (canonical pixels; its pickles
    are opened only after the archive's sha256 matched, and may hold nothing but numpy arrays), else the
    JPEG copy ``cifar10/cifar10_jpeg.zip`` + ``labels.npz`` of the shared data (quality-75 re-encode, same
    order). ``download=True`` fetches the python release when neither is present. Decoded arrays are cached.
    """
    check_bool(download, name="download")
    parts = SOURCES["cifar10"]
    has_python, has_jpeg = ((data_dir() / parts[k].path).is_file() for k in ("python", "jpeg"))
    if not (has_python or has_jpeg or download):
        raise FileNotFoundError(
            f"CIFAR-10 not found: looked for {data_dir() / parts['python'].path} and "
            f"{data_dir() / parts['jpeg'].path}. Set LNC_DATA_DIR to the folder that holds "
            f"either, or pass download=True to fetch {parts['python'].url}."
        )
    if has_python or not has_jpeg:
        source = parts["python"]
        arrays = cached_arrays(
            "cifar10-python", source, lambda: read_verified(source, _decode_cifar_python, download=download)
        )
    else:
        source = parts["jpeg"]
        arrays = cached_arrays(
            "cifar10-jpeg",
            [source, parts["labels"]],
            lambda: {**read_verified(source, _decode_cifar_jpeg), **read_verified(parts["labels"], _read_cifar_labels)},
        )
    return Dataset("cifar10", arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], CIFAR10_CLASSES)


def _decode_cifar_jpeg(zip_path):
    from PIL import Image

    with zipfile.ZipFile(zip_path) as archive:
        return {
            f"x_{split}": np.stack(
                [
                    np.asarray(Image.open(io.BytesIO(archive.read(f"{split}/{i:05d}.jpg"))).convert("RGB"))
                    for i in range(n)
                ]
            )
            for split, n in (("train", 50_000), ("test", 10_000))
        }


def _read_cifar_labels(labels_path):
    with np.load(labels_path, allow_pickle=False) as labels:
        return {f"y_{split}": labels[f"{split}_labels"].astype(np.int64) for split in ("train", "test")}


class _ArraysOnly(pickle.Unpickler):
    """Unpickles the CIFAR batches (dicts of numpy arrays, lists, bytes); refuses every other class."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")
        return super().find_class(module, name)


def load_cifar100(*, download=False):
    """CIFAR-100 (Krizhevsky 2009) from the python release ``cifar100/cifar-100-python.tar.gz``: 50,000 train /
    10,000 test images (N, 32, 32, 3) uint8 with the 100 fine labels (coarse ones: ``lnc.noise.CIFAR100_COARSE``).

    Not in the project's shared data: ``download=True`` fetches it (169 MB) where a network exists.
    """
    check_bool(download, name="download")
    source = SOURCES["cifar100"]["python"]
    decode = functools.partial(
        _decode_cifar_python,
        train_names=("train",),
        test_name="test",
        label_key=b"fine_labels",
        names_key=b"fine_label_names",
    )
    arrays = cached_arrays("cifar100-python", source, lambda: read_verified(source, decode, download=download))
    return Dataset(
        "cifar100",
        arrays["x_train"],
        arrays["y_train"],
        arrays["x_test"],
        arrays["y_test"],
        tuple(str(name) for name in arrays["class_names"]),
    )


def _decode_cifar_python(
    tar_path,
    train_names=tuple(f"data_batch_{k}" for k in range(1, 6)),
    test_name="test_batch",
    label_key=b"labels",
    names_key=None,
):
    """The arrays of a CIFAR python release, unpickled with :class:`_ArraysOnly` (call only on a verified file)."""
    wanted = {*train_names, test_name, "meta", "batches.meta"}
    batches = {}
    with tarfile.open(tar_path, "r:gz") as archive:
        for member in archive:
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                batches[name] = _ArraysOnly(archive.extractfile(member), encoding="bytes").load()

    def stack(names):
        x = np.concatenate([batches[n][b"data"] for n in names]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.concatenate([np.asarray(batches[n][label_key]) for n in names]).astype(np.int64)
        return np.ascontiguousarray(x, dtype=np.uint8), y

    out = dict(zip(("x_train", "y_train"), stack(train_names)))
    out.update(zip(("x_test", "y_test"), stack([test_name])))
    if names_key:
        out["class_names"] = np.array([n.decode() for n in batches["meta"][names_key]])
    return out


def load_cifarn_labels(label_set):
    """Clean and human noisy labels of a CIFAR-N label set: ``(clean, noisy)``, each (50000,) int64.

    ``label_set``: one of :data:`CIFARN_LABEL_SETS` (``"aggre"``, ``"random1"``, ``"random2"``,
    ``"random3"``, ``"worst"``, ``"cifar100n"``, ``"cifar100n_coarse"``). Wei et al., ICLR 2022
    (CC BY-NC 4.0). Indexed like the CIFAR training images of :func:`load_cifar10`.
    """
    archive, clean_key, noisy_key = CIFARN_LABEL_SETS[check_choice(label_set, CIFARN_LABEL_SETS, name="label_set")]

    def read(path):
        with np.load(path, allow_pickle=False) as arrays:
            return arrays[clean_key].astype(np.int64), arrays[noisy_key].astype(np.int64)

    return read_verified(SOURCES[archive]["labels"], read)


def cifarn_T(label_set):
    """The true human transition matrix of a CIFAR-N label set, ``T[i, j] = P(noisy = j | clean = i)``,
    measured on all 50,000 training images; shape (10, 10), (100, 100) or (20, 20)."""
    clean, noisy = load_cifarn_labels(label_set)
    return empirical_T(clean, noisy, int(clean.max()) + 1)


@dataclass(frozen=True, eq=False)
class NoisySplits:
    """Train / noisy-validation / clean-test arrays of one run.

    ``y_train`` and ``y_val`` are **noisy**; ``y_test`` is clean. ``clean_train`` / ``clean_val`` are the
    clean labels of the same examples, for analysis only (never for training or model selection).
    ``T`` is the true transition matrix (``T[i, j] = P(noisy = j | clean = i)``) or ``None`` if unknown.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    clean_train: np.ndarray
    clean_val: np.ndarray
    num_classes: int
    T: np.ndarray | None = None


def noisy_splits(dataset, noisy_labels, *, seed, val_fraction=0.1, subset=None, T=None):
    """Split ``dataset``'s training set, labelled with ``noisy_labels`` (N,), into train and noisy validation.

    A seeded permutation of the N training examples is cut to its first ``subset`` (all when ``None``, else an
    int in ``[2, N]``); the first ``val_fraction`` (in ``[0, 0.5]``; a positive one must leave at least one
    example) of those are the noisy validation set, the rest the training set. The test set is the clean one,
    whole. ``seed``: an int >= 0 or a ``np.random.Generator``. ``T`` (optional) is recorded as the true
    transition matrix, ``T[i, j] = P(noisy = j | clean = i)``, shape ``(c, c)`` with c =
    ``dataset.num_classes``; it is checked row-stochastic and stored as float64.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be an lnc.experiments.datasets.Dataset, got {type(dataset).__name__}")
    n, c = len(dataset.y_train), check_num_classes(dataset.num_classes, name="dataset.num_classes")
    if len(dataset.x_train) != n:
        raise ValueError(
            f"dataset.x_train must hold one example per label of dataset.y_train ({n}), got {len(dataset.x_train)}"
        )
    noisy = check_labels(noisy_labels, c, name="noisy_labels")
    if noisy.shape != (n,):
        raise ValueError(f"noisy_labels must have shape ({n},) like dataset.y_train, got {noisy.shape}")
    val_fraction = check_rate(val_fraction, name="val_fraction", low=0.0, high=0.5)
    subset = check_optional_int(subset, name="subset", low=2, high=n)
    if T is not None:
        T = check_transition_matrix(T)
        if T.shape != (c, c):
            raise ValueError(f"T must have shape ({c}, {c}) for the {c} classes of dataset, got {T.shape}")
    chosen = make_rng(seed).permutation(n)[:subset]
    n_val = int(round(val_fraction * len(chosen)))
    if val_fraction and not n_val:
        raise ValueError(
            f"val_fraction must leave at least one of the {len(chosen)} examples for validation "
            f"(or be 0), got {val_fraction}"
        )
    val, train = chosen[:n_val], chosen[n_val:]
    return NoisySplits(
        dataset.x_train[train],
        noisy[train],
        dataset.x_train[val],
        noisy[val],
        dataset.x_test,
        dataset.y_test,
        dataset.y_train[train],
        dataset.y_train[val],
        c,
        T,
    )
