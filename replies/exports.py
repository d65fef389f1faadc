"""Exports of any search: CSV (UTF-8 with BOM, so Excel shows Chinese) and JSON Lines.

Both are streamed: replies are read a chunk at a time and written row by row, so an export
never holds the whole result in memory. Text is the public (redacted) copy.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .models import PUBLIC_TEXT, Reply
from .queries import agencies_by_role, citations_with_documents, members_in_order

#: The documented columns, in order (docs/open-data.md describes each).
CSV_COLUMNS: tuple[str, ...] = (
    "index_no",
    "doc_no",
    "title",
    "kind",
    "role",
    "session",
    "session_label",
    "proposal_number",
    "proposal_title",
    "members",
    "proposer_org",
    "lead_agency",
    "lead_agency_as_written",
    "co_agencies",
    "co_agencies_as_written",
    "themes",
    "genre",
    "publisher",
    "written_date",
    "published_date",
    "signed_date",
    "reply_category",
    "signer",
    "commitments",
    "citations",
    "url",
    "body_text",
)
LIST_SEPARATOR = "；"


def replies_for(ids: list[int]) -> list[Reply]:
    """The replies with every link an export row needs, in the order of `ids`."""
    replies = (
        Reply.objects.filter(id__in=ids)
        .select_related("session", "lead_agency")
        .prefetch_related(
            members_in_order(),
            agencies_by_role(),
            "themes",
            "commitments",
            citations_with_documents(),
        )
        .defer("body_text", "public_body_text")
        # The one text a row shows, read in SQL: loading the body and its public copy to
        # choose between them would detoast both.
        .annotate(public_text_value=PUBLIC_TEXT)
    )
    by_id = {reply.pk: reply for reply in replies}
    return [by_id[i] for i in ids if i in by_id]


def record(reply: Reply, base_url: str) -> dict[str, Any]:
    """One reply as plain data: lists stay lists (JSON Lines); CSV joins them."""
    co_links = [link for link in reply.agency_links.all() if link.role == "co"]
    lead_link = next((link for link in reply.agency_links.all() if link.role == "lead"), None)

    def date(value):
        return value.isoformat() if value else None

    return {
        "index_no": reply.index_no,
        "doc_no": reply.doc_no or None,
        "title": reply.title,
        "kind": reply.kind or None,
        "role": reply.role or None,
        "session": reply.session.name if reply.session else None,
        "session_label": reply.session.label if reply.session else None,
        "proposal_number": reply.proposal_number or None,
        "proposal_title": reply.proposal_title or None,
        "members": [link.member.name for link in reply.member_links.all()],
        "proposer_org": reply.proposer_org or None,
        "lead_agency": reply.lead_agency.name if reply.lead_agency else None,
        "lead_agency_as_written": lead_link.name_as_written if lead_link else None,
        "co_agencies": [link.agency.name for link in co_links],
        "co_agencies_as_written": [link.name_as_written for link in co_links],
        "themes": [theme.name for theme in reply.themes.all()],
        "genre": reply.genre or None,
        "publisher": reply.publisher or None,
        "written_date": date(reply.written_date),
        "published_date": date(reply.published_date),
        "signed_date": date(reply.signed_date),
        "reply_category": reply.reply_category or None,
        "signer": reply.signer or None,
        "commitments": [{"heading": c.heading, "text": c.text} for c in reply.commitments.all()],
        "citations": [
            {"title": c.document.title, "doc_no": c.doc_no_as_written or c.document.doc_no or None}
            for c in reply.citations.all()
        ],
        "url": base_url + reply.get_absolute_url(),
        "body_text": reply.public_text_value,
    }


def _csv_cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "commitments":
        return LIST_SEPARATOR.join(item["heading"] or item["text"][:60] for item in value)
    if key == "citations":
        return LIST_SEPARATOR.join(
            f"《{item['title']}》" + (f"（{item['doc_no']}）" if item["doc_no"] else "")
            for item in value
        )
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return str(value)


def _chunks(ids: Iterable[int], size: int = 200) -> Iterator[list[int]]:
    batch: list[int] = []
    for reply_id in ids:
        batch.append(reply_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_rows(ids: Iterable[int], base_url: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + take()
    for batch in _chunks(ids):
        for reply in replies_for(batch):
            row = record(reply, base_url)
            writer.writerow([_csv_cell(key, row[key]) for key in CSV_COLUMNS])
        yield take()


def jsonl_rows(ids: Iterable[int], base_url: str) -> Iterator[str]:
    for batch in _chunks(ids):
        yield "".join(
            json.dumps(record(reply, base_url), ensure_ascii=False) + "\n"
            for reply in replies_for(batch)
        )
