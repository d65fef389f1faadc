"""Run an embedded PostgreSQL 16 (the `pgserver` wheel) when no DATABASE_URL is given.

A newcomer has only Python: the server's data lives under `.data/pg` in the checkout, so it
survives restarts, and pgserver stops the server when the last process using it exits.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

DEFAULT_DB_NAME = "archive"

logger = logging.getLogger(__name__)


def _prune_dead_handles(pgdata: Path) -> None:
    """Forget processes that died without saying goodbye (kill -9, a crashed test run).

    pgserver keeps a list of the processes using the server and stops it when the last one
    exits; a dead pid left in that list would keep the server running forever.
    """
    handle_file = pgdata / ".handle_pids.json"
    if not handle_file.exists():
        return
    try:
        pids = json.loads(handle_file.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if _pid_alive(pid)]
    if alive != pids:
        handle_file.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ensure_database(server_uri: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")


_started: dict[Path, tuple[str, str]] = {}


def ensure_server(data_dir: Path, name: str = DEFAULT_DB_NAME) -> tuple[str, str]:
    """Start (or reuse) the embedded server under `data_dir`; return its (socket dir, port).

    Also creates the database `name` on first use, so Django finds it.
    """
    data_dir = data_dir.resolve()
    if data_dir in _started:
        return _started[data_dir]
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir / "pg"
        if pgdata.exists():
            _prune_dead_handles(pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    _ensure_database(server.get_uri(), name)
    _started[data_dir] = (str(info.socket_dir), str(info.port or 5432))
    return _started[data_dir]


def embedded_database_settings(data_dir: Path, name: str = DEFAULT_DB_NAME) -> dict:
    """Django DB settings for the embedded server; it starts on the first connection."""
    return {
        "ENGINE": "archive.embedded_pg",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "OPTIONS_DATA_DIR": str(data_dir),
    }
