"""Prints bench/run's table from its JSON lines and exits 1 when a target is missed.

    python3 bench/summarize.py bench/output/results.jsonl tests/output/notebook_times.json

Per configuration and implementation (ours; PyTorch with 1 and with 2 threads):
  - s/epoch: the median over the runs (one per seed) of each run's median epoch time;
  - accuracy: the median over the seeds of the validation accuracy after the last epoch,
    ours against PyTorch's 1-thread runs (the same seeds; its 2-thread runs repeat the
    first seeds with other rounding and are listed only). The median, because at lr 0.5
    a few runs in ten end far below the usual accuracy, in both libraries; the mean is
    printed too;
  - peak RSS: the largest ru_maxrss of the runs.
Targets (issue 9): ours <= 0.5x the faster PyTorch on the lesson's model, <= 1.0x on the
big variant, and |median accuracy difference| <= 0.01 on both.
"""

import json
import os
import statistics
import sys

TARGETS = {(50, 64): 0.5, (1000, 512): 1.0}
MAX_ACC_DIFF = 0.01


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    results_path, nb_times_path = sys.argv[1:]
    runs = [json.loads(line) for line in open(results_path) if line.strip()]

    groups = {}
    for r in runs:
        impl = "ours" if r["impl"] == "ours" else f"torch{r['threads']}"
        groups.setdefault((r["hidden"], r["bs"]), {}).setdefault(impl, []).append(r)

    failures = []
    rows = []
    for (hidden, bs), g in sorted(groups.items(), key=lambda kv: kv[0][1]):
        name = f"784-{hidden}-10 bs {bs}"
        if not {"ours", "torch1", "torch2"} <= g.keys():
            failures.append(f"{name}: missing runs ({sorted(g)})")
            continue
        checks = {tuple(round(v, 1) for v in r["data_check"]) for rs in g.values() for r in rs}
        if len(checks) != 1:
            failures.append(f"{name}: the runs saw different data (sums {sorted(checks)})")

        t = {k: statistics.median(r["median_s"] for r in rs) for k, rs in g.items()}
        best = min(t["torch1"], t["torch2"])
        ratio = t["ours"] / best
        acc_ours = statistics.median(r["accuracy"] for r in g["ours"])
        acc_torch = statistics.median(r["accuracy"] for r in g["torch1"])
        rss = {k: max(r["maxrss_kb"] for r in rs) / 1024 for k, rs in g.items()}
        rows.append((name, t, ratio, acc_ours, acc_torch, rss, len(g["ours"])))

        target = TARGETS.get((hidden, bs))
        if target is not None and ratio > target:
            failures.append(f"{name}: ours/best PyTorch = {ratio:.2f}, target <= {target}")
        if abs(acc_ours - acc_torch) > MAX_ACC_DIFF:
            failures.append(f"{name}: median accuracy ours {acc_ours:.4f} vs PyTorch {acc_torch:.4f}, "
                            f"differ by more than {MAX_ACC_DIFF}")

    print()
    print("Lesson 03's training loop on MNIST (50,000 images), SGD lr 0.5, wall seconds per epoch")
    hdr = (f"{'config':<20} {'ours':>7} {'torch 1t':>9} {'torch 2t':>9} {'ours/best':>10} {'target':>7}"
           f" {'acc ours':>9} {'torch 1t':>9} {'RSS MB ours':>12} {'torch 1t':>9} {'torch 2t':>9}")
    print(hdr)
    print("-" * len(hdr))
    for name, t, ratio, acc_ours, acc_torch, rss, n in rows:
        target = next((v for k, v in TARGETS.items() if name == f"784-{k[0]}-10 bs {k[1]}"), None)
        print(f"{name:<20} {t['ours']:7.3f} {t['torch1']:9.3f} {t['torch2']:9.3f} {ratio:10.2f}"
              f" {'<= ' + str(target) if target else '':>7} {acc_ours:9.4f} {acc_torch:9.4f}"
              f" {rss['ours']:12.0f} {rss['torch1']:9.0f} {rss['torch2']:9.0f}")
    print()
    print("validation accuracy after the last epoch, per seed (median, mean):")
    for (hidden, bs), g in sorted(groups.items(), key=lambda kv: kv[0][1]):
        for k in ("ours", "torch1", "torch2"):
            accs = [r["accuracy"] for r in sorted(g.get(k, []), key=lambda r: r["seed"])]
            if accs:
                print(f"  784-{hidden}-10 bs {bs:<4} {k:<7} " + " ".join(f"{a:.4f}" for a in accs)
                      + f"  ({statistics.median(accs):.4f}, {statistics.mean(accs):.4f})")
    blas = {("ours" if r["impl"] == "ours" else "pytorch"): (r["impl"], r["blas"]) for r in runs}
    print()
    for impl, b in sorted(blas.values()):
        print(f"{impl}: {b}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")

    print()
    print_notebook_times(nb_times_path)

    print()
    if failures:
        print("FAIL:")
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("PASS: every target met")


def print_notebook_times(path):
    """Prints each notebook's headless run time, as tests/test_notebooks.py recorded it."""
    try:
        with open(path) as f:
            nbs = json.load(f)
    except (OSError, ValueError):
        print(f"Notebook run times: {path} not found; `make test` (tests/test_notebooks.py) writes it.")
        return
    when = os.path.getmtime(path)
    import time
    print(f"Notebooks executed headless by tests/test_notebooks.py (recorded {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(when))}):")
    for name, nb in sorted(nbs.items()):
        status = "ok" if nb.get("ok") else "FAILED"
        print(f"  {name:<34} {len(nb.get('cells', [])):3d} cells {nb['total_seconds']:7.1f} s  {status}")


if __name__ == "__main__":
    main()
