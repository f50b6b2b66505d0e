"""Runs wrk against a URL with a file of requests; the loader lives on its own core."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).parent / "lua"
SERVER_CPU = "0"
LOADER_CPU = "1"


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    seconds: float
    rps: float
    errors: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    # Server CPU (user + system) spent in the measured run, per request served; one figure per
    # server instance under load.
    cpu_ms_per_request: list[float] | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def run_wrk(base_url: str, requests_file: Path, *, concurrency: int, **options: Any) -> LoadResult:
    """One wrk run (``start_wrk``'s options: on the loader core unless told), waited for;
    errors = non-2xx + socket errors."""
    wrk = start_wrk(base_url, requests_file, concurrency=concurrency, **options)
    return wrk_result(wrk, concurrency)


def start_wrk(
    base_url: str,
    requests_file: Path,
    *,
    concurrency: int,
    seconds: int,
    headers: dict[str, str] | None = None,
    ok_pattern: str = "",
    cpu: str | None = LOADER_CPU,
) -> subprocess.Popen[str]:
    """A wrk run started, not waited for (several run at once against several instances);
    ``cpu`` None lets it run on any core."""
    # One thread on the loader's one core: two wrk threads sharing a core starve each other's
    # connections (a bare Starlette app burning 0.5 ms per request, c=64: p99 720 ms with two
    # threads, 49 ms with one, the same p50), which read as the server's tail.
    threads = 1 if concurrency == 1 or cpu is not None else 2
    env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA_DIR),
        "BENCH_REQUESTS": str(requests_file),
        "BENCH_THREADS": str(threads),
        "BENCH_HEADERS": "|".join(f"{k}: {v}" for k, v in (headers or {}).items()),
        "BENCH_OK_PATTERN": ok_pattern,
    }
    command = [
        "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA_DIR / "replay.lua"), base_url,
    ]  # fmt: skip
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wrk_result(wrk: subprocess.Popen[str], concurrency: int) -> LoadResult:
    stdout, stderr = wrk.communicate()
    if wrk.returncode != 0:
        raise RuntimeError(f"wrk failed ({wrk.returncode}): {stderr}{stdout}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    secs = summary["duration_us"] / 1e6
    errors = sum(
        summary[k]
        for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return LoadResult(
        concurrency=concurrency,
        requests=summary["requests"],
        seconds=round(secs, 2),
        rps=round(summary["requests"] / secs, 1),
        errors=errors,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        p999_ms=summary["p999_us"] / 1000,
    )


def write_requests(path: Path, lines: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(f"{m}\t{p}\t{b}\n" for m, p, b in lines))
    return path
