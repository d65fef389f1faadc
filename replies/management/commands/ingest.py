"""python manage.py ingest PATH… — store reply documents (files, directories, globs, ZIPs)."""

from __future__ import annotations

import getpass
import sys
import time
from collections import Counter

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
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="parse in this many extra processes while writing (default 0: parse inline)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="files per transaction (default 100); each file is still all-or-nothing",
        )

    def handle(self, *args, paths, status, user, quiet, workers, batch_size, **options):
        ctx = Context(
            channel=Source.Channel.COMMAND,
            user_name=user or _login_name(),
            new_status=status,
        )
        counts: Counter[str] = Counter()
        started = time.monotonic()
        try:
            self._ingest(expand_paths(paths), ctx, counts, started, quiet, workers, batch_size)
        except (OperationalError, InterfaceError) as exc:
            # Files are committed a batch at a time, so a lost connection costs the batch in
            # hand and nothing else; say so, rather than leave a traceback that looks like
            # damage.
            failing = getattr(exc, "archive_filename", "(unknown file)")
            raise CommandError(
                f"database connection lost while storing {failing}: {exc}\n"
                f"Nothing of that file or of its batch was kept; the {sum(counts.values())} "
                "files reported above are stored completely. Run the same command again once "
                "the database is back: files already stored are reported unchanged."
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

    def _ingest(
        self,
        items,
        ctx: Context,
        counts: Counter,
        started: float,
        quiet: bool,
        workers: int,
        batch_size: int,
    ) -> None:
        for outcome in ingest_many(items, ctx, workers=workers, batch_size=batch_size):
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


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
