"""The set-up itself: `make lab` serves the GoNB kernel behind a token, the kernel finds
this module with the right BLAS, `make setup` is idempotent and says what is missing,
and the Dockerfile stays built on the same targets as CI."""

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KERNEL_DIR = ROOT / ".venv" / "share" / "jupyter" / "kernels" / "gonb"
FIRST_CELL = "!*rm -f go.work && go work init && go work use . ${GONB_DIR}/..\n%goworkfix"


def run(cmd, env=None, timeout=120):
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def blas_tag():
    """The native BLAS build tag chosen for this machine ("blis", "openblas"), or ""."""
    return run([str(ROOT / "scripts" / "blas-tag")]).stdout.strip()


# --- make lab ------------------------------------------------------------------------------


def test_lab_lists_gonb_kernel(lab_server):
    specs = lab_server.json("api/kernelspecs")["kernelspecs"]
    assert "gonb" in specs, f"kernels served: {sorted(specs)}"
    spec = specs["gonb"]["spec"]
    assert spec["language"] == "go"
    assert Path(spec["argv"][0]).is_file(), f"kernel binary {spec['argv'][0]} does not exist"


def test_lab_serves_notebooks_dir(lab_server):
    contents = lab_server.json("api/contents")
    assert contents["type"] == "directory"
    names = {c["name"] for c in contents["content"]}
    assert "go.mod" not in names, f"the server's root is the repository, not notebooks/: {sorted(names)}"
    expected = {p.name for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.startswith(("_e2e_", "."))}
    assert expected <= names, f"notebooks/ has {sorted(expected)}, the server lists {sorted(names)}"


def test_lab_refuses_requests_without_token(lab_server):
    status, _, _ = lab_server.request("api/kernelspecs", token=False)
    assert status in (401, 403), f"/api/kernelspecs without token answered {status}"
    status, headers, _ = lab_server.request("lab", token=False)
    assert status in (401, 403) or (status == 302 and "login" in headers.get("Location", "")), (
        f"/lab without token answered {status} {headers.get('Location')}"
    )
    lab_server.token, good = "0" * 32, lab_server.token
    try:
        status, _, _ = lab_server.request("api/kernelspecs")
    finally:
        lab_server.token = good
    assert status in (401, 403), f"a wrong token got {status}"


def test_lab_listens_on_loopback_only(lab_server):
    listening = [
        c.laddr
        for c in psutil.Process(lab_server.process.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening, "the server listens on no socket"
    assert {a.ip for a in listening} <= {"127.0.0.1"}, listening
    assert {a.port for a in listening} == {lab_server.port}


def test_lab_says_port_is_busy():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run([str(ROOT / "scripts" / "lab"), "--no-browser"], env={**os.environ, "PORT": str(port)}, timeout=60)
    assert r.returncode != 0
    assert f"port {port}" in r.stderr and "busy" in r.stderr, r.stderr
    assert f"PORT={port + 1}" in r.stderr, r.stderr


@pytest.mark.parametrize(
    "env,args",
    [({"JUPYTER_TOKEN": ""}, []), ({}, ["--IdentityProvider.token="]), ({}, ["--ServerApp.token="])],
)
def test_lab_never_disables_token(env, args):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    r = run([str(ROOT / "scripts" / "lab"), "--no-browser", *args], env={**os.environ, "PORT": str(free), **env}, timeout=60)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "token" in r.stderr.lower(), r.stderr


# --- the kernel spec and the kernel --------------------------------------------------------


def test_kernel_spec_fits_this_machine():
    spec = json.loads((KERNEL_DIR / "kernel.json").read_text())
    gonb = Path(spec["argv"][0])
    assert gonb == ROOT / ".cache" / "bin" / "gonb" and os.access(gonb, os.X_OK), spec["argv"]
    assert f"-go_work={ROOT}" in spec["argv"], spec["argv"]
    env = spec["env"]
    assert env["PATH"].split(":")[0] == str(ROOT / ".cache" / "bin") and env["PATH"].endswith("${PATH}"), env["PATH"]
    tag = blas_tag()
    # Every cell is built: no debug information, and with a native BLAS Go's own linker,
    # given the libraries that pkg/tensor's cgo file names (scripts/setup says why).
    assert env.get("GOFLAGS", "") == (f'-tags={tag} "-ldflags=-s -w"' if tag else '"-ldflags=-s -w"'), env
    if tag:
        libs = re.search(r"^#cgo LDFLAGS: (.*)$", (ROOT / "pkg" / "tensor" / f"blas_{tag}.go").read_text(), re.M)
        assert env.get("CGO_LDFLAGS") == libs.group(1) and env.get("GO_EXTLINK_ENABLED") == "0", env
    # GoNB's `go get` before every build answers from the module cache first.
    modcache = run(["go", "env", "GOMODCACHE"]).stdout.strip()
    assert env.get("GOPROXY", "").startswith(f"file://{modcache}/cache/download,"), env
    coretype = run([str(ROOT / "scripts" / "openblas-coretype"), "-q"]).stdout.strip()
    assert env.get("OPENBLAS_CORETYPE", "") == coretype, env


def execute(cells, cwd, timeout=180):
    """Run code cells in a fresh gonb kernel started in cwd; the text each cell printed."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, kernel_name="gonb", timeout=timeout, resources={"metadata": {"path": str(cwd)}}).execute()
    return ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") for c in nb.cells]


BLAS_CELL = """import (
	"fmt"
	"os"

	"github.com/fastgo/fastgo/pkg/tensor"
)

%%
fmt.Printf("coretype=%s\\n%s\\n", os.Getenv("OPENBLAS_CORETYPE"), tensor.BLASInfo())
"""


def check_blas_output(out):
    coretype = run([str(ROOT / "scripts" / "openblas-coretype"), "-q"]).stdout.strip()
    assert f"coretype={coretype}\n" in out, out
    tag = blas_tag()
    if tag == "blis":
        assert "BLIS" in out, out
    elif tag == "openblas":
        assert "OpenBLAS" in out, out
        if coretype:
            assert f"core {coretype}" in out, f"OpenBLAS did not take OPENBLAS_CORETYPE={coretype}: {out}"
    else:
        assert "pure-Go" in out, out


@pytest.mark.skipif(not (ROOT / "pkg" / "tensor").is_dir(), reason="pkg/tensor not written yet")
def test_kernel_finds_module_with_notebook_first_cell(venv_python):
    # As a course notebook runs: started in notebooks/, with the documented first cell.
    out = execute([FIRST_CELL, BLAS_CELL], ROOT / "notebooks")
    check_blas_output(out[1])


@pytest.mark.skipif(not (ROOT / "pkg" / "tensor").is_dir(), reason="pkg/tensor not written yet")
def test_kernel_finds_module_anywhere_through_go_work(venv_python, tmp_path):
    # A learner's own scratch notebook, outside the repository and without the first cell:
    # the kernel's -go_work flag still puts this module in its go.work.
    out = execute([BLAS_CELL], tmp_path)
    check_blas_output(out[0])


# --- make setup ------------------------------------------------------------------------------


def test_second_setup_is_quick_and_installs_nothing():
    stamp = ROOT / ".venv" / ".fastgo-stamp"
    before = stamp.stat().st_mtime_ns
    start = time.monotonic()
    r = run(["make", "setup"])
    took = time.monotonic() - start
    assert r.returncode == 0, r.stdout + r.stderr
    for part in ("python venv up to date", "go tools up to date", "gonb kernel up to date"):
        assert part in r.stdout, r.stdout
    assert not re.search(r"install(ing|ed)|creating", r.stdout), r.stdout
    assert stamp.stat().st_mtime_ns == before
    assert took < 20, f"an up-to-date make setup took {took:.1f} s"


def path_without(tmp_path, names):
    """A PATH of one directory holding links to every command on PATH except names."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for entry in os.scandir(d):
            if entry.name in names or re.fullmatch(r"python3\.\d+", entry.name) and "python3" in names:
                continue
            link = bin_dir / entry.name
            if not link.exists() and not link.is_symlink():
                link.symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.parametrize(
    "missing,hint",
    [({"go", "gofmt"}, "install Go"), ({"python3", "python", "pip", "pip3"}, "install Python")],
)
def test_setup_names_missing_prerequisite(tmp_path, missing, hint):
    def stamp_times():
        d = ROOT / ".cache" / "stamps"
        return sorted((p.name, p.stat().st_mtime_ns) for p in d.iterdir()) if d.is_dir() else []

    stamps = stamp_times()
    env = {**os.environ, "PATH": path_without(tmp_path, missing)}
    r = run(["bash", str(ROOT / "scripts" / "setup")], env=env)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and hint in lines[0], r.stderr
    assert r.stdout == ""
    assert stamp_times() == stamps, "a failed set-up must not mark anything as installed"


def test_openblas_coretype_detection(tmp_path):
    script = str(ROOT / "scripts" / "openblas-coretype")
    avx512, avx2, sse3 = "fpu sse2 avx2 avx512f avx512bw", "fpu sse2 avx avx2 fma", "fpu sse2 sse3"
    # (CPU flags, core OpenBLAS detects by itself ("" = no OpenBLAS to ask), expected choice)
    cases = [
        (avx512, "Prescott", "SkylakeX"),  # the silent fallback this script exists for
        (avx512, "Cooperlake", "Cooperlake"),  # OpenBLAS already right: keep its choice
        (avx512, "", "SkylakeX"),
        (avx2, "Prescott", "Haswell"),
        (avx2, "Zen", "Zen"),
        (sse3, "Prescott", ""),
    ]
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "FASTGO_CORETYPE_DETECTED")}
    cpuinfo = tmp_path / "cpuinfo"
    for flags, detected, want in cases:
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        env = {**base, "FASTGO_CPUINFO": str(cpuinfo), "FASTGO_OPENBLAS_CORENAME": detected}
        r = run([script], env=env)
        assert r.returncode == 0 and r.stdout.strip() == want, (flags, detected, r.stdout, r.stderr)
        assert r.stderr.strip(), "the script must say which core it chose"
        assert run([script, "-q"], env=env).stderr == ""
    # A value the user set wins over detection; one the Makefile detected does not count as the user's.
    r = run([script], env={**env, "OPENBLAS_CORETYPE": "Zen"})
    assert r.stdout.strip() == "Zen" and "set by you" in r.stderr
    cpuinfo.write_text(f"flags\t\t: {avx512}\n")
    r = run([script], env={**env, "FASTGO_OPENBLAS_CORENAME": "Prescott", "OPENBLAS_CORETYPE": "Prescott",
                           "FASTGO_CORETYPE_DETECTED": "Prescott"})
    assert r.stdout.strip() == "SkylakeX", r.stderr
    # A user's core narrower than the CPU's vectors is kept, with a warning that -q does not hide.
    for flags, value, warned in [(avx512, "Haswell", True), (avx512, "SkylakeX", False), (avx2, "Haswell", False)]:
        cpuinfo.write_text(f"flags\t\t: {flags}\n")
        r = run([script, "-q"], env={**env, "OPENBLAS_CORETYPE": value})
        assert r.stdout.strip() == value, r
        assert ("AVX-512 unused" in r.stderr) == warned, (flags, value, r.stderr)


# --- the Docker image and CI use the same steps ----------------------------------------------


def dockerfile_instructions():
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_uses_make_setup_and_scripts_lab():
    ins = dockerfile_instructions()
    froms = [rest for op, rest in ins if op == "FROM"]
    go_version = re.search(r"^go (\d+\.\d+)", (ROOT / "go.mod").read_text(), re.M).group(1)
    assert len(froms) == 1 and re.fullmatch(rf"golang:{re.escape(go_version)}(\.\d+)?-bookworm", froms[0]), froms
    runs = [rest for op, rest in ins if op == "RUN"]
    assert "make setup" in runs, runs
    assert any("python3-venv" in r for r in runs), "the image needs python3-venv for make setup"
    assert ("EXPOSE", "8888") in ins
    cmd = [json.loads(rest) for op, rest in ins if op == "CMD"]
    assert len(cmd) == 1 and cmd[0][0] == "scripts/lab" and "--ip=0.0.0.0" in cmd[0], cmd
    assert not any(op == "ENTRYPOINT" for op, _ in ins)
    text = " ".join(f"{op} {rest}" for op, rest in ins)
    for bad in ("token", "disable_check_xsrf", "password", "allow_origin"):
        assert bad not in text.lower(), f"Dockerfile must leave authentication to scripts/lab ({bad})"
    # scripts/lab's default port is the one exposed.
    assert re.search(r"^PORT=\$\{PORT:-8888\}$", (ROOT / "scripts" / "lab").read_text(), re.M)


def makefile_recipe(target):
    lines = (ROOT / "Makefile").read_text().splitlines()
    i = next(i for i, l in enumerate(lines) if re.match(rf"^{target}:", l))
    body = [lines[i]]
    for l in lines[i + 1 :]:
        if l and not l.startswith("\t"):
            break
        body.append(l)
    return "\n".join(body)


def test_makefile_and_ci_use_the_same_scripts():
    assert "scripts/setup" in makefile_recipe("setup")
    lab = makefile_recipe("lab")
    assert re.match(r"^lab: setup\b", lab) and "scripts/lab" in lab, lab
    test = makefile_recipe("test")
    assert re.match(r"^test: setup\b", test) and "scripts/test" in test, test
    steps = (ROOT / "scripts" / "test").read_text()
    for step in ("go vet", "go test", "./exporter -check", "pytest tests/"):
        assert step in steps, f"scripts/test does not run {step}"
    ci = [l for l in (ROOT / ".ci" / "run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ci == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', "make test"], ci


def test_no_paths_of_this_machine_committed():
    # This clone's path, the home directory and GoNB's per-kernel build directories all show up
    # in notebook outputs (a %goworkfix message, a compile error) and mean nothing elsewhere.
    needles = [str(ROOT), "/tmp/" + "gonb_"]
    if len(Path.home().parts) > 1:
        needles.append(str(Path.home()) + "/")
    r = run(["git", "ls-files", "-z"])
    if r.returncode != 0:
        pytest.skip(f"not a git clone: {r.stderr.strip()}")
    offenders = []
    for f in filter(None, r.stdout.split("\0")):
        try:
            text = (ROOT / f).read_text(errors="ignore")
        except (IsADirectoryError, FileNotFoundError):
            continue
        found = [n for n in needles if n in text]
        if found:
            offenders.append(f"{f} ({', '.join(found)})")
    assert not offenders, f"committed files contain paths of this machine: {offenders}"
