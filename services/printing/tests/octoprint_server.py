"""A real OctoPrint with its virtual printer, for the adapter test: its own venv (CI installs it
with .ci/octoprint.sh into .ci-venvs/octoprint), a fresh base folder, a user with an API key."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
CONFIG = """server:
  firstRun: false
  onlineCheck: {enabled: false}
  pluginBlacklist: {enabled: false}
serial: {port: VIRTUAL, baudrate: 115200, autoconnect: true}
devel:
  virtualPrinter: {enabled: true}
plugins:
  tracking: {enabled: false}
"""


def octoprint_binary() -> str | None:
    candidate = os.environ.get("OCTOPRINT_BIN") or str(ROOT / ".ci-venvs/octoprint/bin/octoprint")
    return candidate if Path(candidate).exists() else shutil.which("octoprint")


def free_port() -> int:
    preferred = int(os.environ.get("OCTOPRINT_TEST_PORT", "0"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", preferred))
        return sock.getsockname()[1]


class OctoPrintServer:
    def __init__(self, binary: str, base: Path) -> None:
        self.binary, self.base = binary, base
        self.api_key = secrets.token_hex(16).upper()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> str | None:
        """None when it runs with its printer connected, else why not."""
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "config.yaml").write_text(CONFIG)
        cli = [self.binary, "--basedir", str(self.base)]
        added = subprocess.run([*cli, "user", "add", "lumi", "--password", "lumi-test-pw",
                                "--admin"], capture_output=True, text=True, timeout=120)
        users = self.base / "users.yaml"
        if added.returncode != 0 or not users.exists():
            return f"octoprint user add failed: {added.stderr[-300:]}"
        users.write_text(users.read_text().replace("apikey: null", f"apikey: {self.api_key}"))
        log = open(self.base / "serve.log", "wb")
        self.proc = subprocess.Popen([*cli, "serve", "--iknowwhatimdoing", "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        headers = {"X-Api-Key": self.api_key}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"octoprint exited with {self.proc.returncode}"
            try:
                answer = httpx.get(f"{self.url}/api/connection", headers=headers, timeout=2)
                if answer.status_code == 200 and answer.json()["current"]["state"] == "Operational":
                    return None
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        return f"octoprint did not become operational within {timeout:.0f} s"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
