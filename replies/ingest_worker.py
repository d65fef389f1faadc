"""What a parse worker process does for a bulk ingest: parse a document and prepare its
body's vectors. Kept free of Django (no models, no settings), so that the worker starts
clean and fast; the caller passes the one setting it needs."""

from __future__ import annotations

from dataclasses import dataclass

from .parsing import ParsedReply, parse_or_reason
from .redaction import redact
from .search import PreparedBody, prepare_body


@dataclass(frozen=True)
class PreparedReply:
    """What a worker computes of a parsed reply besides the parse: its public body (redacted
    when the archive redacts) and that body's dictionary-free vectors. The writer uses them
    only for the very body they were computed from (`body`)."""

    body: str
    public_body: str
    vectors: PreparedBody


def parse_and_prepare(
    data: bytes, filename: str, redact_contacts: bool
) -> tuple[ParsedReply | str, PreparedReply | None]:
    """The parse (or why there is none) and, for a parse, its prepared public body."""
    parsed = parse_or_reason(data, filename)
    if isinstance(parsed, str):
        return parsed, None
    body = (parsed.body_text or "").strip()
    public_body = redact(body) if redact_contacts else body
    return parsed, PreparedReply(body, public_body, prepare_body(public_body))
