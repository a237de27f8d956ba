#!/usr/bin/env python3
"""Reference values for pkg/tensor's tests, computed by PyTorch.

Run from this directory:  python3 make_reference.py > reference.json
Each op case stores its inputs, the output gradient fed to backward(), and
PyTorch's output and input gradients; each print case stores a tensor and
PyTorch's str() of it. reference_test.go replays them in Go.
"""
import json
import math
import sys

import torch

torch.manual_seed(1)


def num(v):
    v = float(v)
    return v if math.isfinite(v) else str(v)  # JSON has no NaN/Inf: "nan", "inf", "-inf"


def enc(t):
    return {"shape": list(t.shape), "data": [num(v) for v in t.detach().reshape(-1).tolist()],
            "int": not t.dtype.is_floating_point}


ops = []


def case(name, op, inputs, args=None, fn=None, ints=()):
    """Record op(inputs, **args); inputs listed in ints are integer tensors."""
    args = args or {}
    ins = [x.clone().requires_grad_(i not in ints and x.dtype.is_floating_point) for i, x in enumerate(inputs)]
    out = fn(*ins)
    rec = {"name": name, "op": op, "args": args, "inputs": [enc(x) for x in ins], "out": enc(out)}
    if out.dtype.is_floating_point and out.requires_grad:
        g = torch.randn(out.shape)
        out.backward(g)
        rec["grad_out"] = enc(g)
        rec["grads"] = [enc(x.grad) if x.grad is not None else None for x in ins]
    ops.append(rec)


def r(*shape):
    return torch.randn(shape)


def pos(*shape):
    return torch.rand(shape) + 0.5


binops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 1), (3, 4)),
         ((4,), (3, 4)), ((3, 4), ()), ((), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((2, 1, 4), (3, 1)),
         ((5, 1, 3), (1, 2, 1))]
for name, f in binops.items():
    for sa, sb in pairs:
        case(f"{name} {list(sa)} {list(sb)}", name, [r(*sa), pos(*sb)], fn=f)

case("neg", "neg", [r(3, 4)], fn=torch.neg)
case("exp", "exp", [r(3, 4)], fn=torch.exp)
case("log", "log", [pos(3, 4)], fn=torch.log)
case("sqrt", "sqrt", [pos(3, 4)], fn=torch.sqrt)
for p in (2.0, 3.0, 0.5, -1.0):
    case(f"pow {p}", "pow", [pos(3, 4)], {"p": p}, fn=lambda x, p=p: x.pow(p))
case("relu", "relu", [r(4, 5)], fn=torch.relu)
case("maximum", "maximum", [r(4, 5)], {"v": 0.3}, fn=lambda x: x.clamp(min=0.3))
for name, v, f in [("addscalar", 2.5, lambda x: x + 2.5), ("subscalar", 2.5, lambda x: x - 2.5),
                   ("mulscalar", -1.5, lambda x: x * -1.5), ("divscalar", 4.0, lambda x: x / 4.0)]:
    case(name, name, [r(2, 3)], {"v": v}, fn=f)
case("sum", "sum", [r(3, 4)], fn=torch.sum)
case("mean", "mean", [r(3, 4)], fn=torch.mean)
case("max", "max", [r(3, 4)], fn=torch.max)
for dim in (0, 1, 2, -1):
    for keep in (False, True):
        a = {"dim": dim, "keepdim": keep}
        case(f"sumdim {dim} {keep}", "sumdim", [r(2, 3, 4)], a, fn=lambda x: x.sum(dim, keepdim=keep))
        case(f"meandim {dim} {keep}", "meandim", [r(2, 3, 4)], a, fn=lambda x: x.mean(dim, keepdim=keep))
        case(f"maxdim {dim} {keep}", "maxdim", [r(2, 3, 4)], a, fn=lambda x: x.max(dim, keepdim=keep).values)
        case(f"logsumexp {dim} {keep}", "logsumexp", [r(2, 3, 4) * 10], a,
             fn=lambda x: x.logsumexp(dim, keepdim=keep))
case("logsumexp large", "logsumexp", [torch.tensor([[1000., 1001., 999.], [-5., 0., 5.]])],
     {"dim": 1, "keepdim": False}, fn=lambda x: x.logsumexp(1))
case("matmul", "matmul", [r(5, 7), r(7, 3)], fn=torch.matmul)
case("linear", "linear", [r(6, 7), r(4, 7), r(4)], fn=torch.nn.functional.linear)
case("linear nobias", "linear", [r(6, 7), r(4, 7)], fn=torch.nn.functional.linear)
case("t", "t", [r(3, 5)], fn=torch.t)
case("reshape", "reshape", [r(3, 4)], {"shape": [2, -1, 3]}, fn=lambda x: x.reshape(2, -1, 3))
case("slice", "slice", [r(5, 3)], {"start": 1, "end": 4}, fn=lambda x: x[1:4])
case("row", "row", [r(5, 3)], {"i": -2}, fn=lambda x: x[-2])
idx = torch.tensor([3, 0, 3, 1])
case("indexselect", "indexselect", [r(5, 3), idx], ints=(1,), fn=lambda x, i: x[i])
case("gather", "gather", [r(4, 5), torch.arange(4), torch.tensor([4, 0, 2, 2])], ints=(1, 2),
     fn=lambda x, i, j: x[i, j])
case("stack", "stack", [r(2, 3), r(2, 3), r(2, 3)], fn=lambda *xs: torch.stack(xs))
for dim in (0, 1):
    case(f"cat {dim}", "cat", [r(2, 3), r(2, 3)], {"dim": dim}, fn=lambda *xs, dim=dim: torch.cat(xs, dim))
case("argmax", "argmax", [r(4, 5)], {"dim": 1}, fn=lambda x: x.argmax(1))
case("argmax 0", "argmax", [r(4, 5)], {"dim": 0}, fn=lambda x: x.argmax(0))
case("eq", "eq", [torch.tensor([1., 2., 3., 4.]), torch.tensor([1., 0., 3., 0.])],
     fn=lambda a, b: (a == b).float())
# A lesson-shaped chain: log-softmax through logsumexp, nll through gather.
x = r(6, 10)
t = torch.tensor([5, 0, 4, 1, 9, 2])
case("nll chain", "nll", [x, t], ints=(1,),
     fn=lambda x, t: -(x - x.logsumexp(1, keepdim=True))[torch.arange(6), t].mean())

prints = []


def pr(name, t):
    rec = enc(t)
    rec.update({"name": name, "str": str(t), "requires_grad": t.requires_grad})
    prints.append(rec)


pr("ints", torch.tensor([5, 0, 4]))
pr("ints wide", torch.tensor([1, -10, 100]))
pr("floats", torch.tensor([0.1, 2.3026]))
pr("scalar", torch.tensor(2.3026))
pr("int scalar", torch.tensor(7))
pr("integral floats", torch.tensor([1., 2., 300.]))
pr("zeros", torch.zeros(2, 3))
pr("2d", r(3, 4))
pr("3d", r(2, 2, 3))
pr("sci small", torch.tensor([1e-5, 0.5, 2.0]))
pr("sci wide", torch.tensor([0.1, 2000.5]))
pr("sci int", torch.tensor([1., 1e6]))
pr("negative", torch.tensor([-1.5, 0.25, 3.0]))
pr("wrap", torch.linspace(0, 1, 20))
pr("long ints", torch.arange(30))
pr("summarised 1d", torch.arange(2000).float() / 7)
pr("summarised 2d", torch.arange(40 * 30).reshape(40, 30) % 255 / 255.)
pr("summarised int 2d", torch.arange(50 * 30).reshape(50, 30))
pr("summarised 3d", (torch.arange(20 * 10 * 10) % 13).reshape(20, 10, 10).float() / 3)
pr("requires grad", torch.tensor([1., 2.]).requires_grad_())
pr("nonfinite", torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5]))
pr("empty", torch.tensor([]))

json.dump({"torch": torch.__version__, "ops": ops, "prints": prints}, sys.stdout, indent=0, allow_nan=False)
sys.stdout.write("\n")
