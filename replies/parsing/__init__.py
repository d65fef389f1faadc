"""Reply-document parser: bytes (+ filename) in, `ParsedReply` out.

Pure Python: no ORM, no settings. The only exception it raises is `ParseError`.
"""

from .result import CONTRACT_KEYS, Citation, Commitment, ParsedReply, ParseError, Section

__all__ = [
    "CONTRACT_KEYS",
    "Citation",
    "Commitment",
    "ParseError",
    "ParsedReply",
    "Section",
    "parse_document",
    "parse_or_reason",
]


def parse_or_reason(data: bytes, filename: str | None = None) -> ParsedReply | str:
    """The parse, or why there is none (the ParseError's message). For worker processes:
    a plain value crosses a process boundary more simply than an exception."""
    try:
        return parse_document(data, filename)
    except ParseError as exc:
        return str(exc)


def parse_document(data: bytes, filename: str | None = None) -> ParsedReply:
    """Parse one reply document. Raises `ParseError` when it cannot be read as a reply."""
    from .parser import parse

    return parse(data, filename)
