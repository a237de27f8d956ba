"""Execute one notebook headless with nbclient and write a JSON report.

Run with the repository's virtual environment (it has nbclient and sees the gonb
kernel), not imported by pytest, so the test process needs no Jupyter packages:

    .venv/bin/python tests/_nbrun.py NOTEBOOK --cwd notebooks --report out.json \
        [--executed out.ipynb] [--timeout 120] [--kernel gonb] [--probe 3]

The notebook is read into memory and executed there: the committed file is never
written. The kernel starts in --cwd, which GoNB takes as GONB_DIR, so a notebook's
first cell (`go work use . ${GONB_DIR}/..`) finds the repository as it does in
JupyterLab. Execution stops at the first cell that errors or times out; the report
says which cell, with its source and outputs, plus each executed cell's wall time.

--probe N runs N trivial cells after the notebook's own (when those all ran), in the
same kernel, so that with every declaration of the notebook in the program: what a
learner waits for on a cell that does nothing. Their times go to the report's
"probe_seconds"; they are not part of "total_seconds" nor of the executed copy.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import traceback

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


# A cell that does nothing but still makes GoNB compile, link and run the program.
# Each probe differs (its number), as a learner's next cell does: the same program
# twice would let go build reuse the binary it linked the first time.
PROBE_SOURCE = '%%\nfmt.Println("probe {}")'


class TimedClient(NotebookClient):
    """NotebookClient that records the wall time of every code cell, outputs included,
    and when each cell started."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell_times = []  # (cell index, seconds)
        self.cell_starts = {}  # cell index -> perf_counter at its start

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        start = time.perf_counter()
        self.cell_starts[cell_index] = start
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            self.cell_times.append((cell_index, time.perf_counter() - start))


def atomic_write(path, text):
    """Write text to path through a temporary file in the same directory."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=os.path.basename(path))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook")
    ap.add_argument("--cwd", required=True, help="kernel working directory (GONB_DIR)")
    ap.add_argument("--report", required=True, help="JSON report to write")
    ap.add_argument("--executed", help="where to save the executed copy (.ipynb)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    ap.add_argument("--kernel", default="gonb")
    ap.add_argument("--probe", type=int, default=0, help="trivial cells to time after the notebook")
    args = ap.parse_args()

    nb = nbformat.read(args.notebook, as_version=4)
    n_own = len(nb.cells)
    for i in range(args.probe):
        nb.cells.append(nbformat.v4.new_code_cell(PROBE_SOURCE.format(i)))
    client = TimedClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": args.cwd}},
    )
    report = {"notebook": args.notebook, "kernel": args.kernel, "error": None}
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        report["error"] = {"type": type(e).__name__, "message": str(e)[-4000:]}
    except Exception as e:  # kernel missing, cannot start, ...: still report it
        report["error"] = {"type": type(e).__name__, "message": traceback.format_exc()[-4000:]}
    end = time.perf_counter()
    probes = sorted(i for i in client.cell_starts if i >= n_own)
    report["total_seconds"] = (client.cell_starts[probes[0]] if probes else end) - start
    report["cells"] = [
        {
            "index": i,
            "seconds": secs,
            "source": nb.cells[i].source,
            "outputs": nb.cells[i].get("outputs", []),
        }
        for i, secs in client.cell_times
        if i < n_own
    ]
    times = dict(client.cell_times)
    report["probe_seconds"] = [times[i] for i in probes if i in times]
    report["probe_errors"] = [
        o for i in probes for o in nb.cells[i].get("outputs", []) if o.get("output_type") == "error"
    ]
    del nb.cells[n_own:]
    if args.executed:
        atomic_write(args.executed, nbformat.writes(nb))
    atomic_write(args.report, json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
