"""JupyterLab driven by a real browser: notebook 03 restarted and run in full.

The setup's `lab_server` fixture starts JupyterLab as `make lab` does (loopback,
token). Debian's Chromium (/usr/bin/chromium; `make setup` installs it) is driven by
Playwright's Python package with the browser binary we name, so `playwright install`
is never needed. The committed notebook is not touched: a copy with its outputs
cleared is placed beside it (notebooks/_e2e_*, gitignored) because its first cell
finds the repository through ${GONB_DIR}/.., and removed afterwards. Clearing the
outputs makes every execution count and image on the page this run's own.
Screenshots go to tests/output/.
"""

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_minibatch_training.ipynb"
OUT_DIR = ROOT / "tests" / "output"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONSOLE = []  # the page's console messages, shown when a wait times out
RUN_TIMEOUT_S = int(os.environ.get("BROWSER_RUN_TIMEOUT", "900"))

# Text that means a Go program failed, in a stderr or error output.
FAILURE_TEXT = ("panic:", "fatal error:", "exit status")

# Evaluated in the page: the state of every code cell of the open notebook.
CELL_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  return {
    kernel: panel.querySelector('.jp-Notebook-ExecutionIndicator')?.getAttribute('data-status') ?? null,
    statusbar: document.querySelector('#jp-main-statusbar')?.innerText ?? '',
    prompts: cells.map(c => (c.querySelector('.jp-InputArea-prompt')?.textContent ?? '').trim()),
    empty: cells.map(c => (c.querySelector('.jp-InputArea-editor')?.textContent ?? '').trim() === ''),
  };
}"""

# Evaluated in the page: error outputs and images (with their decoded sizes).
OUTPUTS_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const errors = [], images = [];
  cells.forEach((c, i) => {
    c.querySelectorAll('.jp-OutputArea-output').forEach(o => {
      const mime = o.getAttribute('data-mime-type') || '';
      const text = o.innerText || '';
      if (o.querySelector('.gonb-err-location, .gonb-err-context'))
        errors.push({cell: i, kind: 'gonb-error-html', text: text.slice(-1500)});
      else if (mime === 'application/vnd.jupyter.stderr')
        errors.push({cell: i, kind: 'stderr', text: text.slice(-1500)});
      o.querySelectorAll('img').forEach(img =>
        images.push({cell: i, kind: 'img', w: img.naturalWidth, h: img.naturalHeight}));
      o.querySelectorAll('svg').forEach(svg => {
        const r = svg.getBoundingClientRect();
        images.push({cell: i, kind: 'svg', w: r.width, h: r.height});
      });
    });
  });
  return {errors, images};
}"""


def _remove_copy(copy):
    """Removes a copy and the checkpoint JupyterLab may have saved of it."""
    copy.unlink(missing_ok=True)
    (copy.parent / ".ipynb_checkpoints" / f"{copy.stem}-checkpoint.ipynb").unlink(missing_ok=True)


def _remove_stale_copies(nb_dir):
    """Removes copies left by test runs that were killed (their process is gone)."""
    for p in nb_dir.glob("_e2e_*_*.ipynb"):
        pid = p.name.split("_")[2]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove_copy(p)
        except PermissionError:  # alive, another user's
            pass


@pytest.fixture
def notebook_copy():
    """A fresh copy of notebook 03, outputs cleared, beside the original; removed afterwards."""
    if not NOTEBOOK.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{NOTEBOOK.relative_to(ROOT)} is missing")
        pytest.skip(f"{NOTEBOOK.relative_to(ROOT)} does not exist yet")
    _remove_stale_copies(NOTEBOOK.parent)
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    copy = NOTEBOOK.with_name(f"_e2e_{os.getpid()}_{NOTEBOOK.name}")
    copy.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    try:
        yield copy
    finally:
        _remove_copy(copy)


@pytest.fixture
def browser_page(tmp_path):
    """A Playwright page in Debian's Chromium with a fresh user-data dir."""
    try:
        from playwright import sync_api
    except ImportError as e:
        pytest.fail(f"playwright is missing from the venv ({e}): run `make setup`")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make setup` installs Debian's chromium package")
    with sync_api.sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield ctx.pages[0] if ctx.pages else ctx.new_page()
        finally:
            ctx.close()


def _lab_path(lab_server, path):
    """The notebook's path as JupyterLab names it, relative to the server's root."""
    return Path(path).resolve().relative_to(Path(lab_server.root_dir).resolve()).as_posix()


def _poll(page, predicate, timeout_s, poll_s=0.2):
    """Polls CELL_STATE_JS until predicate(state) holds (True) or timeout_s passes (False)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = page.evaluate(CELL_STATE_JS)
        if state and predicate(state):
            return True
        time.sleep(poll_s)
    return False


def _wait_for(page, what, predicate, timeout_s, poll_s=0.5):
    """Polls CELL_STATE_JS until predicate(state) holds; returns the last state."""
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(CELL_STATE_JS)
        if state and predicate(state):
            return state
        time.sleep(poll_s)
    page.screenshot(path=str(OUT_DIR / "browser_timeout.png"))
    pytest.fail(
        f"timed out after {timeout_s}s waiting for {what}; last cell state: {state}\n"
        "browser console (last lines):\n" + "\n".join(CONSOLE[-30:])
    )


def _counts(state):
    """Execution counts of the non-empty code cells: '1', '2', ... or '*' (queued/running) or ''."""
    return [p.strip("[]: ") for p, empty in zip(state["prompts"], state["empty"]) if not empty]


def _kernel_ready(state):
    return "| Idle" in state["statusbar"] and "*" not in _counts(state)


def _run_all_finished(state):
    # JupyterLab marks queued and running cells [*]; after an error it drops the queue,
    # leaving the rest blank, so "idle with nothing pending" is the end either way.
    counts = _counts(state)
    return "| Idle" in state["statusbar"] and bool(counts) and "*" not in counts and counts[0] != ""


def restart_and_run_all(page, lab_server, nb_path, shot):
    """Opens nb_path in JupyterLab, runs "Restart Kernel and Run All Cells" and waits for
    the end. Returns (cell state, outputs found, seconds); screenshots are named shot_*."""
    CONSOLE.clear()
    page.on("console", lambda m: CONSOLE.append(f"{m.type}: {m.text}"))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rel = _lab_path(lab_server, nb_path)
    page.goto(f"{lab_server.url.rstrip('/')}/lab/tree/{rel}?token={lab_server.token}")

    # The notebook is open and its gonb kernel has started. The status bar says
    # "Go (gonb) | Idle" only once the kernel answered (the toolbar's indicator already
    # says idle before a kernel exists).
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=120_000)
    if not _poll(page, _kernel_ready, 30):
        # GoNB's first status message can be lost (ZMQ's slow joiner): the status stays
        # "Unknown", and restart requests get lost, until the kernel publishes again.
        # Running the set-up cell makes it publish; restart-and-run-all runs it anew anyway.
        page.locator(".jp-CodeCell .jp-InputArea-editor").first.click()
        page.keyboard.press("Shift+Enter")
    _wait_for(page, "the gonb kernel to answer", _kernel_ready, 180)
    baseline = sum(c.isdigit() for c in _counts(page.evaluate(CELL_STATE_JS)))

    # Kernel menu -> "Restart Kernel and Run All Cells…", then accept the dialog. A
    # restart that is lost (seen while the kernel status was unknown) is given again.
    start = time.monotonic()
    for attempt in range(1, 4):
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel and Run All Cells").first.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=30_000)
        page.screenshot(path=str(OUT_DIR / f"{shot}_dialog.png"))
        dialog.locator(".jp-mod-accept").click()
        # Run all queues every cell at once ([*]), or, if fast, numbers more cells.
        if _poll(page, lambda s: "*" in _counts(s) or sum(c.isdigit() for c in _counts(s)) > baseline, 60):
            break
        page.screenshot(path=str(OUT_DIR / f"{shot}_not_started_{attempt}.png"))
        CONSOLE.append(f"(test) attempt {attempt}: nothing ran within 60 s after the restart; trying again")
    else:
        pytest.fail("Restart Kernel and Run All Cells never started running cells (3 attempts); console:\n"
                    + "\n".join(CONSOLE[-30:]))
    state = _wait_for(page, "all cells to run", _run_all_finished, RUN_TIMEOUT_S)
    elapsed = time.monotonic() - start
    found = page.evaluate(OUTPUTS_JS)
    page.screenshot(path=str(OUT_DIR / f"{shot}_end.png"))
    return state, found, elapsed


def shown_failures(found):
    """The outputs that show a failed Go program: GoNB's error block, or a panic on stderr."""
    return [
        e for e in found["errors"]
        if e["kind"] == "gonb-error-html" or any(t in e["text"] for t in FAILURE_TEXT)
    ]


def test_notebook_03_restart_and_run_all_in_jupyterlab(lab_server, notebook_copy, browser_page):
    """Restart Kernel and Run All Cells in JupyterLab: no error shown, an image rendered."""
    page = browser_page
    state, found, elapsed = restart_and_run_all(page, lab_server, notebook_copy, "browser_03")
    failures = shown_failures(found)
    assert not failures, "cells show errors in JupyterLab:\n" + "\n".join(
        f"cell {e['cell']} ({e['kind']}): {e['text']}" for e in failures
    )
    counts = _counts(state)
    assert all(c.isdigit() for c in counts), f"not every cell ran (prompts {counts}); see browser_03_end.png"
    counts = [int(c) for c in counts]
    assert counts == list(range(1, len(counts) + 1)), f"cells did not run once each, in order: {counts}"
    rendered = [im for im in found["images"] if im["w"] > 0 and im["h"] > 0]
    assert rendered, f"no image output rendered (images found: {found['images']})"

    # A picture a person can look at: the first rendered image in its cell.
    first = page.locator(".jp-OutputArea-output img, .jp-OutputArea-output svg").first
    first.scroll_into_view_if_needed()
    first.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(1000)  # the notebook renders cells lazily around the scrolled-to one
    page.screenshot(path=str(OUT_DIR / "browser_03_image.png"))
    print(f"\nbrowser: {len(counts)} cells ran in {elapsed:.1f}s, {len(rendered)} images rendered; "
          f"screenshots in {OUT_DIR.relative_to(ROOT)}/browser_03_*.png")


@pytest.fixture
def panicking_copy():
    """Notebook 03's set-up cell followed by a cell that panics, beside notebook 03."""
    if not NOTEBOOK.exists():
        pytest.skip(f"{NOTEBOOK.relative_to(ROOT)} does not exist yet")
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cells = [dict(first, outputs=[], execution_count=None)] + [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": src}
        for src in ('%%\nvar s []int\nfmt.Println(s[3])', '%%\nfmt.Println("after the panic")')
    ]
    copy = NOTEBOOK.with_name(f"_e2e_{os.getpid()}_selftest.ipynb")
    copy.write_text(json.dumps(dict(nb, cells=cells), indent=1), encoding="utf-8")
    try:
        yield copy
    finally:
        _remove_copy(copy)


def test_browser_check_sees_a_panic(lab_server, panicking_copy, browser_page):
    """The checks above are real: a panic shown in the page is found, in the right cell."""
    state, found, _ = restart_and_run_all(browser_page, lab_server, panicking_copy, "browser_selftest")
    failures = shown_failures(found)
    assert any(e["cell"] == 1 and "index out of range" in e["text"] for e in failures), found["errors"]
    # (JupyterLab goes on after a GoNB panic, so the third cell runs too: only the
    # outputs tell, which is why the main test reads them.)
    assert _counts(state)[:2] == ["1", "2"], _counts(state)
