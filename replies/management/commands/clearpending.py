"""python manage.py clearpending — forget uploaded files nobody reviewed in time.

The upload page does this on every visit; the command is for a cron job when nobody visits.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from replies.models import PendingUpload


class Command(BaseCommand):
    help = "Delete pending uploads older than ARCHIVE_PENDING_UPLOAD_DAYS (or --days) days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.ARCHIVE_PENDING_UPLOAD_DAYS)

    def handle(self, *args, days: int, **options):
        cutoff = timezone.now() - dt.timedelta(days=days)
        deleted, _counts = PendingUpload.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"{deleted} pending uploads older than {days} days deleted")
