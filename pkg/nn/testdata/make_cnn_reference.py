#!/usr/bin/env python3
"""Reference loss and gradients of lesson 9's CNN on one batch, from PyTorch.

Run from this directory with Debian's python3-torch:
    /usr/bin/python3 make_cnn_reference.py > cnn_reference.json
The batch is computed from a formula both sides share (x[i] = (sin(0.37 i) + 1) / 2
for i over 64·784 values, labels i mod 10), so only the model's initial parameters,
the loss and the parameters' gradients are stored. conv_test.go replays them.
"""
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch import nn



def lesson_cnn():
    """Lesson 9's CNN (02a's model with a linear head); make_conv_reference.py prints its repr."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 5, stride=2, padding=2), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def enc(t):
    return [float(f"{v:.8g}") for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(9)
    model = lesson_cnn()
    n = 64
    x = torch.tensor([(math.sin(0.37 * i) + 1) / 2 for i in range(n * 784)], dtype=torch.float32).view(-1, 1, 28, 28)
    y = torch.tensor([i % 10 for i in range(n)])
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    json.dump({"torch": torch.__version__, "loss": loss.item(),
               "params": [{"name": k, "shape": list(p.shape), "data": enc(p), "grad": enc(p.grad)}
                          for k, p in model.named_parameters()]}, sys.stdout)


if __name__ == "__main__":
    main()
