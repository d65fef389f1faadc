"""The parser's output: one `ParsedReply` per document, shaped by the contract in
`docs/parsed-reply.md` (a copy of ../shared/contracts/parsed-reply.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["proposal", "suggestion"]
Role = Literal["lead", "co"]

#: The contract's keys, in the contract's order. `to_contract()` emits exactly these, plus
#: `warnings` and `encoding`.
CONTRACT_KEYS: tuple[str, ...] = (
    "index_no",
    "doc_no",
    "title",
    "theme",
    "genre",
    "publisher",
    "written_date",
    "published_date",
    "signed_date",
    "kind",
    "session",
    "proposal_number",
    "proposal_title",
    "members",
    "proposer_org",
    "addressee",
    "sender",
    "role",
    "lead_agency",
    "co_agencies",
    "reply_category",
    "signer",
    "sections",
    "commitments",
    "citations",
    "body_text",
)


class ParseError(Exception):
    """The one exception the parser raises: the input cannot be read as a reply at all
    (undecodable bytes, an empty file, a document with no recognisable text)."""


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Commitment:
    heading: str
    text: str


@dataclass(frozen=True)
class Citation:
    title: str
    doc_no: str | None = None


@dataclass
class ParsedReply:
    title: str
    body_text: str
    index_no: str | None = None
    doc_no: str | None = None
    theme: str | None = None
    genre: str | None = None
    publisher: str | None = None
    written_date: dt.date | None = None
    published_date: dt.date | None = None
    signed_date: dt.date | None = None
    kind: Kind | None = None
    session: str | None = None
    proposal_number: str | None = None
    proposal_title: str | None = None
    members: list[str] = field(default_factory=list)
    proposer_org: str | None = None
    addressee: str | None = None
    sender: str | None = None
    role: Role | None = None
    lead_agency: str | None = None
    co_agencies: list[str] = field(default_factory=list)
    reply_category: str | None = None
    signer: str | None = None
    sections: list[Section] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    #: What the parser could not find, or found twice with different values.
    warnings: list[str] = field(default_factory=list)
    #: The text encoding used to decode the source (`utf-8`, `gb18030`, …; `docx` for Word).
    encoding: str = "utf-8"
    #: `html`, `text` or `docx`.
    source_format: str = "text"

    def to_contract(self) -> dict[str, Any]:
        """The contract's JSON object: dates as ISO strings, nested records as dicts."""
        out: dict[str, Any] = {}
        for key in CONTRACT_KEYS:
            value = getattr(self, key)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif key in ("sections", "commitments"):
                value = [{"heading": item.heading, "text": item.text} for item in value]
            elif key == "citations":
                value = [{"title": item.title, "doc_no": item.doc_no} for item in value]
            elif isinstance(value, list):
                value = list(value)
            out[key] = value
        out["warnings"] = list(self.warnings)
        out["encoding"] = self.encoding
        return out

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> ParsedReply:
        """Rebuild a result from its JSON (used by tests and archive import)."""

        def date(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        kwargs: dict[str, Any] = {key: data.get(key) for key in CONTRACT_KEYS}
        for key in ("written_date", "published_date", "signed_date"):
            kwargs[key] = date(kwargs[key])
        kwargs["members"] = list(data.get("members") or [])
        kwargs["co_agencies"] = list(data.get("co_agencies") or [])
        kwargs["sections"] = [Section(**item) for item in data.get("sections") or []]
        kwargs["commitments"] = [Commitment(**item) for item in data.get("commitments") or []]
        kwargs["citations"] = [Citation(**item) for item in data.get("citations") or []]
        kwargs["title"] = data.get("title") or ""
        kwargs["body_text"] = data.get("body_text") or ""
        kwargs["warnings"] = list(data.get("warnings") or [])
        kwargs["encoding"] = data.get("encoding") or "utf-8"
        return cls(**kwargs)
