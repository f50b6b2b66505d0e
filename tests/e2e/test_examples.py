"""The example projects under examples/ pass their own test suites, written only against the
pytest plugin (each run starts its own chatpins server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_feishu_bot_example_passes_its_tests() -> None:
    project = EXAMPLES / "feishu-bot"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "4 passed" in done.stdout, done.stdout[-2000:]
