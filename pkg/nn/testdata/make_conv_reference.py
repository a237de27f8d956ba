#!/usr/bin/env python3
"""Reference values for pkg/nn's convolution layers and init functions, from PyTorch.

Run from this directory with Debian's python3-torch:
    /usr/bin/python3 make_conv_reference.py > conv_reference.json
conv_test.go compares Gain, Fans, the Kaiming bounds and the layers' reprs with these.
"""
import json
import math
import sys

import torch
from torch import nn

from make_cnn_reference import lesson_cnn  # beside this file

gains = [{"a": a, "gain": nn.init.calculate_gain("leaky_relu", a)} for a in [0, 0.01, 0.1, 1, math.sqrt(5)]]
fans = []
for shape in [(50, 784), (8, 1, 5, 5), (16, 8, 3, 3), (32, 16, 3, 3), (4, 3, 2, 5)]:
    w = torch.empty(shape)
    fi, fo = nn.init._calculate_fan_in_and_fan_out(w)
    # torch.nn.init's formulas: std = gain/sqrt(fan), bound = sqrt(3)*std
    fans.append({"shape": list(shape), "fan_in": fi, "fan_out": fo,
                 "conv_default_bound": nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3 / fi),
                 "kaiming_normal_std_a0_fan_out": nn.init.calculate_gain("leaky_relu", 0) / math.sqrt(fo)})
model = lesson_cnn()
reprs = {
    "conv_default": repr(nn.Conv2d(1, 8, 5)),
    "conv_nobias": repr(nn.Conv2d(3, 4, 3, padding=1, bias=False)),
    "pool_3x2": repr(nn.AdaptiveAvgPool2d((3, 2))),
    "model": repr(model),
}
json.dump({"torch": torch.__version__, "gains": gains, "fans": fans, "reprs": reprs}, sys.stdout, indent=1)
