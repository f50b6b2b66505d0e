"""A real peer measured in the same run: Synapse (matrix-synapse from PyPI) pinning messages
through ``PUT /_matrix/client/v3/rooms/{room}/state/m.room.pinned_events``.

Synapse lives in its own virtualenv (``bench/.synapse-venv``, made on first use) so its
dependencies never mix with chatpins'. SQLite database, registration on, rate limits off.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from bench import processes
from bench.loader import write_requests
from bench.scenarios import Plan, Series, load

VENV = Path(__file__).parent / ".synapse-venv"
EVENTS = 200  # messages to pin; every request pins a different window of them
UNLIMITED = {"per_second": 1_000_000, "burst_count": 1_000_000}


def python() -> Path:
    exe = VENV / "bin" / "python"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "matrix-synapse"], check=True)
    return exe


def version() -> str:
    done = subprocess.run(
        [str(python()), "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def configure(workdir: Path, port: int) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "homeserver.yaml"
    subprocess.run(
        [str(python()), "-m", "synapse.app.homeserver", "--server-name", "localhost",
         "--config-path", str(config), "--data-directory", str(workdir), "--generate-config",
         "--report-stats=no"],
        cwd=workdir, check=True, capture_output=True,
    )  # fmt: skip
    settings = yaml.safe_load(config.read_text())
    settings.update(
        listeners=[{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                    "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        enable_registration=True,
        enable_registration_without_verification=True,
        use_presence=False,
        suppress_key_server_warning=True,
        trusted_key_servers=[],
        rc_message=UNLIMITED,
        rc_registration=UNLIMITED,
        rc_login={"address": UNLIMITED, "account": UNLIMITED, "failed_attempts": UNLIMITED},
        rc_joins={"local": UNLIMITED, "remote": UNLIMITED},
    )  # fmt: skip
    settings.pop("log_config", None)
    config.write_text(yaml.safe_dump(settings))
    return config


def pin_throughput(plan: Plan) -> Series:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    config = configure(plan.workdir / "synapse", port)
    server = processes.Process(
        [str(python()), "-m", "synapse.app.homeserver", "-c", str(config)],
        health=f"{base}/_matrix/client/versions",
        cwd=config.parent,
    )
    with server:
        token = httpx.post(
            f"{base}/_matrix/client/v3/register",
            json={"username": "bench", "password": secrets.token_hex(8),
                  "auth": {"type": "m.login.dummy"}},
            timeout=60,
        ).json()["access_token"]  # fmt: skip
        auth = {"Authorization": f"Bearer {token}"}
        room = httpx.post(
            f"{base}/_matrix/client/v3/createRoom", json={"preset": "private_chat"},
            headers=auth, timeout=60,
        ).json()["room_id"]  # fmt: skip
        events = []
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            for i in range(EVENTS):
                reply = client.put(
                    f"/_matrix/client/v3/rooms/{room}/send/m.room.message/bench{i}",
                    json={"msgtype": "m.text", "body": f"message {i}"},
                )
                events.append(reply.json()["event_id"])
        path = f"/_matrix/client/v3/rooms/{room}/state/m.room.pinned_events"

        def requests(n: int) -> Path:
            # Each request pins a new window of up to five messages: a real state change.
            lines = []
            for i in range(n):
                start = secrets.randbelow(EVENTS)
                pinned = [events[(start + k) % EVENTS] for k in range(1 + i % 5)]
                lines.append(("PUT", path, json.dumps({"pinned": pinned})))
            return write_requests(plan.workdir / f"synapse-{secrets.token_hex(4)}.txt", lines)

        series = load(
            plan, "Synapse pin (m.room.pinned_events, SQLite)", "synapse_pin", base, requests,
            {**auth, "Content-Type": "application/json"},
        )  # fmt: skip
        series.extra["synapse_version"] = version()
        series.extra["rss_mib_after"] = round(server.rss_mib(), 1)
    return series
