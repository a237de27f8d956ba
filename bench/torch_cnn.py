"""PyTorch's side of the CNN benchmark: lesson 06's small CNN, trained by lesson 03's loop.

    /usr/bin/python3 bench/torch_cnn.py --data DIR --bs 64 --threads 1

The model is lesson 06's get_cnn_model (02a's model with a linear head): the batch
viewed as 1x28x28 images, Conv2d 1->8 5x5 stride 2 padding 2, ReLU, 8->16 3x3 s2 p1,
ReLU, 16->32 3x3 s2 p1, ReLU, 32->32 3x3 s2 p1, ReLU, AdaptiveAvgPool2d(1), flatten,
Linear 32->10; cross entropy, SGD lr 0.4, batch 64. Data, batching and the training
loop are torch_loop.py's (imported from beside this file), the JSON line has the fields
bench/cnn prints. Run it with Debian's /usr/bin/python3 (python3-torch); set
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to --threads as bench/run does.
"""

import argparse
import json

import torch
from torch import nn

import mnist_idx
from torch_loop import blas_library, setup, train


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
    mnist_idx.add_run_args(ap, lr=0.4, epochs=3, timed=2)
    ap.add_argument("--threads", type=int, default=1)
    args = mnist_idx.parse_run_args(ap, "torch_cnn")

    data, check = setup(args)
    times, cpu, acc = train(get_cnn_model(), data, args, "torch_cnn")
    res = mnist_idx.result(args, "pytorch " + torch.__version__, times, cpu, acc, blas_library(),
                           check, model="cnn", hidden=0, threads=args.threads)
    res["gflops"] = flops_per_image() * len(data[0]) / res["median_s"] / 1e9
    print(json.dumps(res))


if __name__ == "__main__":
    main()
