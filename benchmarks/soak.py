"""Soak test: many concurrent clients for a bounded time over search pages, reply pages and
the API, against gunicorn on loopback. Passes when no request gets a 5xx and the workers'
memory stays flat.

    python benchmarks/soak.py [--clients 50] [--seconds 120] [--database-url URL]

It uses the benchmark database (`archive_bench`, filled by `make bench … KEEP=1`), or with
`--database-url` that server's `<name>_bench`; it never writes. Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import gunicorn_server, percentile, prepare_database  # noqa: E402

# A worker may grow while its caches warm; after that, growth beyond this is a leak.
MEMORY_GROWTH_LIMIT = 1.25


def request_paths(count: int = 400, seed: int = 5) -> list[str]:
    """A mix like a researcher's session: searches with and without facets, reply pages,
    entity pages, API search and reply detail."""
    from replies.models import Agency, Member, Reply, Theme

    rng = random.Random(seed)
    # Drawn with the seeded generator (not ORDER BY random()), so two soak runs on one
    # database request the same replies.
    candidates = sorted(
        Reply.objects.published().exclude(index_no__isnull=True).values_list("pk", flat=True)
    )
    chosen = rng.sample(candidates, min(200, len(candidates)))
    replies = list(
        Reply.objects.filter(pk__in=chosen).order_by("pk").values_list("index_no", "title")
    )
    agencies = list(
        Agency.objects.filter(reply_links__isnull=False).distinct().values_list("pk", "name")[:50]
    )
    members = list(Member.objects.values_list("pk", flat=True)[:50])
    themes = list(Theme.objects.values_list("name", flat=True)[:20])
    words = ["孵化", "养老服务", "高质量发展", "乡村振兴", "交通", "教育", '"科技企业孵化"', "医保"]
    paths: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.30:
            params = {"q": rng.choice(words)}
            if rng.random() < 0.5 and themes:
                params["theme"] = rng.choice(themes)
            paths.append("/search/?" + urlencode(params))
        elif kind < 0.55:
            index_no, _title = rng.choice(replies)
            paths.append("/r/" + quote(index_no))
        elif kind < 0.75:
            params = {"q": rng.choice(words)}
            if rng.random() < 0.5 and agencies:
                params["agency"] = rng.choice(agencies)[1]
            paths.append("/api/search?" + urlencode(params))
        elif kind < 0.90:
            index_no, _title = rng.choice(replies)
            paths.append("/api/replies/" + quote(index_no))
        elif kind < 0.95 and agencies:
            paths.append(f"/agencies/{rng.choice(agencies)[0]}/")
        elif members:
            paths.append(f"/members/{rng.choice(members)}/")
    return paths


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """Resident memory of gunicorn's worker processes (children of the master), in MB."""
    sizes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            sizes[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return sizes


def soak(base: str, master_pid: int, paths: list[str], clients: int, seconds: int) -> dict:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    socket_errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    memory: list[tuple[float, float]] = []

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        i = offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 7
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if status == 0:
                    socket_errors[0] += 1
        conn.close()

    def sample_memory() -> None:
        started = time.perf_counter()
        while time.perf_counter() < stop_at:
            total = sum(worker_rss_mb(master_pid).values())
            memory.append((time.perf_counter() - started, total))
            time.sleep(5)

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    sampler = threading.Thread(target=sample_memory)
    sampler.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sampler.join()
    elapsed = time.perf_counter() - began
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    # Memory after warm-up (the first fifth of the run) against the end of the run.
    warm = [mb for at, mb in memory if at >= seconds / 5] or [mb for _, mb in memory]
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "server_errors": server_errors,
        "socket_errors": socket_errors[0],
        "workers_rss_mb_after_warmup": round(warm[0], 1),
        "workers_rss_mb_end": round(warm[-1], 1),
        "workers_rss_mb_peak": round(max(mb for _, mb in memory), 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)

    db = prepare_database(args.database_url, recreate=False)
    os.environ["BENCH_DATABASE"] = json.dumps(db)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from replies.models import Reply

    if not Reply.objects.published().exists():
        raise SystemExit(f"{db['NAME']} holds no replies: run `make bench N=10000 KEEP=1` first")
    paths = request_paths()
    with gunicorn_server(db, workers=2) as base:
        master = _master_pid(base)
        result = soak(base, master, paths, args.clients, args.seconds)
    result["database"] = db["NAME"]
    result["replies"] = Reply.objects.count()
    stable = (
        result["workers_rss_mb_end"] <= result["workers_rss_mb_after_warmup"] * MEMORY_GROWTH_LIMIT
    )
    result["memory_stable"] = stable
    result["passed"] = result["server_errors"] == 0 and result["socket_errors"] == 0 and stable
    print(json.dumps(result, ensure_ascii=False))
    if not result["passed"]:
        raise SystemExit(1)
    return result


def _master_pid(base: str) -> int:
    """The gunicorn master listening on `base`'s port (the process whose workers we measure)."""
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "gunicorn" in cmdline and f"127.0.0.1:{port}" in cmdline:
            status = (entry / "status").read_text()
            parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
            if "gunicorn" not in (
                Path("/proc") / parent.split()[1] / "cmdline"
            ).read_bytes().decode(errors="replace"):
                return int(entry.name)
    raise RuntimeError("gunicorn master not found")


if __name__ == "__main__":
    main()
