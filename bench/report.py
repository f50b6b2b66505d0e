"""Turns a result file into PNG plots and the tables of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PLOTS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


def plots(result: dict) -> list[Path]:
    PLOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for metric, label, filename in (
        ("rps", "requests/s", "throughput.png"),
        ("p99_ms", "p99 latency (ms, log scale)", "p99.png"),
    ):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for series in result["series"]:
            runs = series["runs"]
            if not runs:  # the event stream's figures are not per concurrency
                continue
            ax.plot([r["concurrency"] for r in runs], [r[metric] for r in runs], marker="o",
                    label=series["name"])  # fmt: skip
        ax.set_xscale("log", base=2)
        if metric == "p99_ms":
            ax.set_yscale("log")
        ax.set_xlabel("concurrent connections")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = PLOTS / filename
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def ratio_table(result: dict, subject: str, baselines: list[str]) -> str:
    """Markdown: the subject's throughput and p99 as ratios to each baseline, per concurrency."""
    by_target = {s["target"]: s for s in result["series"]}
    if subject not in by_target:
        return ""
    rows = [
        "| concurrency | req/s | p99 ms | "
        + " | ".join(f"× {by_target[b]['name']} (req/s, p99)" for b in baselines if b in by_target)
        + " |"
    ]
    rows.append("|" + "---|" * (3 + sum(b in by_target for b in baselines)))
    for run in by_target[subject]["runs"]:
        cells = [str(run["concurrency"]), f"{run['rps']:.0f}", f"{run['p99_ms']:.2f}"]
        for b in baselines:
            if b not in by_target:
                continue
            base = next(
                (r for r in by_target[b]["runs"] if r["concurrency"] == run["concurrency"]), None
            )
            if base is None or not base["rps"]:
                cells.append("–")
                continue
            cells.append(f"{run['rps'] / base['rps']:.2f}× / {run['p99_ms'] / base['p99_ms']:.2f}×")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def raw_table(result: dict) -> str:
    rows = [
        "| scenario | c | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU ms/request |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for series in result["series"]:
        for r in series["runs"]:
            cpu = " + ".join(f"{ms:.2f}" for ms in r.get("cpu_ms_per_request") or []) or "–"
            rows.append(
                f"| {series['name']} | {r['concurrency']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
                f"{r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['errors']} | {cpu} |"
            )
    return "\n".join(rows)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
TARGETS = [
    ("feishu_pin_create", ["ceiling_b", "ceiling_a", "synapse_pin"]),
    ("feishu_pin_create_spread", ["feishu_pin_create"]),
    ("feishu_pin_create_postgres", ["feishu_pin_create", "ceiling_b", "synapse_pin"]),
    (
        "feishu_pin_create_spread_postgres",
        ["feishu_pin_create_postgres", "feishu_pin_create_spread"],
    ),
    ("feishu_pin_create_pgbouncer", ["feishu_pin_create_postgres"]),
    ("feishu_pin_create_postgres_2x", ["feishu_pin_create_postgres"]),
    ("feishu_pin_create_spread_postgres_2x", ["feishu_pin_create_spread_postgres"]),
    ("feishu_pin_list", ["ceiling_a"]),
    ("zim_conv_pinned", ["ceiling_b"]),
    ("zim_conversation_list", ["ceiling_a"]),
    ("native_pin_create", ["ceiling_b", "feishu_pin_create"]),
    ("native_reorder", ["ceiling_b", "feishu_pin_create"]),
]


def markdown(result: dict) -> str:
    m = result["machine"]
    parts = [
        f"Run {result['started']} ({result['elapsed_s']:.0f} s), {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, {m['wrk']}. {m['pinning']}. Each point: "
        f"{result['plan']['warmup_seconds']} s warm-up, then {result['plan']['seconds']} s "
        "measured, with requests never repeated.",
        "",
        "![throughput](benchmarks/throughput.png)",
        "![p99](benchmarks/p99.png)",
    ]
    names = {s["target"]: s["name"] for s in result["series"]}
    for subject, baselines in TARGETS:
        table = ratio_table(result, subject, baselines)
        if table:
            parts += ["", f"### {names[subject]} as a ratio to its baselines", "", table]
    targets = postgres_targets(result)
    if targets:
        parts += ["", "### PostgreSQL against its targets", "", targets]
    events = event_tables(result)
    if events:
        parts += ["", "### Event stream (`/v1/events/ws`)", "", events]
    parts += ["", "### Every figure", "", raw_table(result)]
    return "\n".join(parts)


def postgres_targets(result: dict) -> str:
    """Markdown: the production path's targets (one hot chat must not collapse the server;
    spread pins are the common case), each met or missed in this run."""
    by_target = {s["target"]: s for s in result["series"]}

    def run(target: str, c: int) -> dict | None:
        series = by_target.get(target)
        return next((r for r in series["runs"] if r["concurrency"] == c), None) if series else None

    hot16, hot64 = run("feishu_pin_create_postgres", 16), run("feishu_pin_create_postgres", 64)
    if hot16 is None or hot64 is None:
        return ""
    rows = ["| target | figure | status |", "|---|---|---|"]
    ratio = hot64["rps"] / hot16["rps"] if hot16["rps"] else 0.0
    rows.append(f"| hot chat c=64 ≥ 0.5× c=16 | {ratio:.2f}× ({hot64['rps']:.0f} / "
                f"{hot16['rps']:.0f} req/s) | {_status(-ratio, -0.5)} |")  # fmt: skip
    rows.append(f"| hot chat c=64 p99 ≤ 1,000 ms | {hot64['p99_ms']:.0f} ms | "
                f"{_status(hot64['p99_ms'], 1000)} |")  # fmt: skip
    for c, hot in ((16, hot16), (64, hot64)):
        spread = run("feishu_pin_create_spread_postgres", c)
        if spread and hot["rps"]:
            ratio = spread["rps"] / hot["rps"]
            rows.append(f"| spread (1,000 chats) c={c} ≥ 1.5× hot chat | {ratio:.2f}× "
                        f"({spread['rps']:.0f} / {hot['rps']:.0f} req/s) | "
                        f"{_status(-ratio, -1.5)} |")  # fmt: skip
    return "\n".join(rows)


def _status(value: float | None, target: float) -> str:
    if value is None:
        return "–"
    return "met" if value <= target else "**missed**"


def event_tables(result: dict) -> str:
    """Markdown: fan-out latency per event rate and idle memory, against the issue's targets."""
    by_target = {s["target"]: s for s in result["series"]}
    fanout, rss = by_target.get("events_fanout"), by_target.get("events_idle_rss")
    if fanout is None or rss is None:
        return ""
    n, target = fanout["subscribers"], fanout["target_p99_ms"]
    when = ""
    if "events_run" in result:
        when = f"Measured in a separate `python -m bench events` run, {fanout['started']}: "
    rows = [
        f"{when}{n:,} app-level subscribers on one app, latency from `created_at_ms` to receipt "
        f"for every (subscriber, event) pair; target p99 ≤ {target:.0f} ms.",
        "",
        "| events/s asked (served) | frames received / expected | p50 ms | p99 ms | max ms "
        "| first subscriber p99 ms | server CPU | p99 target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for step in fanout["steps"]:
        missing = step["frames_missing"]
        received = f"{step['frames_received']:,} / {step['frames_expected']:,}"
        if missing:
            received += f" (**{missing:,} missing**)"
        rows.append(
            f"| {step['rate_per_s']:g} ({step['produced_per_s']:g}) | {received} | "
            f"{step['p50_ms']:.1f} | {step['p99_ms']:.1f} | {step['max_ms']:.1f} | "
            f"{step['first_subscriber_p99_ms']:.1f} | {step['server_cpu_share']:.0%} | "
            f"{_status(step['p99_ms'], target)} |"
        )
    rows += [
        "",
        "| server RSS | MiB | target |",
        "|---|---|---|",
        f"| no stream open (after warm-up) | {rss['rss_mib_no_streams']:.1f} | |",
        f"| {n:,} idle streams | {rss['rss_mib_idle']:.1f} | ≤ {rss['target_mib']:.0f} MiB: "
        f"{_status(rss['rss_mib_idle'], rss['target_mib'])} |",
        f"| per idle stream | {rss['kib_per_connection']:.1f} KiB | |",
        f"| after the fan-out steps (peak) | {rss['rss_mib_after_fanout']:.1f} "
        f"({rss['rss_mib_peak']:.1f}) | |",
    ]
    return "\n".join(rows)


def write_docs(result: dict, doc: Path) -> None:
    plots(result)
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{markdown(result)}\n{END}{tail}")
