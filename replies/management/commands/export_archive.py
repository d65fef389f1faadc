"""python manage.py export_archive DIR — a full backup: every table, every source file, a manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from replies.archive_io import ArchiveError, export_archive, human_size


class Command(BaseCommand):
    help = (
        "Write a full backup of the archive to DIR: JSONL files per table, each original source "
        "file under DIR/sources/<sha256>, and manifest.json with counts and the sha256 of every "
        "file. Restore it with import_archive. See docs/backups.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR", help="an empty (or new) directory")
        parser.add_argument(
            "--force",
            action="store_true",
            help="write into a non-empty DIR, replacing a previous dump there (other files stay)",
        )

    def handle(self, *args, directory: str, force: bool, **options):
        try:
            result = export_archive(Path(directory), force=force, progress=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        counts = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"exported {counts['replies']} replies, {counts['sources']} source revisions "
                f"({counts['source_files']} files), {counts['changes']} changes to {directory} "
                f"in {result.seconds:.1f}s, {human_size(result.bytes)}"
            )
        )
        # Noted elsewhere, this hash lets a person check the manifest itself later.
        self.stdout.write(f"manifest.json sha256 {result.manifest_sha256}")
