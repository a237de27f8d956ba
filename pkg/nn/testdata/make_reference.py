"""Reference values for pkg/nn's tests, computed by PyTorch.

Run from this directory with a Python that has torch (Debian's python3-torch):

    python3 make_reference.py > reference.json

The Go tests read reference.json; they never run Python. Everything is float32
and seeded, so the file only changes when this script does.
"""
import json

import torch
import torch.nn.functional as F


def flat(t):
    return t.detach().reshape(-1).tolist()


def cross_entropy_case():
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(8, 5, generator=g) * 3).float()
    # Rows that overflow a naive exp: log_softmax must stay finite.
    logits[0] = torch.tensor([1000.0, -1000.0, 0.0, 500.0, -500.0])
    logits[1] = torch.tensor([-1000.0, -999.0, -1001.0, -1000.5, -998.0])
    target = torch.tensor([0, 3, 4, 1, 2, 0, 4, 3])
    x = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(x, target)
    loss.backward()
    return {
        "shape": list(logits.shape),
        "logits": flat(logits),
        "target": target.tolist(),
        "loss": loss.item(),
        "grad": flat(x.grad),
        "log_softmax": flat(F.log_softmax(logits, -1)),
        "nll": F.nll_loss(F.log_softmax(logits, -1), target).item(),
    }


def mse_case():
    g = torch.Generator().manual_seed(1)
    pred = torch.randn(4, 3, generator=g).requires_grad_(True)
    target = torch.randn(4, 3, generator=g)
    loss = F.mse_loss(pred, target)
    loss.backward()
    return {
        "shape": [4, 3],
        "pred": flat(pred),
        "target": flat(target),
        "loss": loss.item(),
        "grad": flat(pred.grad),
    }


def sgd_case(name, steps=3, **opts):
    """A 4-6-3 MLP trained for a few steps of cross entropy with optim.SGD."""
    g = torch.Generator().manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    x = torch.randn(5, 4, generator=g)
    y = torch.tensor([0, 2, 1, 2, 0])
    params = list(model.parameters())
    case = {
        "name": name,
        # JSON numbers only: nesterov as 0/1, as in the Go ParamGroup hypers.
        "opts": {k: float(v) for k, v in opts.items()},
        "x": flat(x),
        "x_shape": list(x.shape),
        "y": y.tolist(),
        "shapes": [list(p.shape) for p in params],
        "params0": [flat(p) for p in params],
        "steps": [],
    }
    opt = torch.optim.SGD(params, **opts)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        case["steps"].append({"loss": loss.item(), "params": [flat(p) for p in params]})
    return case


def main():
    ref = {
        "torch_version": torch.__version__,
        "cross_entropy": cross_entropy_case(),
        "mse": mse_case(),
        "sgd": [
            sgd_case("plain", lr=0.5),
            sgd_case("momentum_dampening_weight_decay", lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
            sgd_case("nesterov_weight_decay", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05),
        ],
    }
    print(json.dumps(ref, indent=1))


if __name__ == "__main__":
    main()
