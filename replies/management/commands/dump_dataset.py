"""python manage.py dump_dataset [DIR] — the public research snapshot (CSV + datapackage.json)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from replies.archive_io import human_size
from replies.dataset import DatasetError, dump_dataset


class Command(BaseCommand):
    help = (
        "Write the open-data snapshot of the published replies (redacted text, no source files) "
        "as CSV tables with datapackage.json and README.md under DIR/<name>/, and DIR/<name>.zip. "
        "DIR defaults to ARCHIVE_DATASET_DIR, which the site lists at /datasets/. "
        "Not a backup: see export_archive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            metavar="DIR",
            help=f"where snapshots live (default: {settings.ARCHIVE_DATASET_DIR})",
        )
        parser.add_argument("--name", help="snapshot name (default: reply-archive-YYYY-MM-DD)")
        parser.add_argument(
            "--force", action="store_true", help="replace a snapshot of the same name"
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="the site's public address, used in the README's citation (https://…)",
        )

    def handle(self, *args, directory, name, force, base_url, **options):
        try:
            result = dump_dataset(
                Path(directory) if directory else None, name=name, force=force, base_url=base_url
            )
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        tables = ", ".join(f"{count} {table}" for table, count in result.counts.items())
        self.stdout.write(tables)
        self.stdout.write(
            self.style.SUCCESS(
                f"snapshot {result.name}: {result.zip_path} ({human_size(result.zip_bytes)}) "
                f"in {result.seconds:.1f}s"
            )
        )
