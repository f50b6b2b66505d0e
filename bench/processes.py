"""Server processes under test, each pinned to the server core, and how much memory they use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.loader import SERVER_CPU

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A server started with ``taskset`` on one core (the server core unless told); stopped on
    exit of the block."""

    def __init__(
        self,
        argv: list[str],
        *,
        health: str,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
        cpu: str = SERVER_CPU,
    ):
        self.argv = ["taskset", "-c", cpu, *argv]
        self.health = health
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = (
            Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.time_ns()}.log"
        )

    def __enter__(self) -> Process:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.health, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.argv} never became healthy:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *_exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def rss_mib(self, field: str = "VmRSS") -> float:
        """Resident memory (or ``VmHWM``, its peak) of the server process itself: ``taskset``
        execs the command, so the pid we started is the server's own."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        assert self.proc is not None
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chatpins(
    port: int,
    database_url: str,
    admin_key: str,
    *,
    cpu: str = SERVER_CPU,
    env: dict[str, str] | None = None,
) -> Process:
    # `serve` migrates SQLite itself and refuses an out-of-date PostgreSQL schema.
    subprocess.run(
        [sys.executable, "-m", "chatpins", "db", "upgrade", "--database-url", database_url],
        check=True, capture_output=True,
    )  # fmt: skip
    return Process(
        [sys.executable, "-m", "chatpins", "serve", "--port", str(port), "--database-url",
         database_url],
        health=f"http://127.0.0.1:{port}/v1/health",
        env={"CHATPINS_ADMIN_KEY": admin_key, "CHATPINS_LOG_LEVEL": "warning", **(env or {})},
        cpu=cpu,
    )  # fmt: skip


def ceiling(kind: str, port: int, db_path: Path) -> Process:
    return Process(
        [sys.executable, "-m", "bench.ceilings", kind, str(port), str(db_path)],
        health=f"http://127.0.0.1:{port}/health-probe",
    )
