"""python manage.py ingest PATH… — store reply documents (files, directories, globs, ZIPs)."""

from __future__ import annotations

import getpass
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from replies.ingest import Context, ingest_many
from replies.models import Reply, Source
from replies.uploads import expand_paths


class Command(BaseCommand):
    help = (
        "Ingest reply documents (HTML, TXT, DOCX, or ZIPs of them; directories recursively). "
        "Reports created / updated / unchanged / failed per file and exits 1 if any failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, directories, globs or .zip archives")
        parser.add_argument(
            "--status",
            choices=[Reply.Status.PUBLISHED, Reply.Status.DRAFT],
            default=Reply.Status.PUBLISHED,
            help="status of newly created replies (default: published)",
        )
        parser.add_argument("--user", default="", help="name recorded as the importer")
        parser.add_argument(
            "--quiet", action="store_true", help="print only failures, progress and the summary"
        )

    def handle(self, *args, paths, status, user, quiet, **options):
        ctx = Context(
            channel=Source.Channel.COMMAND,
            user_name=user or _login_name(),
            new_status=status,
        )
        counts: Counter[str] = Counter()
        started = time.monotonic()
        current = _Current()
        try:
            self._ingest(current.track(expand_paths(paths)), ctx, counts, started, quiet)
        except (OperationalError, InterfaceError) as exc:
            # Each file is stored in its own transaction, so a lost connection costs at most
            # the file in hand; say so, rather than leave a traceback that looks like damage.
            raise CommandError(
                f"database connection lost while storing {current.filename}: {exc}\n"
                f"Nothing of that file was kept; the {sum(counts.values())} files before it "
                "are stored completely. Run the same command again once the database is back: "
                "files already stored are reported unchanged."
            ) from exc
        total = sum(counts.values())
        elapsed = time.monotonic() - started
        summary = (
            f"{total} files in {elapsed:.1f}s: {counts['created']} created, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{counts['failed']} failed"
        )
        self.stdout.write(summary)
        if total == 0:
            raise CommandError("no reply documents found in " + " ".join(paths))
        if counts["failed"]:
            sys.exit(1)

    def _ingest(self, items, ctx: Context, counts: Counter, started: float, quiet: bool) -> None:
        for outcome in ingest_many(items, ctx):
            counts[outcome.status] += 1
            if outcome.status == "failed":
                self.stderr.write(f"failed     {outcome.filename}: {outcome.reason}")
            elif not quiet:
                style = self.style.SUCCESS if outcome.status == "created" else str
                self.stdout.write(
                    style(f"{outcome.status:<10} {outcome.filename}")
                    + f"  → #{outcome.reply_id} {outcome.title}"
                )
            done = sum(counts.values())
            if quiet and done % 500 == 0:
                rate = done / max(time.monotonic() - started, 1e-9)
                self.stdout.write(f"… {done} files, {rate:.0f}/s")


class _Current:
    """Remembers which file is being stored, to name it if the database goes away."""

    filename = "(before the first file)"

    def track(self, items: Iterable[tuple[str, object]]) -> Iterator[tuple[str, object]]:
        for filename, data in items:
            self.filename = filename
            yield filename, data


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
