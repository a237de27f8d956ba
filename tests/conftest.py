"""Shared fixtures: where the repository and its venv are, and a JupyterLab started
exactly as `make lab` starts it (scripts/lab), on a free port, stopped cleanly after.

Run through `make test`, which runs `make setup` first; run alone, the fixtures
fail with a clear message when the set-up is missing.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
LAB_SCRIPT = ROOT / "scripts" / "lab"
LAB_START_TIMEOUT = 90  # seconds; JupyterLab needs ~5 s here, more while 8 builds share 2 cores


def pytest_configure(config):
    """A timeout or CI ends a run with SIGTERM. Turn it into the KeyboardInterrupt that
    pytest already unwinds from, so that fixtures stop the JupyterLab servers they
    started: those run in a session of their own and would outlive the run."""

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminate)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab process started by scripts/lab.

    url ends with "/", token is the access token, root_dir is notebooks/,
    process is the Popen (scripts/lab execs jupyter, so its pid is the server's),
    log is the file holding the server's output.
    """

    def __init__(self, port, token, process, log, root_dir):
        self.port = port
        self.token = token
        self.process = process
        self.log = log
        self.root_dir = root_dir
        self.url = f"http://127.0.0.1:{port}/"

    def request(self, path, method="GET", token=True, data=None):
        """HTTP request to the server (path relative to url); returns (status, headers, body bytes).
        Redirects are not followed, so a redirect to the login page shows as 302."""
        req = urllib.request.Request(self.url + path.lstrip("/"), method=method, data=data)
        if token:
            req.add_header("Authorization", f"token {self.token}")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path):
        """GET path with the token; the decoded JSON body, failing on a non-200 answer."""
        status, _, body = self.request(path)
        assert status == 200, f"GET {path}: HTTP {status}: {body[:500]!r}"
        return json.loads(body)

    def log_tail(self, n=40):
        """The last n lines the server printed, for error messages."""
        try:
            return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout=LAB_START_TIMEOUT):
        """Wait until /api/status answers with the token; raise with the log if the server died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"scripts/lab exited with status {self.process.returncode} before serving:\n{self.log_tail()}"
                )
            try:
                status, _, _ = self.request("api/status")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer on {self.url} within {timeout} s:\n{self.log_tail()}")

    def stop(self):
        """Shut down through the API (kernels included), then signals as a last resort."""
        if self.process.poll() is None:
            try:
                self.request("api/shutdown", method="POST", data=b"")
                self.process.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def lab_env(port, token, state_dir):
    """The environment scripts/lab gets: ours, plus port and token, with Jupyter's runtime
    files and workspaces in state_dir so a learner's own sessions are neither read nor changed."""
    env = dict(os.environ)
    env.update(
        PORT=str(port),
        JUPYTER_TOKEN=token,
        JUPYTER_RUNTIME_DIR=str(Path(state_dir) / "runtime"),
        JUPYTERLAB_WORKSPACES_DIR=str(Path(state_dir) / "workspaces"),
    )
    return env


@pytest.fixture(scope="session")
def repo_root():
    """The repository's root directory."""
    return ROOT


@pytest.fixture(scope="session")
def venv_python():
    """.venv/bin/python: has nbclient and sees the gonb kernel spec."""
    if not VENV_PYTHON.exists():
        pytest.fail(f"{VENV_PYTHON.relative_to(ROOT)} is missing: run `make setup` (make test does it first)")
    return VENV_PYTHON


@pytest.fixture(scope="session")
def start_lab(venv_python, tmp_path_factory):
    """Factory: start_lab(*args) starts JupyterLab through scripts/lab on a free port
    (extra args go to scripts/lab; --no-browser is always passed) and returns a ready
    LabServer. Every server started is stopped at the end of the session."""
    servers = []

    def start(*args):
        last_error = None
        for _ in range(3):  # another process may grab the free port before Jupyter binds it
            port = free_port()
            token = secrets.token_hex(16)
            state = tmp_path_factory.mktemp("lab")
            log = state / "lab.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [str(LAB_SCRIPT), "--no-browser", *args],
                    env=lab_env(port, token, state),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            server = LabServer(port, token, proc, log, ROOT / "notebooks")
            servers.append(server)
            try:
                server.wait_ready()
                return server
            except RuntimeError as e:
                server.stop()
                last_error = e
                if "is busy" not in server.log_tail():
                    break
        raise last_error

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def lab_server(start_lab):
    """One JupyterLab for the session, started as `make lab` starts it."""
    return start_lab()

