"""Fault tolerance: a database that drops mid-ingest, an embedded server killed uncleanly, and
hostile uploads. Each must leave either whole replies or nothing, and a rerun must finish."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

from replies.ingest import Context, ingest_many
from replies.models import (
    Agency,
    ChangeRecord,
    Citation,
    CitedDocument,
    Commitment,
    Member,
    Proposal,
    Reply,
    ReplyAgency,
    ReplyMember,
    Session,
    Source,
    Theme,
)
from replies.uploads import Limits, expand_upload
from tests.conftest import FIXTURES, SEED_FILE

ROOT = Path(__file__).resolve().parent.parent
SEED_INDEX_TAIL = b"2024-00079"


def seed_variants(count: int) -> list[tuple[str, bytes]]:
    """`count` distinct replies: the seed document with its own 索引号 and proposal number."""
    seed = (FIXTURES / SEED_FILE).read_bytes()
    variants = []
    for i in range(count):
        data = seed.replace(SEED_INDEX_TAIL, f"2024-{10000 + i:05d}".encode())
        data = data.replace("第1005号".encode(), f"第{2000 + i}号".encode())
        data = data.replace("(第1005号)".encode(), f"(第{2000 + i}号)".encode())
        variants.append((f"variant-{i:04d}.txt", data))
    return variants


def archive_counts() -> dict[str, int]:
    models = (
        Reply,
        Source,
        ChangeRecord,
        ReplyAgency,
        ReplyMember,
        Commitment,
        Citation,
        CitedDocument,
        Member,
        Session,
        Proposal,
        Theme,
        Agency,
    )
    return {model.__name__: model.objects.count() for model in models} | {
        "ReplyTheme": Reply.themes.through.objects.count()
    }


# --------------------------------------------------------------------------- dropped connection


def test_connection_lost_inside_apply_values_keeps_whole_replies_only(db, tmp_path, monkeypatch):
    """Committed a file at a time: the database goes away after a reply, its agencies and
    members were written but before its commitments, citations and source: none of that file
    remains, the files before it are whole, and running the same command again finishes."""
    import replies.ingest as ingest_module

    for name, data in seed_variants(5):
        (tmp_path / name).write_bytes(data)
    call_command("ingest", *(str(tmp_path / f"variant-{i:04d}.txt") for i in range(2)))
    after_two = archive_counts()

    real_bulk_create = ingest_module.Commitment.objects.bulk_create

    def drop_connection(*args, **kwargs):
        assert Reply.objects.filter(index_no__endswith="10002").exists()  # rows were written
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(ingest_module.Commitment.objects, "bulk_create", drop_connection)
    with pytest.raises(CommandError, match=r"connection lost while storing .*variant-0002\.txt"):
        call_command("ingest", str(tmp_path), "--quiet", "--batch-size", "1")
    assert archive_counts() == after_two

    monkeypatch.setattr(ingest_module.Commitment.objects, "bulk_create", real_bulk_create)
    call_command("ingest", str(tmp_path), "--quiet")
    counts = archive_counts()
    assert counts["Reply"] == counts["Source"] == counts["ChangeRecord"] == 5
    assert counts["Proposal"] == counts["ReplyMember"] == 5
    assert counts["Commitment"] == 5 * after_two["Commitment"] // 2
    index_numbers = list(Reply.objects.values_list("index_no", flat=True))
    assert len(set(index_numbers)) == 5


def test_connection_lost_after_a_bulk_batch_was_written_keeps_nothing_of_it(
    db, tmp_path, monkeypatch
):
    """Committed a batch at a time: the database goes away after the batch's replies, links
    and sources were inserted but before the batch committed — none of it remains, and the
    rerun stores every file once."""
    import replies.ingest as ingest_module
    from replies.models import ChangeRecord

    for name, data in seed_variants(6):
        (tmp_path / name).write_bytes(data)
    real_copy = ingest_module.copy_insert

    def drop_connection_at_change_records(objs, **kwargs):
        if objs and isinstance(objs[0], ChangeRecord):
            assert Source.objects.count() == 6  # the batch was written
            raise OperationalError("server closed the connection unexpectedly")
        return real_copy(objs, **kwargs)

    monkeypatch.setattr(ingest_module, "copy_insert", drop_connection_at_change_records)
    with pytest.raises(CommandError, match="connection lost"):
        call_command("ingest", str(tmp_path), "--quiet")
    assert archive_counts()["Reply"] == archive_counts()["Source"] == 0

    monkeypatch.setattr(ingest_module, "copy_insert", real_copy)
    call_command("ingest", str(tmp_path), "--quiet")
    counts = archive_counts()
    assert counts["Reply"] == counts["Source"] == counts["ChangeRecord"] == 6


def _server_url(database: str) -> str:
    """A DATABASE_URL for `database` on the server the tests use (embedded or not)."""
    params = connection.get_connection_params()
    host = quote(str(params.get("host") or "localhost"), safe="")
    port = params.get("port") or 5432
    user = quote(params.get("user") or "postgres", safe="")
    password = quote(params.get("password") or "", safe="")
    auth = f"{user}:{password}" if password else user
    return f"postgresql://{auth}@{host}:{port}/{database}"


def _admin_connection():
    import psycopg

    params = {k: v for k, v in connection.get_connection_params().items() if v is not None}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def scratch_database(db):
    """A separate, migrated database on the same server, dropped afterwards: a subprocess
    commits into it while the test watches from outside."""
    name = f"archive_fault_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    url = _server_url(name)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "archive.settings.test"}
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield name, env
    finally:
        with _admin_connection() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [name],
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _query(database: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    conn_params = {k: v for k, v in connection.get_connection_params().items() if v is not None}
    for key in ("cursor_factory", "context", "prepare_threshold"):
        conn_params.pop(key, None)
    conn_params["dbname"] = database
    with psycopg.connect(**conn_params, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.slow
def test_backend_terminated_during_a_long_ingest(scratch_database, tmp_path):
    """A real dropped connection: pg_terminate_backend on the ingest command's backend while
    it is inside a transaction that has written rows."""
    database, env = scratch_database
    total = 150
    for name, data in seed_variants(total):
        (tmp_path / name).write_bytes(data)
    command = [sys.executable, "manage.py", "ingest", str(tmp_path), "--quiet", "--user", "fault"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    terminated_mid_transaction = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            stored = _query(database, "SELECT count(*) FROM replies_reply")[0][0]
            writing = _query(
                database,
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
                "AND pid <> pg_backend_pid()",
                [database],
            )
            if stored >= 10 and writing:
                _query(database, "SELECT pg_terminate_backend(%s)", [writing[0][0]])
                terminated_mid_transaction = True
                break
            time.sleep(0.02)
        _out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert terminated_mid_transaction, "the ingest finished before it could be interrupted"
    assert process.returncode != 0
    assert "database connection lost while storing" in err, err

    stored = _query(database, "SELECT count(*) FROM replies_reply")[0][0]
    assert 10 <= stored < total
    # Every stored reply is whole: one source, one change, and the same links as the others.
    shapes = _query(
        database,
        """
        SELECT r.id,
          (SELECT count(*) FROM replies_source s WHERE s.reply_id = r.id),
          (SELECT count(*) FROM replies_changerecord c WHERE c.reply_id = r.id),
          (SELECT count(*) FROM replies_replyagency a WHERE a.reply_id = r.id),
          (SELECT count(*) FROM replies_replymember m WHERE m.reply_id = r.id),
          (SELECT count(*) FROM replies_commitment c WHERE c.reply_id = r.id),
          (SELECT count(*) FROM replies_citation c WHERE c.reply_id = r.id),
          (SELECT count(*) FROM replies_reply_themes t WHERE t.reply_id = r.id)
        FROM replies_reply r
        """,
    )
    assert len({shape[1:] for shape in shapes}) == 1, shapes
    sources, changes, agencies, members, commitments, citations, themes = shapes[0][1:]
    assert (sources, changes, members, themes) == (1, 1, 1, 1)
    assert agencies == 4 and commitments == 4 and citations > 0
    # Nothing of the interrupted file: no proposal or member without its reply.
    orphans = _query(
        database,
        "SELECT (SELECT count(*) FROM replies_proposal p WHERE NOT EXISTS "
        "(SELECT 1 FROM replies_reply r WHERE r.proposal_id = p.id)), "
        "(SELECT count(*) FROM replies_member m WHERE NOT EXISTS "
        "(SELECT 1 FROM replies_replymember l WHERE l.member_id = m.id))",
    )[0]
    assert orphans == (0, 0)

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    expected = f"{total - stored} created, 0 updated, {stored} unchanged, 0 failed"
    assert expected in rerun.stdout, rerun.stdout
    counts = _query(
        database,
        "SELECT count(*), count(DISTINCT index_no), (SELECT count(*) FROM replies_source) "
        "FROM replies_reply",
    )[0]
    assert counts == (total, total, total)


# --------------------------------------------------------------------------- unclean stop


_WRITER = """
import json, sys, time
from pathlib import Path
import psycopg
from archive.embedded_pg.server import ensure_server

data_dir = Path(sys.argv[1])
host, port = ensure_server(data_dir)
params = dict(host=host, port=port, dbname="archive", user="postgres")
with psycopg.connect(**params, autocommit=True) as conn:
    conn.execute("CREATE TABLE survivors (id integer PRIMARY KEY, note text NOT NULL)")
    for i in range(1000):  # one transaction per row, as ingest commits file by file
        conn.execute("INSERT INTO survivors VALUES (%s, %s)", [i, f"第{i}号答复"])
# A transaction still open when the power goes: it must not survive.
pending = psycopg.connect(**params)
pending.execute("INSERT INTO survivors VALUES (-1, 'uncommitted')")
postmaster = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
print(json.dumps({"postmaster": postmaster}), flush=True)
time.sleep(600)
"""

_READER = """
import json, sys
from pathlib import Path
import psycopg
from archive.embedded_pg.server import ensure_server

host, port = ensure_server(Path(sys.argv[1]))
with psycopg.connect(host=host, port=port, dbname="archive", user="postgres") as conn:
    rows = conn.execute("SELECT id, note FROM survivors ORDER BY id").fetchall()
    recovering = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
postmaster = int((Path(sys.argv[1]) / "pg" / "postmaster.pid").read_text().split()[0])
print(json.dumps({"rows": rows, "recovering": recovering, "postmaster": postmaster}))
"""


def _postgres_processes(pgdata: Path):
    import psutil

    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if process.info.get("name") == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(process)
    return found


def _wait_gone(processes, timeout: float) -> list:
    import psutil

    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return alive


@pytest.mark.slow
def test_embedded_server_survives_sigkill(tmp_path):
    """Kill the client and the postmaster with SIGKILL; the next start recovers every
    committed row and none of the open transaction's."""
    import psutil

    data_dir = tmp_path / "embedded"
    pgdata = (data_dir / "pg").resolve()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(data_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started_processes = []
    try:
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
        postmaster = json.loads(line)["postmaster"]
        server = psutil.Process(postmaster)
        started_processes = [server, *server.children()]

        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        os.kill(postmaster, signal.SIGKILL)
        # Backends notice their postmaster is gone and exit; a new server cannot start while
        # they still hold the shared memory.
        lingering = _wait_gone(started_processes, timeout=30)
        for process in lingering:
            process.kill()
        assert not _wait_gone(lingering, timeout=10)

        reader = subprocess.run(
            [sys.executable, "-c", _READER, str(data_dir)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert reader.returncode == 0, reader.stderr
        result = json.loads(reader.stdout.strip().splitlines()[-1])
        assert result["postmaster"] != postmaster  # a new server, after crash recovery
        assert result["recovering"] is False
        assert [row[0] for row in result["rows"]] == list(range(1000))
        assert result["rows"][999] == [999, "第999号答复"]
        log = (pgdata / "log").read_text(errors="replace")
        assert "not properly shut down" in log or "automatic recovery" in log
        # The killed writer's handle was pruned, so the reader's exit stopped the server.
        assert not _wait_gone(_postgres_processes(pgdata), timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
        # The reader's exit stops the server it started; whatever is left is ours to end.
        leftovers = _postgres_processes(pgdata)
        for process in leftovers:
            process.terminate()
        for process in _wait_gone(leftovers, timeout=10):
            process.kill()


# --------------------------------------------------------------------------- hostile uploads


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _hostile_zips() -> dict[str, tuple[bytes, Limits]]:
    good = (FIXTURES / SEED_FILE).read_bytes()
    roomy = Limits(max_file_bytes=1_000_000, max_zip_files=10, max_zip_total_bytes=5_000_000)
    return {
        "escaping path": (_zip({SEED_FILE: good, "../../etc/cron.d/x": good}), roomy),
        "absolute path": (_zip({SEED_FILE: good, "/etc/passwd": good}), roomy),
        "too many files": (
            _zip({f"{i}-{SEED_FILE}": good.replace(b"00079", b"%05d" % i) for i in range(11)}),
            roomy,
        ),
        "bomb": (
            _zip({SEED_FILE: good, "zeros.txt": b"0" * 6_000_000}),
            roomy,
        ),
        "corrupt": (_zip({SEED_FILE: good})[:-40], roomy),
    }


@pytest.mark.parametrize("kind", sorted(_hostile_zips()))
def test_hostile_zip_upload_leaves_nothing(db, kind):
    """The admin's upload path at the service level: expand the upload, ingest what it gives.
    A hostile ZIP is refused as a whole, even when it also carries a good reply."""
    before = archive_counts()
    data, limits = _hostile_zips()[kind]
    outcomes = list(ingest_many(expand_upload("batch.zip", data, limits), Context()))
    assert outcomes and all(outcome.status == "failed" for outcome in outcomes), outcomes
    assert archive_counts() == before
    assert Reply.objects.count() == 0


def test_upload_whose_database_write_fails_leaves_nothing(db, monkeypatch):
    """A good ZIP whose second reply hits a database error. Committed a file at a time, the
    first stays whole and nothing of the second remains; committed as one batch (the
    default), nothing of the batch remains. Never a partial reply."""
    import replies.ingest as ingest_module

    variants = seed_variants(2)
    data = _zip(dict(variants))
    calls = {"n": 0}
    real_store = ingest_module._store_source

    def failing_store(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("could not write to file: No space left on device")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_store_source", failing_store)
    outcomes = ingest_many(
        expand_upload("batch.zip", data), Context(user_name="clerk"), batch_size=1
    )
    first = next(outcomes)
    assert first.status == "created"
    with pytest.raises(OperationalError):
        next(outcomes)
    assert Reply.objects.count() == Source.objects.count() == 1
    assert Proposal.objects.count() == ReplyMember.objects.count() == 1

    third = _zip(dict(seed_variants(4)[2:]))

    real_copy = ingest_module.copy_insert

    def failing_source_copy(objs, **kwargs):
        # The replies, their links and search entries are written by then; the sources fail.
        if objs and isinstance(objs[0], Source):
            raise OperationalError("could not write to file: No space left on device")
        return real_copy(objs, **kwargs)

    monkeypatch.setattr(ingest_module, "copy_insert", failing_source_copy)
    with pytest.raises(OperationalError):
        list(ingest_many(expand_upload("more.zip", third), Context(user_name="clerk")))
    assert Reply.objects.count() == Source.objects.count() == 1  # the batch left nothing
