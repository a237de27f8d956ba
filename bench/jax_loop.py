"""JAX's side of the benchmark: lesson 03's model and loop, written as JAX users write it.

    .cache/bench-venv/bin/python bench/jax_loop.py --data DIR --hidden 50 --bs 64 --mode scan

The same data as bench/torch_loop.py (mnist_idx.py: the course's split, pixels / 255), the
same model (Linear, ReLU, Linear, initialised like PyTorch's nn.Linear), cross entropy and
plain SGD at the same learning rate, a fresh permutation per epoch, and batches gathered
from the training array inside the compiled code. Two styles, chosen with --mode:
  scan  the whole epoch is one jit-compiled jax.lax.scan over the full batches (the last,
        partial batch is one more compiled step), the fastest way JAX offers;
  step  one jit-compiled training step called from a Python loop, as most tutorials do.
Compilation happens in the warm-up epoch. Of --epochs training epochs, the first --warmup
are left out of the median, which is taken over the next --timed; validation accuracy is
measured after all of them. Prints one JSON line with the same fields as bench/mlp.
JAX runs on the CPU with XLA's default threads (every core).
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jaxlib  # noqa: E402

import mnist_idx  # noqa: E402


def init_linear(key, fan_in, fan_out):
    """PyTorch's nn.Linear initialisation: weight and bias uniform in ±1/sqrt(fan_in)."""
    kw, kb = jax.random.split(key)
    bound = 1 / math.sqrt(fan_in)
    return (jax.random.uniform(kw, (fan_out, fan_in), jnp.float32, -bound, bound),
            jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound))


def forward(params, x):
    (w1, b1), (w2, b2) = params
    return jnp.maximum(x @ w1.T + b1, 0) @ w2.T + b2


def loss_fn(params, x, y):
    logits = forward(params, x)
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def make_step(lr):
    def step(params, x_train, y_train, idx):
        loss, grads = jax.value_and_grad(loss_fn)(params, x_train[idx], y_train[idx])
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), loss
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mnist_idx.add_run_args(ap, lr=0.5, epochs=5, timed=3)
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--mode", choices=("scan", "step"), default="scan")
    args = mnist_idx.parse_run_args(ap, "jax_loop")

    xt, yt, xv, yv = mnist_idx.load(args.data)
    check = mnist_idx.data_check(xt, yt, xv, yv)
    x_train, y_train = jnp.asarray(xt), jnp.asarray(yt, dtype=jnp.int32)
    x_valid, y_valid = jnp.asarray(xv), jnp.asarray(yv, dtype=jnp.int32)
    del xt, xv

    key = jax.random.key(args.seed)
    key, k1, k2 = jax.random.split(key, 3)
    params = (init_linear(k1, 784, args.hidden), init_linear(k2, args.hidden, 10))
    n, bs = x_train.shape[0], args.bs
    full, rest = divmod(n, bs)
    step = make_step(args.lr)
    jstep = jax.jit(step)

    @jax.jit
    def scan_epoch(params, x_train, y_train, idxs):
        def body(p, idx):
            return step(p, x_train, y_train, idx)
        return jax.lax.scan(body, params, idxs)

    times, cpu = [], []
    for _ in range(args.epochs):
        start, cpu0 = time.perf_counter(), mnist_idx.cpu_seconds()
        key, kp = jax.random.split(key)
        perm = jax.random.permutation(kp, n)
        if args.mode == "scan":
            params, losses = scan_epoch(params, x_train, y_train, perm[:full * bs].reshape(full, bs))
            loss = losses[-1]
        else:
            for i in range(full):
                params, loss = jstep(params, x_train, y_train, perm[i * bs:(i + 1) * bs])
        if rest:
            params, loss = jstep(params, x_train, y_train, perm[full * bs:])
        loss = float(loss)  # waits for the epoch's last step
        times.append(time.perf_counter() - start)
        cpu.append(mnist_idx.cpu_seconds() - cpu0)
        if math.isnan(loss):
            sys.exit("jax_loop: the loss is NaN: training diverged")
    acc = float(jnp.mean(jnp.argmax(forward(params, x_valid), axis=1) == y_valid))

    print(json.dumps(mnist_idx.result(args, f"jax {jax.__version__} {args.mode}", times, cpu, acc,
                                      f"XLA CPU, jaxlib {jaxlib.__version__}", check, hidden=args.hidden, threads=0)))


if __name__ == "__main__":
    main()
