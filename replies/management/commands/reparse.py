"""python manage.py reparse — re-derive every reply's fields from its stored source."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from replies import search
from replies.ingest import Context, reparse_reply
from replies.models import Reply
from replies.parsing import ParseError


class Command(BaseCommand):
    help = (
        "Re-parse the newest stored source of every reply (after a parser change). "
        "Fields a clerk corrected are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, action="append", dest="ids", help="only this reply")

    def handle(self, *args, ids, **options):
        search.load_dictionary_from_db()
        replies = Reply.objects.order_by("id")
        if ids:
            replies = replies.filter(id__in=ids)
        ctx = Context(user_name="reparse")
        changed = failed = 0
        total = replies.count()
        for done, reply in enumerate(replies.iterator(chunk_size=200), start=1):
            try:
                changes = reparse_reply(reply, ctx)
            except ParseError as exc:
                failed += 1
                self.stderr.write(f"failed  #{reply.pk} {reply.title}: {exc}")
                continue
            if changes:
                changed += 1
                self.stdout.write(f"changed #{reply.pk} {reply.title}: {', '.join(changes)}")
            if done % 500 == 0:
                self.stdout.write(f"… {done}/{total}")
        self.stdout.write(f"{total} replies reparsed: {changed} changed, {failed} failed")
