"""CSV export of the health nutrition report for the whole nation.

Rows per second streamed to the client, and the server's peak memory (the largest resident
set of a uvicorn worker, sampled every 20 ms) for the whole history against an export of a
tenth of its days. Memory must stay flat: under 20% growth for ten times the rows.
"""

import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

from bench.common import Context, Headers, Result, admin_headers, api_key, children

TARGET_GROWTH = 0.20


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Samples the workers' resident memory in the background; `peak_mb` is the largest."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak_kb = max(_rss_kb(p) for p in pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, *(_rss_kb(p) for p in self.pids))
            time.sleep(0.02)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def _export(
    ctx: Context, headers: Headers, date_from: date, date_to: date
) -> tuple[int, int, float, float]:
    """(rows, bytes, seconds, peak worker MB) of one CSV export."""
    rows = size = 0
    with ctx.client(timeout=3600) as client, PeakMemory(children(ctx.server_pid)) as memory:
        started = time.perf_counter()
        with client.stream(
            "GET",
            "/api/v1/integrations/health/nutrition",
            params={"from": date_from.isoformat(), "to": date_to.isoformat(), "format": "csv"},
            headers=headers,
        ) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    return rows - 1, size, seconds, memory.peak_mb  # minus the header line


def run(ctx: Context) -> list[Result]:
    with psycopg.connect(ctx.libpq_url) as conn:
        first, last = conn.execute(
            "SELECT min(service_date), max(service_date) FROM menus WHERE status = 'approved'"
        ).fetchone() or (None, None)
    assert first is not None and last is not None
    days = (last - first).days + 1
    tenth = max(1, round(days / 10))
    with ctx.client() as client:
        office = api_key(client, admin_headers(client), "health_office", None)
    # Warm every worker (imports, pools, caches) so the comparison is of the export alone.
    for _ in range(4):
        _export(ctx, office, last, last)
    small = _export(ctx, office, last - timedelta(days=tenth - 1), last)
    full = _export(ctx, office, first, last)
    growth = full[3] / small[3] - 1
    result = Result(
        name="CSV export, health nutrition, whole nation",
        figures={
            "window (full)": f"{first} .. {last} ({days} days)",
            "rows (full / tenth)": f"{full[0]:,} / {small[0]:,}",
            "MB sent (full)": full[1] / 1e6,
            "seconds (full)": full[2],
            "rows per second (full)": full[0] / full[2],
            "rows per second (tenth)": small[0] / small[2],
            "peak worker RSS MB (tenth)": small[3],
            "peak worker RSS MB (full)": full[3],
            "memory growth": f"{growth:+.1%}",
        },
        ratio=1 + growth,
        target=f"< {1 + TARGET_GROWTH:.2f} (under {TARGET_GROWTH:.0%} growth)",
        met=growth < TARGET_GROWTH,
    )
    return [result]
