"""What a parse worker process does for a bulk ingest: parse a document and prepare its
body's vectors. Kept free of Django (no models, no settings), so that the worker starts
clean and fast; the caller passes the one setting it needs."""

from __future__ import annotations

from .parsing import ParsedReply, parse_or_reason
from .redaction import redact
from .search import PreparedBody, prepare_body


def parse_and_prepare(
    data: bytes, filename: str, redact_contacts: bool
) -> tuple[ParsedReply | str, PreparedBody | None]:
    """The parse (or why there is none) and, for a parse, the dictionary-free part of its
    body's vectors — of the body as the reply will show it publicly, as ingest indexes it.
    The writer checks the body is the same before using it (`search.build_vectors`)."""
    parsed = parse_or_reason(data, filename)
    if isinstance(parsed, str):
        return parsed, None
    body = (parsed.body_text or "").strip()
    return parsed, prepare_body(redact(body) if redact_contacts else body)
