#!/usr/bin/env python3
"""Reference values for pkg/tensor's convolution, pooling and statistics tests.

Run from this directory with Debian's python3-torch:
    /usr/bin/python3 make_conv_reference.py > conv_reference.json
Each case stores its inputs, its arguments, PyTorch's output, the output gradient
fed to backward(), PyTorch's input gradients and the output's grad_fn name.
conv_reference_test.go replays them in Go.
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(17)


def enc(t):
    return {"shape": list(t.shape), "data": [float(f"{v:.8g}") for v in t.detach().reshape(-1).tolist()]}


cases = []


def case(name, op, inputs, args, fn):
    ins = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*ins)
    g = torch.randn(out.shape)
    out.backward(g)
    cases.append({"name": name, "op": op, "args": args, "inputs": [enc(x) for x in ins],
                  "out": enc(out), "grad_out": enc(g), "grads": [enc(x.grad) for x in ins],
                  "grad_fn": type(out.grad_fn).__name__})


# conv2d: (N, C, H, W, CO, KH, KW, stride, padding, bias)
for n, c, h, w, co, kh, kw, s, p, bias in [
    (1, 1, 5, 5, 1, 3, 3, 1, 0, True),
    (2, 3, 7, 6, 4, 3, 3, 1, 1, True),
    (2, 1, 28, 28, 8, 5, 5, 2, 2, True),   # lesson 9's first layer
    (3, 8, 9, 9, 16, 3, 3, 2, 1, True),
    (2, 4, 5, 7, 3, 2, 3, 3, 2, False),    # stride larger than the kernel, no bias
    (1, 2, 4, 4, 2, 4, 4, 1, 0, True),     # kernel as large as the image
    (2, 3, 3, 3, 5, 1, 1, 1, 0, True),     # 1x1
    (1, 2, 2, 3, 2, 3, 3, 2, 1, True),     # tiny image, padding larger than an edge
]:
    x, wt = torch.randn(n, c, h, w), torch.randn(co, c, kh, kw)
    args = {"stride": s, "padding": p}
    name = f"conv2d x{[n, c, h, w]} w{[co, c, kh, kw]} s{s} p{p}" + ("" if bias else " nobias")
    if bias:
        case(name, "conv2d", [x, wt, torch.randn(co)], args, lambda x, wt, b: F.conv2d(x, wt, b, s, p))
    else:
        case(name, "conv2d", [x, wt], args, lambda x, wt: F.conv2d(x, wt, None, s, p))

for shape, k, s in [((2, 3, 6, 6), 2, 2), ((1, 2, 7, 5), 3, 2), ((2, 1, 4, 4), 3, 1)]:
    case(f"avg_pool2d {list(shape)} k{k} s{s}", "avg_pool2d", [torch.randn(shape)], {"kernel": k, "stride": s},
         lambda x: F.avg_pool2d(x, k, s))

for shape, o in [((3, 4, 2, 2), (1, 1)), ((2, 3, 7, 5), (1, 1)), ((2, 3, 7, 5), (3, 2)), ((1, 2, 5, 5), (4, 4))]:
    case(f"adaptive_avg_pool2d {list(shape)} to {list(o)}", "adaptive_avg_pool2d", [torch.randn(shape)],
         {"oh": o[0], "ow": o[1]}, lambda x: F.adaptive_avg_pool2d(x, o))

for shape in [(7,), (3, 5), (2, 3, 4)]:
    x = torch.randn(shape) * 3 + 10
    case(f"var {list(shape)}", "var", [x], {}, lambda x: x.var())
    case(f"std {list(shape)}", "std", [x], {}, lambda x: x.std())
for shape, d, keep in [((3, 5), 1, False), ((3, 5), 0, True), ((2, 3, 4), 1, False), ((2, 3, 4), -1, True)]:
    x = torch.randn(shape)
    args = {"dim": d, "keepdim": keep}
    case(f"var {list(shape)} dim {d}", "var_dim", [x], args, lambda x: x.var(d, keepdim=keep))
    case(f"std {list(shape)} dim {d}", "std_dim", [x], args, lambda x: x.std(d, keepdim=keep))

for slope in [0.01, 0.2]:
    case(f"leaky_relu {slope}", "leaky_relu", [torch.randn(3, 4)], {"slope": slope},
         lambda x: F.leaky_relu(x, slope))

json.dump({"torch": torch.__version__, "cases": cases}, __import__("sys").stdout)
