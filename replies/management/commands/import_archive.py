"""python manage.py import_archive DIR — verify a dump made by export_archive and restore it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from replies.archive_io import MANIFEST_NAME, ArchiveError, import_archive


class Command(BaseCommand):
    help = (
        "Restore a dump made by export_archive into an empty archive, in one transaction. "
        "Every file is checked against manifest.json first; a changed or missing file is "
        "refused. Search columns are recomputed. See docs/backups.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory", metavar="DIR", help="a directory written by export_archive"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "delete every reply, source, change record, agency and linked row the database "
                "holds before restoring (in the same transaction; a failed import keeps them)"
            ),
        )

    def handle(self, *args, directory: str, replace: bool, **options):
        manifest = Path(directory) / MANIFEST_NAME
        if manifest.is_file():
            digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
            self.stdout.write(f"manifest.json sha256 {digest}")
        try:
            result = import_archive(Path(directory), replace=replace, progress=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(f"nothing imported: {exc}") from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        counts = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"imported {counts['replies']} replies, {counts['sources']} source revisions, "
                f"{counts['changes']} changes, {counts['agencies']} agencies "
                f"({counts['agency_aliases']} aliases) in {result.seconds:.1f}s"
            )
        )
