"""python manage.py reindex — recompute every reply's search vectors and search entry.

Needed after a change to how text is indexed (a new vector, new segmentation rules, a user
dictionary grown by many agencies and members); the replies' fields are not re-parsed."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from replies import search
from replies.agencies import AgencyResolver
from replies.ingest import rebuild_search_entries
from replies.models import Reply

BATCH = 500


class Command(BaseCommand):
    help = "Recompute the search vectors of every reply (fields are not re-parsed)."

    def handle(self, *args, **options):
        search.load_dictionary_from_db()
        resolver = AgencyResolver()
        ids = list(Reply.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                replies = list(
                    Reply.objects.filter(id__in=ids[start : start + BATCH]).select_related(
                        "sender_agency"
                    )
                )
                rebuild_search_entries(replies, resolver)
            self.stdout.write(f"… {min(start + BATCH, len(ids))}/{len(ids)}")
        self.stdout.write(f"{len(ids)} replies reindexed")
