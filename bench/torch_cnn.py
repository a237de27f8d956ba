"""PyTorch's side of the CNN benchmark: lesson 06's small CNN, trained by lesson 03's loop.

    /usr/bin/python3 bench/torch_cnn.py --data DIR --bs 64 --threads 1

The model is lesson 06's get_cnn_model (02a's model with a linear head): the batch
viewed as 1x28x28 images, Conv2d 1->8 5x5 stride 2 padding 2, ReLU, 8->16 3x3 s2 p1,
ReLU, 16->32 3x3 s2 p1, ReLU, 32->32 3x3 s2 p1, ReLU, AdaptiveAvgPool2d(1), flatten,
Linear 32->10; cross entropy, SGD lr 0.4, batch 64. Data, batching, timing and the
JSON line are those of torch_loop.py (imported from beside this file), with the fields
bench/cnn prints. Run it with Debian's /usr/bin/python3 (python3-torch); set
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to --threads as bench/run does.
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from torch_loop import blas_library, cpu_seconds, load


class Lambda(nn.Module):
    """The lesson's Lambda: a module of a function."""

    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def mnist_resize(x):
    return x.view(-1, 1, 28, 28)


def flatten(x):
    return x.view(x.shape[0], -1)


def get_cnn_model():
    return nn.Sequential(
        Lambda(mnist_resize),
        nn.Conv2d(1, 8, 5, padding=2, stride=2), nn.ReLU(),  # 14
        nn.Conv2d(8, 16, 3, padding=1, stride=2), nn.ReLU(),  # 7
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(),  # 4
        nn.Conv2d(32, 32, 3, padding=1, stride=2), nn.ReLU(),  # 2
        nn.AdaptiveAvgPool2d(1),
        Lambda(flatten),
        nn.Linear(32, 10),
    )


def flops_per_image():
    """2 flops per multiply-add of one image's forward and backward (as bench/cnn counts)."""
    macs = 0
    for i, (c, co, k, out) in enumerate([(1, 8, 5, 14), (8, 16, 3, 7), (16, 32, 3, 4), (32, 32, 3, 2)]):
        m = co * out * out * c * k * k
        macs += 2 * m + (m if i > 0 else 0)
    return 2 * (macs + 3 * 32 * 10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="directory of the MNIST IDX .gz files")
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.4)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timed", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.epochs < args.warmup + args.timed or args.timed < 1:
        sys.exit("torch_cnn: need --epochs >= --warmup + --timed and --timed >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train, x_valid, y_valid = load(args.data)

    model = get_cnn_model()
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
            sys.exit("torch_cnn: the loss is NaN: training diverged")
    with torch.no_grad():
        acc = (model(x_valid).argmax(dim=1) == y_valid).float().mean().item()

    median = statistics.median(times[args.warmup:args.warmup + args.timed])
    print(json.dumps({
        "impl": "pytorch " + torch.__version__,
        "model": "cnn",
        "hidden": 0,
        "bs": args.bs,
        "threads": args.threads,
        "seed": args.seed,
        "epoch_times": times,
        "epoch_cpu": cpu,
        "median_s": median,
        "gflops": flops_per_image() * n / median / 1e9,
        "accuracy": acc,
        # Linux reports ru_maxrss in KiB.
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "blas": blas_library(),
        "data_check": [float(t.double().sum()) for t in (x_train, y_train, x_valid, y_valid)],
    }))


if __name__ == "__main__":
    main()
