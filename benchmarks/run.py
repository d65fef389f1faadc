"""Benchmark the archive at N replies: parse, ingest, search (against baselines), HTTP, sizes.

    python benchmarks/run.py --n 100000 [--keep] [--smoke] [--database-url URL]

Everything runs on one database in one run, and the last line printed is one JSON object
(see `HEADLINE_KEYS`). The database is never the developer's: with `DATABASE_URL` (or
`--database-url`) it is that server's `<name>_bench`; without, the embedded server's
`archive_bench`. Without `--keep` the database is recreated at the start and the corpus and
database are dropped at the end; with `--keep` both are kept, and a second `--keep` run at the
same N reuses them (skipping generation and ingest, whose figures it then reports from the
first run, marked "kept").

See docs/benchmarks.md for what each figure means and the results on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import generate as gen  # noqa: E402

OUT_DIR = ROOT / "benchmarks" / "out"
HEADLINE_KEYS = (
    "n",
    "ingest_docs_per_s",
    "parse_docs_per_s",
    "search_p50_ms",
    "search_p95_ms",
    "naive_p95_ms",
    "floor_p95_ms",
    "http_rps",
    "http_p95_ms",
    "http_errors",
)
PAGE_SIZE = 20


@dataclass
class Config:
    n: int
    seed: int = 1
    keep: bool = False
    smoke: bool = False
    workers: int = 2
    #: Replies ingested by one process before the parallel workers take over.
    single_docs: int = 10_000
    parse_sample: int = 5_000
    search_reps: int = 20
    naive_reps: int = 1
    #: Per-query time budget for the naive baseline (statement_timeout), seconds.
    naive_cap_s: float = 30.0
    #: Repetitions of one search case stop after this many seconds (at least 3 are run).
    case_budget_s: float = 15.0
    http_seconds: int = 30
    http_clients: int = 20
    tantivy: bool = True
    explain: bool = True
    out_dir: Path = OUT_DIR

    @classmethod
    def for_args(cls, args: argparse.Namespace) -> Config:
        config = cls(n=args.n, seed=args.seed, keep=args.keep, smoke=args.smoke)
        if args.smoke:
            config.single_docs = max(1, args.n // 2)
            config.parse_sample = min(300, args.n)
            config.search_reps = 3
            config.naive_cap_s = 5.0
            config.http_seconds = 3
            config.tantivy = False
            config.explain = False
        config.workers = args.workers if args.workers is not None else config.workers
        if args.single_docs is not None:
            config.single_docs = args.single_docs
        if args.http_seconds is not None:
            config.http_seconds = args.http_seconds
        if args.no_tantivy:
            config.tantivy = False
        if args.naive_cap is not None:
            config.naive_cap_s = args.naive_cap
        if args.out_dir is not None:
            config.out_dir = args.out_dir
        return config


# =========================================================================== database


def _bench_name(name: str, suffix: str = "") -> str:
    base = name if name.endswith("_bench") else f"{name}_bench"
    return base + suffix


def prepare_database(url: str | None, *, recreate: bool, suffix: str = "") -> dict:
    """Create (or reuse) the benchmark database; return its Django DATABASES entry.

    `suffix` keeps a smoke run (`_smoke`) from recreating a kept full-size database."""
    import psycopg

    if url:
        import dj_database_url

        settings = dj_database_url.parse(url, conn_max_age=60)
        settings["NAME"] = _bench_name(settings["NAME"], suffix)
        admin = {
            "host": settings.get("HOST") or None,
            "port": settings.get("PORT") or None,
            "user": settings.get("USER") or None,
            "password": settings.get("PASSWORD") or None,
        }
    else:
        from archive.embedded_pg.server import ensure_server

        data_dir = Path(os.environ.get("ARCHIVE_DATA_DIR", ROOT / ".data"))
        host, port = ensure_server(data_dir)
        settings = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _bench_name("archive", suffix),
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": host,
            "PORT": port,
            # As DATABASE_URL configures it in the app: one connection per worker, kept.
            "CONN_MAX_AGE": 60,
        }
        admin = {"host": host, "port": port, "user": "postgres", "password": None}
    name = settings["NAME"]
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    settings.pop("OPTIONS_DATA_DIR", None)
    return {key: value for key, value in settings.items() if key != "TEST"}


def drop_database(db: dict) -> None:
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def _kept_database_matches(db: dict, config: Config) -> bool:
    """Whether a kept benchmark database holds exactly this corpus (else it is recreated)."""
    import psycopg

    meta = config.out_dir / f"kept-ingest-seed{config.seed}-n{config.n}-{db['NAME']}.json"
    if not meta.exists():
        return False
    try:
        with psycopg.connect(
            dbname=db["NAME"],
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
        ) as conn:
            count = conn.execute("SELECT count(*) FROM replies_reply").fetchone()[0]
    except psycopg.Error:
        return False
    return count == config.n


def current_database_settings() -> dict:
    """The connected database as a plain DATABASES entry (for gunicorn and the workers)."""
    from django.db import connection

    connection.ensure_connection()
    s = connection.settings_dict
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": s["NAME"],
        "USER": s.get("USER") or "",
        "PASSWORD": s.get("PASSWORD") or "",
        "HOST": s.get("HOST") or "",
        "PORT": str(s.get("PORT") or ""),
        "CONN_MAX_AGE": 60,
    }


#: Server settings a run's figures depend on: memory for search latency, checkpoint spacing
#: for the load (a run may set them with ALTER SYSTEM; the report must say so).
REPORTED_SETTINGS = ("shared_buffers", "work_mem", "max_wal_size", "checkpoint_timeout")


def server_version() -> str:
    """The server's version and the settings in REPORTED_SETTINGS."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        shown = []
        for name in REPORTED_SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name} {cursor.fetchone()[0]}")
    return ", ".join([version, *shown])


# =========================================================================== measuring helpers


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


@dataclass
class StatementLog:
    """Every SQL statement Django runs while active, with its time (an execute_wrapper)."""

    statements: list[Statement] = field(default_factory=list)

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append(Statement(sql, params, (time.perf_counter() - start) * 1000))


def statement_kind(sql: str) -> str:
    head = sql.lstrip()[:40]
    if head.startswith("SELECT count(*) FROM (SELECT r.id"):
        return "count"
    # "WITH w AS": the one statement of a search with two or more facets selected.
    if head.startswith(("WITH candidates", "WITH m AS", "WITH w AS")):
        return "page"
    if head.startswith("WITH m0"):
        return "facets"
    return "other"


# =========================================================================== phases


def phase_generate(config: Config) -> tuple[Path, dict]:
    directory = gen.corpus_dir(config.out_dir, config.n, config.seed)
    if config.keep and gen.corpus_is_complete(directory, config.n, config.seed):
        return directory, {"generated": False, "seconds": 0.0}
    start = time.perf_counter()
    gen.write_corpus(directory, config.n, config.seed)
    seconds = time.perf_counter() - start
    return directory, {"generated": True, "seconds": seconds, "docs_per_s": config.n / seconds}


PARSE_CHECK_KEYS = (
    "index_no",
    "doc_no",
    "title",
    "kind",
    "session",
    "proposal_number",
    "members",
    "sender",
    "role",
    "lead_agency",
    "co_agencies",
    "published_date",
)


def phase_parse(config: Config, corpus: Path) -> dict:
    """Parse only (no database): docs/s on one core, and how often the parser agrees with
    what the generator wrote (a check on the corpus, not a parser test)."""
    from replies.parsing import parse_document

    truths = {}
    for truth in gen.read_manifest(corpus):
        if truth["index"] >= config.parse_sample:
            break
        truths[truth["index"]] = truth
    disagreements: Counter[str] = Counter()
    seconds = 0.0
    docs = 0
    # Results are compared and dropped one by one: holding thousands of parse trees would
    # make the garbage collector, not the parser, the thing measured.
    for index, (filename, data) in enumerate(gen.read_corpus(corpus, 0, config.parse_sample)):
        start = time.perf_counter()
        result = parse_document(data, filename)
        seconds += time.perf_counter() - start
        docs += 1
        values, truth = result.to_contract(), truths[index]
        for key in PARSE_CHECK_KEYS:
            if (values.get(key) or None) != (truth.get(key) or None):
                disagreements[key] += 1
    return {
        "docs": docs,
        "seconds": seconds,
        "docs_per_s": docs / seconds,
        "fields_checked": docs * len(PARSE_CHECK_KEYS),
        "disagreements": dict(disagreements),
    }


def _ingest_worker(corpus: str, start: int, stop: int, step: int, offset: int, queue) -> None:
    """A worker process: ingest documents start+offset, start+offset+step, … < stop."""
    from django.db import DatabaseError, connections

    from replies.ingest import Context, ingest_many

    connections.close_all()  # never share the parent's socket
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    retry: list[int] = []
    # Streamed, never listed: a worker holding its share of a 1M corpus would need gigabytes.
    mine = (
        (index, item)
        for index, item in enumerate(gen.read_corpus(Path(corpus), start, stop), start)
        if (index - start) % step == offset
    )
    # Documents handed to ingest_many whose outcome has not come back yet: a batch is one
    # transaction, so a database error loses all of them, not only the last one read.
    unreported: list[int] = []

    def items():
        for index, item in mine:
            unreported.append(index)
            yield item

    errors: Counter[str] = Counter()
    began = time.perf_counter()
    while True:
        # ingest_many stops at a database error (a deadlock between the workers, say); the
        # documents of the lost batch are retried by the parent and this worker goes on.
        try:
            for outcome in ingest_many(items(), Context(user_name="benchmark")):
                unreported.pop(0)
                counts[outcome.status] += 1
                if not outcome.ok:
                    reasons[outcome.reason[:80]] += 1
            break
        except DatabaseError as exc:
            if not unreported:
                raise
            errors[str(exc).splitlines()[0][:80]] += 1
            retry.extend(unreported)
            unreported.clear()
            connections.close_all()
    queue.put(
        {
            "counts": dict(counts),
            "reasons": dict(reasons),
            "retry": retry,
            "errors": dict(errors),
            "seconds": time.perf_counter() - began,
            "rss_mb": peak_rss_mb(),
        }
    )
    connections.close_all()


def _ingest_in_process(items, counts: Counter, reasons: Counter) -> None:
    from replies.ingest import Context, ingest_many

    # workers=1: the parser runs in a second process while this one writes, as
    # `manage.py ingest --workers 1` does; the 2-core machine has no third core to give.
    for outcome in ingest_many(items, Context(user_name="benchmark"), workers=1):
        counts[outcome.status] += 1
        if not outcome.ok:
            reasons[outcome.reason[:80]] += 1


def phase_ingest(config: Config, corpus: Path) -> dict:
    """One process for the first `single_docs`, then `workers` processes for the rest."""
    from django.db import connection, connections

    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    single = min(config.n, config.single_docs) if config.workers > 1 else config.n
    start = time.perf_counter()
    _ingest_in_process(gen.read_corpus(corpus, 0, single), counts, reasons)
    single_seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "single_docs": single,
        "single_seconds": single_seconds,
        "single_docs_per_s": single / single_seconds if single else float("nan"),
        "single_rss_mb": peak_rss_mb(),
    }
    if single < config.n:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        processes = [
            context.Process(
                target=_ingest_worker,
                args=(str(corpus), single, config.n, config.workers, offset, queue),
            )
            for offset in range(config.workers)
        ]
        began = time.perf_counter()
        for process in processes:
            process.start()
        reports = [queue.get() for _ in processes]
        for process in processes:
            process.join()
        parallel_seconds = time.perf_counter() - began
        retry = sorted(i for report in reports for i in report["retry"])
        for report in reports:
            counts.update(report["counts"])
            reasons.update(report["reasons"])
        if retry:
            wanted = set(retry)
            items = [
                item
                for index, item in enumerate(gen.read_corpus(corpus, single, config.n), single)
                if index in wanted
            ]
            _ingest_in_process(items, counts, reasons)
        result.update(
            parallel_docs=config.n - single,
            parallel_workers=config.workers,
            parallel_seconds=parallel_seconds,
            parallel_docs_per_s=(config.n - single) / parallel_seconds,
            parallel_retried=len(retry),
            parallel_errors=dict(sum((Counter(r.get("errors", {})) for r in reports), Counter())),
            worker_rss_mb=max(report["rss_mb"] for report in reports),
        )
    result["seconds"] = time.perf_counter() - start
    result["docs_per_s"] = config.n / result["seconds"]
    result["counts"] = dict(counts)
    result["failures"] = dict(reasons.most_common(5))
    began = time.perf_counter()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # What autovacuum would do soon after a bulk load; searched tables need statistics.
        cursor.execute("VACUUM ANALYZE")
    result["vacuum_analyze_seconds"] = time.perf_counter() - began
    return result


def database_sizes() -> dict:
    from django.db import connection

    tables = (
        "replies_reply",
        "replies_searchentry",
        "replies_rankentry",
        "replies_source",
        "replies_replyagency",
        "replies_replymember",
        "replies_reply_themes",
        "replies_commitment",
        "replies_citation",
        "replies_changerecord",
    )
    sizes: dict[str, Any] = {"tables": {}, "reply_indexes": {}}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT pg_total_relation_size(%s), pg_relation_size(%s), pg_indexes_size(%s),"
                " (SELECT count(*) FROM " + table + ")",
                [table, table, table],
            )
            total, heap, indexes, rows = cursor.fetchone()
            sizes["tables"][table] = {
                "total_mb": total / 2**20,
                "heap_mb": heap / 2**20,
                "indexes_mb": indexes / 2**20,
                "rows": rows,
            }
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            "WHERE indrelid IN ('replies_reply'::regclass, 'replies_searchentry'::regclass) "
            "ORDER BY 2 DESC"
        )
        sizes["reply_indexes"] = {name: size / 2**20 for name, size in cursor.fetchall()}
        cursor.execute("SELECT pg_database_size(current_database())")
        sizes["database_mb"] = cursor.fetchone()[0] / 2**20
    return sizes


# =========================================================================== the query mix


@dataclass
class Query:
    name: str  # rare, common, two_words, phrase, member, doc_no, broad
    q: str
    headline: bool = True  # counted in the headline percentiles


def choose_queries(corpus: Path, n: int) -> list[Query]:
    """The fixed mix, with the member and the 文号 taken from the corpus itself."""
    members: Counter[str] = Counter()
    doc_no = ""
    for truth in gen.read_manifest(corpus):
        if truth["index"] >= n:
            break
        members.update(truth["members"])
        if truth["index"] == n // 2:
            doc_no = truth["doc_no"]
    ranked = members.most_common(10)
    member = ranked[-1][0] if ranked else "李洁"
    return [
        Query("rare", gen.RARE_TERM),
        Query("common", gen.COMMON_TERM),
        Query("two_words", "养老服务 社区食堂"),
        Query("phrase", f'"{gen.PHRASE_TERM}"'),
        Query("member", member),
        Query("doc_no", doc_no),
        # Not in the mix the targets are set on: a term in nearly every reply.
        Query("broad", "工作", headline=False),
    ]


def choose_filters() -> dict[int, dict[str, list[str]]]:
    """0, 1 and 3 facet filters with values that exist: the busiest year, theme and agency."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT year FROM replies_reply WHERE year IS NOT NULL "
            "GROUP BY year ORDER BY count(*) DESC LIMIT 1"
        )
        year = str(cursor.fetchone()[0])
        cursor.execute(
            "SELECT t.name FROM replies_reply_themes rt JOIN replies_theme t ON t.id = rt.theme_id "
            "GROUP BY t.name ORDER BY count(*) DESC LIMIT 1"
        )
        theme = cursor.fetchone()[0]
        cursor.execute(
            "SELECT a.name FROM replies_replyagency ra JOIN replies_agency a ON a.id = ra.agency_id "
            "GROUP BY a.name ORDER BY count(*) DESC LIMIT 1"
        )
        agency = cursor.fetchone()[0]
    return {
        0: {},
        1: {"year": [year]},
        3: {"year": [year], "theme": [theme], "agency": [agency]},
    }


def _query_params(query: Query, filters: dict[str, list[str]]) -> dict[str, list[str]]:
    return {"q": [query.q], **filters}


# =========================================================================== search phases


@dataclass
class Sample:
    query: str
    filters: int
    ms: list[float]
    count: int | None = None
    note: str = ""
    breakdown: dict[str, float] = field(default_factory=dict)  # statement kind → median ms


def phase_search(
    config: Config, queries, filter_sets
) -> tuple[list[Sample], list[tuple], list[Sample]]:
    """`run_search` as the page and the API call it (results, facets, snippets), in a process
    settled as a served one is (`archive.startup.settle`, which `archive/wsgi.py` calls), and
    the floor's statement for the same case, taken in turns, one of each per repetition.

    In turns because their ratio is a target and this machine's speed drifts by tens of per
    cent within minutes: measured one phase after the other, the floor of session 21's second
    run ran the common term at 51 ms where its first had 31, on the same data and SQL.
    Returns the app's samples, its slowest statements and the floor's samples."""
    from django.db import connection
    from django.http import QueryDict

    from archive.startup import settle
    from replies.search import run_search

    settle()
    samples, slow_statements, floor_samples = [], [], []
    for query in queries:
        for level, filters in filter_sets.items():
            params = QueryDict(urllib.parse.urlencode(_query_params(query, filters), doseq=True))
            floor_sql, floor_params = _floor_sql(query, filters)
            run_search(params)  # warm-up: caches, first plan
            _run_floor(floor_sql, floor_params)
            sample = Sample(query.name, level, [])
            floor = Sample(query.name, level, [])
            kinds: dict[str, list[float]] = {}
            began = time.perf_counter()
            for rep in range(config.search_reps):
                if rep >= 3 and time.perf_counter() - began > config.case_budget_s:
                    break  # a slow case has said what it has to say
                log = StatementLog()
                with connection.execute_wrapper(log):
                    start = time.perf_counter()
                    results = run_search(params)
                    sample.ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                floor.count = len(_run_floor(floor_sql, floor_params))
                floor.ms.append((time.perf_counter() - start) * 1000)
                sample.count = results.count
                sample.note = "capped" if results.count_capped else ""
                per_kind: Counter[str] = Counter()
                for statement in log.statements:
                    per_kind[statement_kind(statement.sql)] += statement.ms
                for kind, ms in per_kind.items():
                    kinds.setdefault(kind, []).append(ms)
                slowest = max(log.statements, key=lambda s: s.ms)
                slow_statements.append((slowest.ms, query.name, level, slowest))
            sample.breakdown = {kind: statistics.median(v) for kind, v in kinds.items()}
            samples.append(sample)
            floor_samples.append(floor)
    return samples, slow_statements, floor_samples


def _run_floor(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _floor_sql(query: Query, filters: dict[str, list[str]]) -> tuple[str, list]:
    """The GIN match alone, with the same filters, returning the 20 newest ids: the least
    any engine over these indexes must do. (The app's index is the search entry table.)"""
    from replies.models import Agency, AgencyAlias, Theme
    from replies.search import parse_query, query_tsquery

    where = ["e.published", "e.bigrams @@ %s::tsquery"]
    params: list = [query_tsquery(parse_query(query.q), phrase=False)]
    if "year" in filters:
        where.append("e.year = ANY(%s)")
        params.append([int(y) for y in filters["year"]])
    if "theme" in filters:
        ids = list(Theme.objects.filter(name__in=filters["theme"]).values_list("id", flat=True))
        where.append("e.theme_ids && %s::bigint[]")
        params.append(ids)
    if "agency" in filters:
        ids = list(Agency.objects.filter(name__in=filters["agency"]).values_list("id", flat=True))
        ids += list(
            AgencyAlias.objects.filter(name__in=filters["agency"]).values_list(
                "agency_id", flat=True
            )
        )
        where.append("e.agency_ids && %s::bigint[]")
        params.append(ids)
    # MATERIALIZED: the matched set comes from the GIN index, whatever the planner would
    # prefer for ORDER BY … LIMIT (walking the date index for a rare term is the trap).
    sql = (
        "WITH m AS MATERIALIZED (SELECT e.reply_id AS id, e.sort_date "
        "FROM replies_searchentry e WHERE "
        + " AND ".join(where)
        + f") SELECT id FROM m ORDER BY sort_date DESC NULLS LAST, id DESC LIMIT {PAGE_SIZE}"
    )
    return sql, params


def _naive_once(
    query: Query, filters: dict[str, list[str]], cap_s: float
) -> tuple[float, int | None, str]:
    """What a Django developer writes first: `icontains` on title and body, the same filters,
    the count, the newest 20 and each facet by ORM aggregation. Returns (ms, count, note)."""
    from django.db import OperationalError, connection, transaction
    from django.db.models import Count, Q
    from django.http import QueryDict

    from replies.filters import ReplyFilter
    from replies.models import PUBLIC_TEXT, Reply, ReplyAgency, ReplyMember

    params = QueryDict(urllib.parse.urlencode(filters, doseq=True))
    filterset = ReplyFilter(params)
    filterset.clean_values()
    qs = filterset.qs.annotate(public_text_value=PUBLIC_TEXT)
    for term in query.q.replace('"', " ").split():
        qs = qs.filter(Q(title__icontains=term) | Q(public_text_value__icontains=term))
    start = time.perf_counter()
    count = None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(cap_s * 1000)}")
            count = qs.count()
            page = list(
                qs.select_related("lead_agency", "session").order_by("-sort_date", "-id")[
                    :PAGE_SIZE
                ]
            )
            del page
            ids = qs.values("id")
            for column in ("year", "kind", "reply_category", "session__name", "genre_entity__name"):
                list(qs.order_by().values(column).annotate(n=Count("id")))
            list(
                ReplyAgency.objects.filter(reply_id__in=ids)
                .values("agency__name", "role")
                .annotate(n=Count("id"))
            )
            list(
                Reply.themes.through.objects.filter(reply_id__in=ids)
                .values("theme__name")
                .annotate(n=Count("id"))
            )
            list(
                ReplyMember.objects.filter(reply_id__in=ids)
                .values("member__name")
                .annotate(n=Count("id"))
                .order_by("-n")[:200]
            )
    except OperationalError as exc:
        if "statement timeout" not in str(exc) and "canceling statement" not in str(exc):
            raise
        return max(cap_s * 1000, (time.perf_counter() - start) * 1000), count, "timeout"
    return (time.perf_counter() - start) * 1000, count, ""


def phase_naive(config: Config, queries, filter_sets) -> list[Sample]:
    samples = []
    for query in queries:
        for level, filters in filter_sets.items():
            sample = Sample(query.name, level, [])
            for _ in range(config.naive_reps):
                ms, count, note = _naive_once(query, filters, config.naive_cap_s)
                sample.ms.append(ms)
                sample.count = count
                sample.note = note or sample.note
            samples.append(sample)
    return samples


def phase_tantivy(config: Config, queries, filter_sets) -> dict:
    """BM25 reference: tantivy fed the same folded bigrams the archive indexes, top 20 + count.
    Filters are term queries on year / theme / agency fields. No facets."""
    try:
        import tantivy
    except ImportError:
        return {"skipped": "tantivy not installed (pip install tantivy)"}
    from django.db import connection

    from replies.models import public_text_sql
    from replies.search import bigrams, fold, parse_query

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", stored=False, tokenizer_name="whitespace")
    builder.add_text_field("year", stored=False, tokenizer_name="raw")
    builder.add_text_field("theme", stored=False, tokenizer_name="raw")
    builder.add_text_field("agency", stored=False, tokenizer_name="raw")
    schema = builder.build()
    directory = tempfile.mkdtemp(prefix="tantivy-", dir=config.out_dir)
    try:
        index = tantivy.Index(schema, path=directory)
        writer = index.writer(heap_size=256_000_000)
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT r.id, r.title, {public_text_sql('r')}, r.year,"
                " ARRAY(SELECT t.name FROM replies_reply_themes rt JOIN replies_theme t"
                "       ON t.id = rt.theme_id WHERE rt.reply_id = r.id),"
                " ARRAY(SELECT a.name FROM replies_replyagency ra JOIN replies_agency a"
                "       ON a.id = ra.agency_id WHERE ra.reply_id = r.id)"
                " FROM replies_reply r WHERE r.status = 'published'"
            )
            while rows := cursor.fetchmany(2000):
                for reply_id, title, body, year, themes, agencies in rows:
                    text = " ".join(bigrams(fold(title))) + " " + " ".join(bigrams(fold(body)))
                    writer.add_document(
                        tantivy.Document(
                            id=reply_id,
                            text=text,
                            year=str(year or ""),
                            theme=list(themes),
                            agency=list(agencies),
                        )
                    )
        writer.commit()
        writer.wait_merging_threads()
        build_seconds = time.perf_counter() - start
        index.reload()
        searcher = index.searcher()
        samples = []
        for query in queries:
            parsed = parse_query(query.q)
            clauses = []
            for term in parsed.terms:
                grams = bigrams(term.text)
                if term.phrase:
                    clauses.append('+text:"' + " ".join(grams) + '"')
                else:
                    clauses.extend(f"+text:{gram}" for gram in grams)
            for level, filters in filter_sets.items():
                extra = [
                    f'+{facet}:"{value}"' for facet, values in filters.items() for value in values
                ]
                parsed_query = index.parse_query(" ".join(clauses + extra), ["text"])
                searcher.search(parsed_query, PAGE_SIZE, count=True)
                sample = Sample(query.name, level, [])
                for _ in range(config.search_reps):
                    began = time.perf_counter()
                    result = searcher.search(parsed_query, PAGE_SIZE, count=True)
                    sample.ms.append((time.perf_counter() - began) * 1000)
                sample.count = result.count
                samples.append(sample)
        size = sum(p.stat().st_size for p in Path(directory).rglob("*") if p.is_file())
        return {"build_seconds": build_seconds, "size_mb": size / 2**20, "samples": samples}
    except Exception as exc:  # an optional reference must not sink the run
        return {"skipped": f"tantivy failed: {type(exc).__name__}: {exc}"}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def explain_slowest(slow_statements, limit: int = 4) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of the slowest distinct cases."""
    from django.db import connection

    seen, out = set(), []
    for ms, name, level, statement in sorted(slow_statements, key=lambda s: -s[0]):
        if (name, level) in seen or len(seen) >= limit:
            continue
        seen.add((name, level))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        out.append(f"-- {name}, {level} filters: {ms:.1f} ms ({statement_kind(statement.sql)})\n")
        out.append(connection.ops.compose_sql(statement.sql, statement.params) + "\n\n" + plan)
        out.append("\n\n")
    return "".join(out)


# =========================================================================== HTTP


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn_server(db: dict, workers: int = 2, extra_env: dict | None = None):
    port = _free_port()
    env = {
        **os.environ,
        **(extra_env or {}),
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_DATABASE": json.dumps(db),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    descriptor, log_name = tempfile.mkstemp(prefix="gunicorn-", suffix=".log")
    os.close(descriptor)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "archive.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--error-logfile",
            log_name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/search?q=", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log_name}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_WRK_SCRIPT = """
local paths = {%s}
counter = 0
bad_status = 0
redirects = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) counter = math.random(#paths) end
function request()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter])
end
function response(status, headers, body)
  -- A 文号 query on the search page answers 302 to its reply, by design: not an error.
  if status >= 400 then bad_status = bad_status + 1 end
  if status >= 300 and status < 400 then redirects = redirects + 1 end
end
function done(summary, latency, requests)
  local bad, moved = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("bad_status")
    moved = moved + t:get("redirects")
  end
  local e = summary.errors
  io.write(string.format(
    '\\nWRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d,'
    .. ' "p99_us": %%d, "bad_status": %%d, "redirects": %%d, "socket_errors": %%d,'
    .. ' "timeouts": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), bad, moved, e.connect + e.read + e.write, e.timeout))
end
"""


def _load_wrk(base: str, paths: list[str], seconds: int, clients: int) -> dict:
    lua_paths = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % lua_paths)
    completed = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            script.name,
            base,
        ],
        capture_output=True,
        text=True,
    )
    os.unlink(script.name)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["bad_status"] + raw["socket_errors"] + raw["timeouts"],
        "redirects": raw["redirects"],
    }


def _load_python(base: str, paths: list[str], seconds: int, clients: int) -> dict:
    """Fallback when wrk is not installed: threads with keep-alive connections."""
    import http.client
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    host, port = base.removeprefix("http://").split(":")

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        i = offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400  # a 302 to the reply is the 文号 answer
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {
        "tool": "python threads",
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "errors": errors[0],
        "redirects": None,
    }


def phase_http(config: Config, db: dict, queries, filter_sets) -> dict:
    """20 clients against gunicorn (2 workers) for the API and for the search page."""
    mix = [q for q in queries if q.headline]
    query_strings = [
        urllib.parse.urlencode(_query_params(q, f), doseq=True)
        for q in mix
        for f in filter_sets.values()
    ]
    results = {}
    # As deployed (the search cache on: after the warm-up every URL of the mix is a cache
    # hit, so this measures the app around a remembered search), then with the cache off
    # (every request runs its search: the worst case, a stream of queries never seen).
    for suffix, extra_env in (("", {}), ("_uncached", {"ARCHIVE_SEARCH_CACHE_SECONDS": "0"})):
        with gunicorn_server(db, extra_env=extra_env) as base:
            for endpoint, prefix in (("api", "/api/search?"), ("page", "/search/?")):
                paths = [prefix + qs for qs in query_strings]
                for path in paths:  # warm both workers a little
                    with (
                        contextlib.suppress(OSError),
                        urllib.request.urlopen(base + path, timeout=60),
                    ):
                        pass
                load = _load_wrk if shutil.which("wrk") else _load_python
                results[endpoint + suffix] = load(
                    base, paths, config.http_seconds, config.http_clients
                )
    return results


# =========================================================================== report


def weighted_percentile(pairs: list[tuple[float, float]], q: float) -> float:
    """Percentile of (value, weight) pairs: the smallest value with ≥ q% of the weight at or
    below it."""
    if not pairs:
        return float("nan")
    ordered = sorted(pairs)
    total = sum(weight for _, weight in ordered)
    running = 0.0
    for value, weight in ordered:
        running += weight
        if running >= total * q / 100 - 1e-9:
            return value
    return ordered[-1][0]


def summarise(samples: list[Sample], names: set[str] | None = None) -> dict:
    """Percentiles of a request drawn uniformly from the mix: every case weighs the same,
    however many times it ran (slow cases stop repeating early)."""
    chosen = [s for s in samples if names is None or s.query in names]
    pairs = [(ms, 1 / len(s.ms)) for s in chosen for ms in s.ms]
    return {
        "p50": weighted_percentile(pairs, 50),
        "p95": weighted_percentile(pairs, 95),
        "p99": weighted_percentile(pairs, 99),
        "timeouts": sum(s.note == "timeout" for s in chosen),
    }


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or value != value:  # NaN
        return "—"
    return f"{value:,.{digits}f}"


def render_report(report: dict) -> str:
    lines = []
    env = report["environment"]
    lines.append(
        f"# 答复档案库 benchmark — N = {report['n']:,} replies "
        f"({env['date']}, {env['cpus']} cores, {env['ram_gb']:.0f} GB, "
        f"kernel {env['kernel']}, PostgreSQL {env['postgres']} [{env['database']}])"
    )
    g, p, i = report["generate"], report["parse"], report["ingest"]
    lines.append("")
    lines.append("## Load")
    lines.append("| phase | docs | seconds | docs/s | peak RSS MB |")
    lines.append("|---|---:|---:|---:|---:|")
    if g.get("generated"):
        lines.append(
            f"| generate corpus | {report['n']:,} | {_fmt(g['seconds'])} | {_fmt(g['docs_per_s'], 0)} | |"
        )
    lines.append(
        f"| parse only (1 process) | {p['docs']:,} | {_fmt(p['seconds'])} | {_fmt(p['docs_per_s'], 0)} | |"
    )
    kept = " (kept from the first run)" if i.get("kept") else ""
    lines.append(
        f"| ingest, 1 process{kept} | {i['single_docs']:,} | {_fmt(i['single_seconds'])} | "
        f"{_fmt(i['single_docs_per_s'], 0)} | {_fmt(i['single_rss_mb'], 0)} |"
    )
    if i.get("parallel_docs"):
        lines.append(
            f"| ingest, {i['parallel_workers']} processes{kept} | {i['parallel_docs']:,} | "
            f"{_fmt(i['parallel_seconds'])} | {_fmt(i['parallel_docs_per_s'], 0)} | "
            f"{_fmt(i['worker_rss_mb'], 0)} per worker |"
        )
    lines.append(
        f"| ingest, whole load{kept} | {report['n']:,} | {_fmt(i['seconds'])} | {_fmt(i['docs_per_s'], 0)} | |"
    )
    lines.append(f"| VACUUM ANALYZE | | {_fmt(i['vacuum_analyze_seconds'])} | | |")
    lines.append("")
    lines.append(
        f"Ingest outcomes: {i['counts']}; failures: {i['failures'] or 'none'}; "
        f"retried after a worker's database error: {i.get('parallel_retried', 0)}"
        f"{' ' + str(i['parallel_errors']) if i.get('parallel_errors') else ''}. "
        f"Parser vs generator: {sum(p['disagreements'].values())} of {p['fields_checked']:,} "
        f"checked fields differ {p['disagreements'] or ''}."
    )

    lines.append("")
    lines.append("## Search latency (ms) by query and facet filters")
    filters = report["filters"]
    lines.append(
        f"Filters: 1 = {json.dumps(filters['1'], ensure_ascii=False)}; "
        f"3 = {json.dumps(filters['3'], ensure_ascii=False)}. "
        f"App = `run_search` (count + page + facets + hits + snippets); floor = GIN match + "
        f"filters → 20 newest ids in raw SQL; naive = ORM `icontains` + ORM facet counts "
        f"({report['config']['naive_reps']} run, capped at {report['config']['naive_cap_s']:.0f} s)."
    )
    lines.append("")
    header = "| query | q | filters | matches | app p50 | app p95 | count / page / facets / other (median) | floor p50 | naive | tantivy p50 |"
    lines.append(header)
    lines.append("|---|---|---:|---:|---:|---:|---|---:|---:|---:|")
    floor = {(s.query, s.filters): s for s in report["floor_samples"]}
    naive = {(s.query, s.filters): s for s in report["naive_samples"]}
    tantivy_samples = report["tantivy"].get("samples") or []
    tv = {(s.query, s.filters): s for s in tantivy_samples}
    qtext = {q.name: q.q for q in report["queries"]}
    for s in report["search_samples"]:
        key = (s.query, s.filters)
        b = s.breakdown
        parts = " / ".join(_fmt(b.get(k), 1) for k in ("count", "page", "facets", "other"))
        nv = naive.get(key)
        naive_text = (
            ("timeout" if nv and nv.note == "timeout" else _fmt(statistics.median(nv.ms), 0))
            if nv
            else "—"
        )
        tv_text = _fmt(statistics.median(tv[key].ms), 2) if key in tv else "—"
        count = f"{s.count:,}{'+' if s.note == 'capped' else ''}"
        lines.append(
            f"| {s.query} | `{qtext[s.query]}` | {s.filters} | {count} | "
            f"{_fmt(statistics.median(s.ms))} | {_fmt(percentile(s.ms, 95))} | {parts} | "
            f"{_fmt(statistics.median(floor[key].ms), 2)} | {naive_text} | {tv_text} |"
        )
    h = report["headline_stats"]
    lines.append("")
    lines.append("| over the mix (broad excluded) | p50 | p95 | p99 |")
    lines.append("|---|---:|---:|---:|")
    lines.append(
        f"| app (`run_search`) | {_fmt(h['app']['p50'])} | {_fmt(h['app']['p95'])} | {_fmt(h['app']['p99'])} |"
    )
    lines.append(
        f"| floor (raw GIN SQL) | {_fmt(h['floor']['p50'], 2)} | {_fmt(h['floor']['p95'], 2)} | {_fmt(h['floor']['p99'], 2)} |"
    )
    lines.append(
        f"| naive (ORM icontains) | {_fmt(h['naive']['p50'], 0)} | {_fmt(h['naive']['p95'], 0)} | "
        f"{_fmt(h['naive']['p99'], 0)} |"
    )
    if "tantivy" in h:
        lines.append(
            f"| tantivy (no facets) | {_fmt(h['tantivy']['p50'], 2)} | {_fmt(h['tantivy']['p95'], 2)} | {_fmt(h['tantivy']['p99'], 2)} |"
        )
    lines.append("")
    lines.append(
        f"Naive timeouts: {h['naive']['timeouts']} of {len(report['naive_samples'])} cases "
        f"(a timeout counts as the cap, so the naive percentiles are lower bounds). "
        f"Speed-up over naive at p95: {_fmt(report['ratios']['naive_over_app_p95'])}×; "
        f"app p95 / floor p95: {_fmt(report['ratios']['app_over_floor_p95'])}×."
    )
    t = report["tantivy"]
    if t.get("skipped"):
        lines.append(f"Tantivy: {t['skipped']}.")
    else:
        lines.append(
            f"Tantivy index: built in {_fmt(t['build_seconds'])} s (bigrams computed in Python), "
            f"{_fmt(t['size_mb'])} MB."
        )

    lines.append("")
    lines.append("## HTTP (gunicorn, 2 sync workers, 20 concurrent clients)")
    lines.append(
        "| endpoint | tool | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for endpoint, label in (
        ("api", "`/api/search`"),
        ("page", "`/search/`"),
        ("api_uncached", "`/api/search`, search cache off"),
        ("page_uncached", "`/search/`, search cache off"),
    ):
        r = report["http"].get(endpoint)
        if r is None:
            continue
        lines.append(
            f"| {label} | {r['tool']} | {report['config']['http_seconds']} | {r['requests']:,} | "
            f"{_fmt(r['rps'])} | {_fmt(r['p50_ms'])} | {_fmt(r['p95_ms'])} | {_fmt(r['p99_ms'])} | "
            f"{r['errors']} |"
        )

    lines.append("")
    lines.append("## Sizes")
    sizes = report["sizes"]
    lines.append("| table | rows | heap MB | indexes MB | total MB (with TOAST) |")
    lines.append("|---|---:|---:|---:|---:|")
    for table, size in sizes["tables"].items():
        lines.append(
            f"| {table} | {size['rows']:,} | {_fmt(size['heap_mb'])} | {_fmt(size['indexes_mb'])} | "
            f"{_fmt(size['total_mb'])} |"
        )
    lines.append("")
    lines.append(
        "Reply indexes (MB): "
        + ", ".join(f"{name} {_fmt(mb)}" for name, mb in sizes["reply_indexes"].items())
        + f". Database: {_fmt(sizes['database_mb'])} MB."
    )
    return "\n".join(lines)


def headline(report: dict) -> dict:
    h = report["headline_stats"]
    ingest = report["ingest"]
    api = report["http"]["api"]
    page = report["http"]["page"]

    def r1(x):
        return None if x is None or x != x else round(x, 1)

    return {
        "n": report["n"],
        # One process, as `manage.py ingest` loads; the parallel figure is beside it.
        "ingest_docs_per_s": r1(ingest["single_docs_per_s"]),
        "parse_docs_per_s": r1(report["parse"]["docs_per_s"]),
        "search_p50_ms": r1(h["app"]["p50"]),
        "search_p95_ms": r1(h["app"]["p95"]),
        "naive_p95_ms": r1(h["naive"]["p95"]),
        "floor_p95_ms": r1(h["floor"]["p95"]),
        "http_rps": r1(api["rps"]),
        "http_p95_ms": r1(api["p95_ms"]),
        "http_errors": sum(r["errors"] for r in report["http"].values()),
        "ingest_parallel_docs_per_s": r1(ingest.get("parallel_docs_per_s")),
        "search_p99_ms": r1(h["app"]["p99"]),
        "naive_timeouts": h["naive"]["timeouts"],
        "page_rps": r1(page["rps"]),
        "page_p95_ms": r1(page["p95_ms"]),
        "http_uncached_rps": r1(report["http"].get("api_uncached", {}).get("rps")),
        "http_uncached_p95_ms": r1(report["http"].get("api_uncached", {}).get("p95_ms")),
        "page_uncached_rps": r1(report["http"].get("page_uncached", {}).get("rps")),
        "peak_rss_mb": r1(max(ingest["single_rss_mb"], ingest.get("worker_rss_mb") or 0)),
        "postgres": report["environment"]["postgres"],
    }


# =========================================================================== orchestration


def environment(database: str) -> dict:
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpus": os.cpu_count(),
        "ram_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": server_version(),
        "database": database,
    }


def _db_holds_corpus(out_dir: Path, n: int, seed: int) -> dict | None:
    """The ingest figures of an earlier --keep run, when the database holds its corpus."""
    from django.db import connection

    from replies.models import Reply

    meta = out_dir / f"kept-ingest-seed{seed}-n{n}-{connection.settings_dict['NAME']}.json"
    if meta.exists() and Reply.objects.count() == n:
        return json.loads(meta.read_text())
    return None


def run_benchmark(config: Config, *, database_label: str, db_for_http: dict) -> dict:
    """Every phase, on the database Django is connected to. Returns the report."""
    from django.db import connection

    config.out_dir.mkdir(parents=True, exist_ok=True)
    log = _progress
    log(f"corpus: {config.n:,} replies (seed {config.seed})")
    corpus, generated = phase_generate(config)
    log(f"  {'generated' if generated['generated'] else 'reused'} {corpus}")
    parse = phase_parse(config, corpus)
    log(f"parse: {parse['docs_per_s']:.0f} docs/s")
    kept = _db_holds_corpus(config.out_dir, config.n, config.seed) if config.keep else None
    if kept:
        ingest = {**kept, "kept": True}
        log("ingest: database already holds this corpus (--keep); figures from that run")
    else:
        from replies.models import Reply

        if Reply.objects.exists():
            raise SystemExit(
                f"database {connection.settings_dict['NAME']} already holds replies; "
                "run without --keep to recreate it"
            )
        ingest = phase_ingest(config, corpus)
        log(f"ingest: {ingest['docs_per_s']:.0f} docs/s overall, {ingest['counts']}")
        if config.keep:
            meta = config.out_dir / (
                f"kept-ingest-seed{config.seed}-n{config.n}-{connection.settings_dict['NAME']}.json"
            )
            meta.write_text(json.dumps(ingest))
    sizes = database_sizes()
    queries = choose_queries(corpus, config.n)
    filter_sets = choose_filters()
    log("search: run_search over the mix, each case's floor (raw GIN SQL) in turn …")
    search_samples, slow_statements, floor_samples = phase_search(config, queries, filter_sets)
    # The naive baseline is plain ORM over the same rows and does not depend on the app's
    # search code: with --keep it is measured once per database and reused (it takes
    # a quarter of an hour at 100k).
    naive_kept = config.out_dir / (
        f"kept-naive-seed{config.seed}-n{config.n}-{connection.settings_dict['NAME']}.json"
    )
    if kept and naive_kept.exists():
        naive_samples = [Sample(**sample) for sample in json.loads(naive_kept.read_text())]
        log("naive: reused from the first run on this database (--keep)")
    else:
        log("naive: ORM icontains …")
        naive_samples = phase_naive(config, queries, filter_sets)
        if config.keep:
            naive_kept.write_text(json.dumps(naive_samples, default=_jsonable))
    tantivy = {"skipped": "off (--no-tantivy or --smoke)"}
    if config.tantivy:
        log("tantivy …")
        tantivy = phase_tantivy(config, queries, filter_sets)
    explain = explain_slowest(slow_statements) if config.explain else ""
    log("http: gunicorn + load …")
    http = phase_http(config, db_for_http, queries, filter_sets)

    names = {q.name for q in queries if q.headline}
    headline_stats = {
        "app": summarise(search_samples, names),
        "floor": summarise(floor_samples, names),
        "naive": summarise(naive_samples, names),
    }
    if tantivy.get("samples"):
        headline_stats["tantivy"] = summarise(tantivy["samples"], names)
    report = {
        "n": config.n,
        "config": {
            "naive_reps": config.naive_reps,
            "naive_cap_s": config.naive_cap_s,
            "http_seconds": config.http_seconds,
            "search_reps": config.search_reps,
            "workers": config.workers,
        },
        "environment": environment(database_label),
        "generate": generated,
        "parse": parse,
        "ingest": ingest,
        "sizes": sizes,
        "queries": queries,
        "filters": {str(k): v for k, v in filter_sets.items()},
        "search_samples": search_samples,
        "floor_samples": floor_samples,
        "naive_samples": naive_samples,
        "tantivy": tantivy,
        "http": http,
        "headline_stats": headline_stats,
        "ratios": {
            "naive_over_app_p95": headline_stats["naive"]["p95"] / headline_stats["app"]["p95"],
            "app_over_floor_p95": headline_stats["app"]["p95"] / headline_stats["floor"]["p95"],
        },
        "explain": explain,
    }
    stem = config.out_dir / f"results-n{config.n}{'-smoke' if config.smoke else ''}"
    stem.with_suffix(".md").write_text(render_report(report) + "\n", encoding="utf-8")
    stem.with_suffix(".json").write_text(
        json.dumps(report, default=_jsonable, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if explain:
        stem.with_suffix(".explain.txt").write_text(explain, encoding="utf-8")
    if not config.keep:
        shutil.rmtree(corpus, ignore_errors=True)
    return report


def _jsonable(value: Any) -> Any:
    """Samples and queries as plain dicts, for the results file."""
    if hasattr(value, "__dataclass_fields__"):
        return vars(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


def _progress(message: str) -> None:
    print(
        f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the archive at N replies.")
    parser.add_argument("--n", type=int, default=int(os.environ.get("N", 100_000)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) corpus and database")
    parser.add_argument("--smoke", action="store_true", help="fast settings for a small N")
    parser.add_argument(
        "--database-url", help="server to use (default: DATABASE_URL, else embedded)"
    )
    parser.add_argument("--workers", type=int, help="ingest processes after the first slice (2)")
    parser.add_argument("--single-docs", type=int, help="replies ingested by one process first")
    parser.add_argument("--http-seconds", type=int, help="seconds of load per endpoint (30)")
    parser.add_argument("--no-tantivy", action="store_true", help="skip the tantivy reference")
    parser.add_argument(
        "--naive-cap", type=float, help="seconds a naive baseline query may take (30)"
    )
    parser.add_argument("--out-dir", type=Path, help="where corpora and results go")
    parser.add_argument(
        "--use-current-database",
        action="store_true",
        help="Django is already set up (tests): use its database as it is",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    config = Config.for_args(args)
    url = args.database_url or os.environ.get("DATABASE_URL")
    bench_db = None
    if args.use_current_database:
        label = "current"
    else:
        suffix = "_smoke" if args.smoke else ""
        bench_db = prepare_database(url, recreate=False, suffix=suffix)
        if not (args.keep and _kept_database_matches(bench_db, config)):
            bench_db = prepare_database(url, recreate=True, suffix=suffix)
        label = f"{'DATABASE_URL' if url else 'embedded'} server, database {bench_db['NAME']}"
        os.environ["BENCH_DATABASE"] = json.dumps(bench_db)
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    db_for_http = current_database_settings()
    report = run_benchmark(config, database_label=label, db_for_http=db_for_http)
    print(render_report(report))
    print()
    if bench_db is not None and not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(bench_db)
    print(json.dumps(headline(report), ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
