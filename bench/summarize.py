"""Prints bench/run's table from its JSON lines and exits 1 when a target is missed.

    python3 bench/summarize.py bench/output/results.jsonl tests/output/notebook_times.json

Per configuration (model, hidden width, batch size) and implementation (ours; the limit,
our epoch's matrix products alone; each peer: PyTorch 1.13 and 2.x with 1 and 2 threads,
JAX's scan and per-step jit):
  - s/epoch: the median over the runs (one per seed) of each run's median epoch time;
  - accuracy: the median over the seeds of the validation accuracy after the last epoch
    (the median, because at lr 0.5 a few runs in ten end far below the usual accuracy,
    in every library); the mean is printed too;
  - CPU s: the median CPU seconds of the timed epochs (on a busy machine, where wall
    time is mostly waiting, this says what each epoch cost; more than s/epoch means
    more than one core);
  - peak RSS: the largest ru_maxrss of the runs.
The fastest peer is the one with the smallest s/epoch. Targets (TARGETS): for the MLP
(issue 14), ours <= 0.85x the fastest peer on the lesson's model (784-50-10, bs 64),
<= 0.95x on the big one (784-1000-10, bs 512), on both |median accuracy - PyTorch's| <=
0.01 and peak RSS <= 0.7x PyTorch's; for lesson 06's CNN (issue 17), ours <= 0.8x the
fastest PyTorch and |median accuracy - PyTorch's| <= 0.02. PyTorch is Debian's 1.13 with
1 thread (PyPI's 2.x when 1.13 did not run). Runs that report GFLOP/s (the CNN) also get
a line with that rate against the BLAS's measured peak (peak_gflops).
"""

import json
import os
import statistics
import sys

# (model, hidden, bs): (ours / fastest peer, |accuracy - PyTorch's|, ours / PyTorch's peak RSS or None)
TARGETS = {
    ("mlp", 50, 64): (0.85, 0.01, 0.7),
    ("mlp", 1000, 512): (0.95, 0.01, 0.7),
    ("cnn", 0, 64): (0.8, 0.02, None),
}


def label(r):
    """The row name of a run: ours, limit, or the peer with its threads."""
    impl = r["impl"]
    if impl.startswith("pytorch"):
        return f"{impl.split('+')[0]} {r['threads']}t"
    return impl


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    results_path, nb_times_path = sys.argv[1:]
    runs = [json.loads(line) for line in open(results_path) if line.strip()]

    groups = {}
    for r in runs:
        key = (r.get("model", "mlp"), r["hidden"], r["bs"])
        groups.setdefault(key, {}).setdefault(label(r), []).append(r)

    failures = []
    print()
    print("Each lesson's training loop on MNIST (50,000 images), wall seconds per epoch (median of runs)")
    for key, g in sorted(groups.items(), key=lambda kv: (kv[0][0] != "mlp", kv[0][2], kv[0][1])):
        model, hidden, bs = key
        name = f"784-{hidden}-10 bs {bs}" if model == "mlp" else f"{model} bs {bs}"
        checks = {tuple(round(v, 1) for v in r["data_check"]) for rs in g.values() for r in rs}
        if len(checks) != 1:
            failures.append(f"{name}: the runs saw different data (sums {sorted(checks)})")
        if "ours" not in g:
            failures.append(f"{name}: no run of ours")
            continue
        t = {k: statistics.median(r["median_s"] for r in rs) for k, rs in g.items()}
        cpu = {k: statistics.median(statistics.median(r["epoch_cpu"][1:4] or r["epoch_cpu"]) for r in rs)
               for k, rs in g.items()}
        acc = {k: statistics.median(r["accuracy"] for r in rs) for k, rs in g.items()}
        rss = {k: max(r["maxrss_kb"] for r in rs) / 1024 for k, rs in g.items()}
        peers = sorted((k for k in g if k not in ("ours", "limit")), key=t.get)
        torch1t = sorted(k for k in peers if k.startswith("pytorch ") and k.endswith(" 1t"))
        ref = next((k for k in torch1t if k.startswith("pytorch 1.")), torch1t[0] if torch1t else None)
        fastest = peers[0] if peers else None

        print()
        print(f"{name}:")
        hdr = (f"  {'':<24} {'s/epoch':>8} {'ours/this':>10} {'CPU s':>7} {'accuracy':>9} {'RSS MB':>7}"
               f" {'runs':>5}")
        print(hdr)
        print("  " + "-" * (len(hdr) - 2))
        for k in ["ours", "limit"] + peers:
            if k not in g:
                continue
            mark = " <- fastest peer" if k == fastest else (" <- PyTorch reference" if k == ref else "")
            a = f"{acc[k]:9.4f}" if k != "limit" else f"{'':>9}"
            print(f"  {k:<24} {t[k]:8.3f} {t['ours'] / t[k]:10.2f} {cpu[k]:7.3f} {a} {rss[k]:7.0f}"
                  f" {len(g[k]):5d}{mark}")

        target, max_acc_diff, max_rss_ratio = TARGETS.get(key, (None, None, None))
        verdict = []
        if "limit" in t:
            verdict.append(f"ours/limit {t['ours'] / t['limit']:.2f}")
        if fastest:
            ratio = t["ours"] / t[fastest]
            verdict.append(f"ours/fastest peer ({fastest}) {ratio:.2f}" + (f", target <= {target}" if target else ""))
            if target is not None and ratio > target:
                failures.append(f"{name}: ours/fastest peer ({fastest}) = {ratio:.2f}, target <= {target}")
        elif target is not None:
            failures.append(f"{name}: no peer ran")
        if ref:
            d = acc["ours"] - acc[ref]
            r_rss = rss["ours"] / rss[ref]
            verdict.append(f"accuracy {d:+.4f} against {ref}, RSS {r_rss:.2f}x")
            if max_acc_diff is not None and abs(d) > max_acc_diff:
                failures.append(f"{name}: median accuracy ours {acc['ours']:.4f} vs {ref} {acc[ref]:.4f}, "
                                f"differ by more than {max_acc_diff}")
            if max_rss_ratio is not None and r_rss > max_rss_ratio:
                failures.append(f"{name}: peak RSS ours {rss['ours']:.0f} MB = {r_rss:.2f}x {ref}'s "
                                f"{rss[ref]:.0f} MB, target <= {max_rss_ratio}")
        elif target is not None:
            failures.append(f"{name}: no PyTorch run to compare accuracy and RSS with")
        print("  " + "; ".join(verdict))
        peaks = [r["peak_gflops"] for r in g["ours"] if r.get("peak_gflops")]
        if peaks:
            peak = statistics.median(peaks)
            rates = ", ".join(f"{k} {statistics.median(r['gflops'] for r in g[k]):.1f} "
                              f"({statistics.median(r['gflops'] for r in g[k]) / peak:.0%})"
                              for k in ["ours"] + peers if all(r.get("gflops") for r in g[k]))
            print(f"  GFLOP/s over the epoch against our BLAS's measured peak {peak:.0f} "
                  f"(a 1024x1024x1024 product on every core): {rates}")

    print()
    print("validation accuracy after the last epoch, per seed (median, mean):")
    for key, g in sorted(groups.items()):
        for k, rs in sorted(g.items()):
            if k == "limit":
                continue
            accs = [r["accuracy"] for r in sorted(rs, key=lambda r: r["seed"])]
            print(f"  {key[0]} {key[1]:>4} bs {key[2]:<4} {k:<22} " + " ".join(f"{a:.4f}" for a in accs)
                  + f"  ({statistics.median(accs):.4f}, {statistics.mean(accs):.4f})")
    print()
    libs = {}
    for r in runs:
        libs.setdefault(label(r).rsplit(" ", 1)[0] if r["impl"].startswith("pytorch") else r["impl"].split()[0],
                        (r["impl"], r["blas"]))
    for impl, b in sorted(libs.values()):
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
    """Prints each notebook's headless run time and limit as tests/test_notebooks.py last
    recorded them, with the time of each recording (a notebook the last `make test` did
    not run keeps an older one), and names the notebooks that have none."""
    try:
        with open(path) as f:
            nbs = json.load(f)
    except (OSError, ValueError):
        print(f"Notebook run times: {path} not found; `make test` (tests/test_notebooks.py) writes it.")
        return
    print(f"Notebooks executed headless by tests/test_notebooks.py ({path}):")
    for name, nb in sorted(nbs.items()):
        status = "ok" if nb.get("ok") else "FAILED"
        limit = nb.get("limit_seconds")
        limit = f"limit {limit:5.1f} s" if isinstance(limit, (int, float)) else "limit    -   "
        print(f"  {name:<34} {len(nb.get('cells', [])):3d} cells {nb['total_seconds']:7.1f} s  {limit}  "
              f"{status:<6}  recorded {nb.get('recorded', '?')}")
    nb_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "notebooks")
    try:
        missing = sorted(n for n in os.listdir(nb_dir) if n.endswith(".ipynb") and n not in nbs)
    except OSError:
        missing = []
    if missing:
        print("  not recorded: " + ", ".join(missing))


if __name__ == "__main__":
    main()
