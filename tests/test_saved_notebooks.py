"""Checks on the committed notebooks as a reader sees them (no kernel needed).

Each lesson must keep in step with the lecture video and show outputs a reader can trust:

- every "Jump_to lesson 9 video" timestamp of the original notebook (fastai/course-v3,
  nbs/dl2; the lists below were taken from it) appears in one of our markdown cells,
  and the first markdown cell links to the original;
- no code cell is longer than MAX_CELL_LINES lines;
- no cell prints the same number twice (say "0.1436" and "0.1435519354771587": numbers
  with at least three decimals, equal at the shorter one's precision), unless its
  metadata tags it "numbers-repeat" (for a cell whose point is that two computations
  agree);
- a saved progress bar is its final render (pkg/learner marks it data-progress="final";
  the live block, "live", is only for the kernel session);
- no cell, source or output, names an absolute path of the machine it ran on (a home
  or build directory: `/home/...`, `/tmp/...`), which means nothing to a reader.

The checks are functions so that the tests at the end can show each one fails on a
notebook that breaks its rule.
"""

import html
import json
import os
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
MAX_CELL_LINES = 60
ORIGINALS = "https://github.com/fastai/course-v3/blob/master/nbs/dl2/"
VIDEO = "course19.fast.ai/videos/?lesson=9&t="

# The "Jump_to lesson 9 video" timestamps (seconds) of the original notebooks, in order,
# from fastai/course-v3 nbs/dl2 at commit 9da9cc5.
JUMP_LINKS = {
    "02a_why_sqrt5.ipynb": [21],
    "02b_initializing.ipynb": [1132, 1273],
    "03_minibatch_training.ipynb": [
        1786, 2081, 2542, 2818, 2997, 3173, 3199, 3278, 3442, 3578, 3674, 3942, 4171, 4260,
    ],
    "04_callbacks.ipynb": [4799, 5363, 5628, 5811],
    "05_anneal.ipynb": [7013, 7202, 7431, 7526, 7730],
}

NOTEBOOKS = sorted(p.name for p in NB_DIR.glob("*.ipynb") if not p.name.startswith(("_", ".")))

# A decimal number with at least three decimals, not part of a word or a longer number.
NUMBER = re.compile(r"(?<![\w.])-?\d+\.(\d{3,})(?![\w.])")
PROGRESS = re.compile(r"<progress\b")
FINAL_MARK = 'data-progress="final"'
REPEAT_TAG = "numbers-repeat"
# An absolute path under a directory that is only ever some machine's own.
MACHINE_PATH = re.compile(r"(?<![\w.~$}/])/(?:home|root|tmp|work|Users|private/var|var/folders)/[^\s\"']*")


def source(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _text(v):
    return "".join(v) if isinstance(v, list) else v


def cell_text(cell):
    """What a reader reads in a cell's outputs: streams, plain text, markdown, and the
    text of HTML (tags removed). Images are left out."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_text(out.get("text", "")))
        data = out.get("data", {})
        for kind in ("text/plain", "text/markdown"):
            if kind in data:
                parts.append(_text(data[kind]))
        if "text/html" in data:
            parts.append(html.unescape(re.sub(r"<[^>]*>", " ", _text(data["text/html"]))))
    return "\n".join(parts)


def missing_jump_links(nb, timestamps):
    """The timestamps with no link to the video at that second in a markdown cell."""
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    found = {int(t) for t in re.findall(re.escape(VIDEO) + r"(\d+)", text)}
    return [t for t in timestamps if t not in found]


def links_original(nb, name):
    """Whether the first markdown cell links to the original notebook."""
    first = next((source(c) for c in nb["cells"] if c["cell_type"] == "markdown"), "")
    return ORIGINALS + name in first


def long_cells(nb, limit=MAX_CELL_LINES):
    """(cell index, lines) of the code cells longer than limit lines."""
    return [
        (i, len(source(c).splitlines()))
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and len(source(c).splitlines()) > limit
    ]


def repeated_numbers(text):
    """Pairs of numbers in text that are equal at the shorter one's precision."""
    nums = [(m.group(0), len(m.group(1))) for m in NUMBER.finditer(text)]
    pairs = []
    for i, (a, p) in enumerate(nums):
        for b, q in nums[i + 1:]:
            unit = Decimal(1).scaleb(-min(p, q))
            if Decimal(a).quantize(unit, ROUND_HALF_EVEN) == Decimal(b).quantize(unit, ROUND_HALF_EVEN):
                pairs.append((a, b))
    return pairs


def cells_printing_twice(nb):
    """(cell index, repeated pairs) of the code cells that print a number twice."""
    found = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code" or REPEAT_TAG in c.get("metadata", {}).get("tags", []):
            continue
        pairs = repeated_numbers(cell_text(c))
        if pairs:
            found.append((i, pairs))
    return found


def live_progress_bars(nb):
    """Indices of the cells with a saved progress bar that is not a final render."""
    bad = []
    for i, c in enumerate(nb["cells"]):
        for out in c.get("outputs", []):
            h = _text(out.get("data", {}).get("text/html", ""))
            if PROGRESS.search(h) and FINAL_MARK not in h:
                bad.append(i)
                break
    return bad


def machine_paths(nb):
    """(cell index, path) of the absolute machine paths in the cells' sources and outputs."""
    return [(i, m.group(0)) for i, c in enumerate(nb["cells"])
            for m in MACHINE_PATH.finditer(source(c) + "\n" + cell_text(c))]


def load(name):
    path = NB_DIR / name
    if not path.exists():
        msg = f"notebooks/{name} does not exist yet"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI checks every lesson)")
        pytest.skip(msg)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(JUMP_LINKS))
def test_jump_links(name):
    """Every timestamp of the original's jump links is in ours, and the top links the original."""
    nb = load(name)
    missing = missing_jump_links(nb, JUMP_LINKS[name])
    assert not missing, f"{name}: no jump link to the video at t={missing} (the original has them)"
    assert links_original(nb, name), f"{name}: the first markdown cell does not link to {ORIGINALS + name}"


@pytest.mark.parametrize("name", NOTEBOOKS or ["none"])
def test_saved_outputs(name):
    """Code cells are short, no cell prints a number twice, progress bars are final renders,
    no cell names a path of the machine it ran on."""
    if name == "none":
        pytest.skip("no notebooks")
    nb = load(name)
    problems = []
    for i, n in long_cells(nb):
        problems.append(f"cell [{i}] has {n} lines of code (at most {MAX_CELL_LINES})")
    for i, pairs in cells_printing_twice(nb):
        shown = ", ".join(f"{a} / {b}" for a, b in pairs[:4])
        problems.append(f"cell [{i}] prints the same numbers twice: {shown} (tag it {REPEAT_TAG!r} if that is its point)")
    for i in live_progress_bars(nb):
        problems.append(f"cell [{i}] holds a progress bar that is not its final render")
    for i, path in machine_paths(nb):
        problems.append(f"cell [{i}] names a path of the machine it ran on: {path} (clear or re-run that cell)")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


# --- the checks fail on notebooks that break the rules ---------------------------------


def _nb(*cells):
    return {"cells": list(cells)}


def _code(src, *outputs, tags=None):
    meta = {"tags": tags} if tags else {}
    return {"cell_type": "code", "source": src, "metadata": meta, "outputs": list(outputs)}


def _md(src):
    return {"cell_type": "markdown", "source": src, "metadata": {}}


def _stream(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def _html(h):
    return {"output_type": "display_data", "data": {"text/html": h}, "metadata": {}}


def test_check_jump_links_and_original():
    nb = _nb(_md(f"# 04\n[original]({ORIGINALS}04_callbacks.ipynb)"),
             _md(f"[Jump_to lesson 9 video](https://{VIDEO}4799)"), _md(f"[x](https://{VIDEO}56280)"))
    assert missing_jump_links(nb, [4799, 5628]) == [5628]
    assert links_original(nb, "04_callbacks.ipynb")
    assert not links_original(nb, "05_anneal.ipynb")


def test_check_long_cells():
    nb = _nb(_code("x\n" * 60), _code("x\n" * 61), _md("x\n" * 100))
    assert long_cells(nb) == [(1, 61)]


def test_check_numbers_printed_twice():
    twice = _code("", _stream("epoch 0: valid loss 0.1436, accuracy 0.9599\n"),
                  _stream("0.1435519354771587 0.9599485759493671\n"))
    in_table = _code("", _html("<table><tr><td>0.786515</td></tr></table>"), _stream("train: [0.786515 0.7855]\n"))
    once = _code("", _stream("1.3\n0.143504 0.958000 1.2s 10000 0.1436\n"))
    agree = _code("", _stream("ours 2.3026, library 2.3026\n"), tags=[REPEAT_TAG])
    found = cells_printing_twice(_nb(twice, in_table, once, agree))
    assert [i for i, _ in found] == [0, 1], found
    assert found[0][1] == [("0.1436", "0.1435519354771587"), ("0.9599", "0.9599485759493671")]
    # 0.143504 and 0.1435 round to the same four decimals: that is a repeat too.
    assert repeated_numbers("0.143504 0.1435") == [("0.143504", "0.1435")]
    assert repeated_numbers("0.143504 0.1436 3.1e-15 3.1e-15 1.1s 1.1s") == []


def test_check_progress_bars():
    live = '<div data-progress="live"><progress value="1" max="3"></progress></div>'
    final = '<div data-progress="final"><progress value="3" max="3"></progress></div>'
    nb = _nb(_code("", _html(""), _html(final)), _code("", _html(live)), _code("", _html("<b>no bar</b>")))
    assert live_progress_bars(nb) == [1]


def test_check_machine_paths():
    ran_here = _code("%goworkfix", _stream('Replace rule to local directory "/work/wt/nb02" already exists.\n'))
    home = _md("see /home/ana/fastgo/README.md")
    fine = _code("!*rm -f go.work && go work use . ${GONB_DIR}/..", _stream("https://example.com/home/x /tmp\n"))
    found = machine_paths(_nb(ran_here, home, fine))
    assert found == [(0, "/work/wt/nb02"), (1, "/home/ana/fastgo/README.md")], found
