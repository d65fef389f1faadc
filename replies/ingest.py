"""Ingestion: one source file in, one reply (created, revised or unchanged) out, atomically.

The `ingest` command, the admin upload and `reparse` all go through `ingest_source` /
`apply_values`, so a file means the same thing whichever way it arrives. Nothing a user gives
the archive is lost: every distinct file is kept byte for byte as a `Source` revision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any, Literal

from django.conf import settings
from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Max, Q

from . import search
from .agencies import _REGION_RE as _REGION_PARTS
from .agencies import AgencyResolver, clean_name, region_of
from .bulk_copy import copy_insert, reserve_ids
from .ingest_worker import PreparedReply
from .models import (
    ChangeRecord,
    Citation,
    CitedDocument,
    Commitment,
    Genre,
    Member,
    Proposal,
    RankEntry,
    Reply,
    ReplyAgency,
    ReplyMember,
    Role,
    SearchEntry,
    Session,
    Source,
    Theme,
)
from .parsing import CONTRACT_KEYS, ParsedReply, ParseError, parse_document
from .redaction import redact
from .sections import pack_sections

Status = Literal["created", "updated", "unchanged", "failed"]

#: Contract keys stored under another column name on Reply.
COLUMN_FOR_KEY = {
    "session": "session_name",
    "members": "member_names",
    "lead_agency": "lead_agency_name",
    "co_agencies": "co_agency_names",
}
DATE_KEYS = ("written_date", "published_date", "signed_date")
LIST_KEYS = ("members", "co_agencies", "sections", "commitments", "citations")


class IngestError(Exception):
    """A file the archive refuses, with the reason in words a clerk understands."""


@dataclass
class IngestOutcome:
    filename: str
    status: Status
    reply_id: int | None = None
    title: str = ""
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class Context:
    """Who is ingesting, through which channel, and the per-run caches."""

    channel: str = Source.Channel.COMMAND
    user: Any = None
    user_name: str = ""
    #: Status for newly created replies; revisions keep the reply's status.
    new_status: str = Reply.Status.PUBLISHED
    resolver: AgencyResolver = field(default_factory=AgencyResolver)
    members: dict[tuple[str, str], Member] = field(default_factory=dict)
    sessions: dict[tuple[str, str], Session] = field(default_factory=dict)
    themes: dict[str, Theme] = field(default_factory=dict)
    genres: dict[str, Genre] = field(default_factory=dict)
    documents: dict[str, CitedDocument] = field(default_factory=dict)
    proposals: dict[tuple, Proposal] = field(default_factory=dict)
    #: In a bulk batch, entities the archive lacks are built unsaved, collected here and
    #: created together (one INSERT per model) before the replies that point at them.
    defer_creation: bool = False
    pending: dict[type, list] = field(default_factory=dict)
    pending_updates: dict[type, dict[int, Any]] = field(default_factory=dict)

    def forget_cached(self) -> None:
        self.resolver = AgencyResolver()
        for cache in (
            self.members,
            self.sessions,
            self.themes,
            self.genres,
            self.documents,
            self.proposals,
        ):
            cache.clear()
        self.pending.clear()
        self.pending_updates.clear()

    def new(self, model: type, **fields) -> Any:
        """A new entity: created now, or (bulk batch) built and created with the batch."""
        if not self.defer_creation:
            return model.objects.create(**fields)
        obj = model(**fields)
        if hasattr(obj, "label") and hasattr(model, "region"):
            # Member and Session compute their label in save(), which bulk creation skips.
            from .models import regional_label

            obj.label = regional_label(obj.name, obj.region)
        self.pending.setdefault(model, []).append(obj)
        return obj

    def update_later(self, obj: Any, field_name: str) -> None:
        """Remember a changed field of a stored entity, written with the batch."""
        if not self.defer_creation or obj.pk is None:
            if obj.pk is not None:
                obj.save(update_fields=[field_name])
            return
        self.pending_updates.setdefault(type(obj), {})[obj.pk] = (obj, field_name)

    def flush_pending(self) -> None:
        # Sessions before the proposals that point at them.
        for model in (Session, Member, Theme, Genre, CitedDocument, Proposal):
            objects = self.pending.pop(model, [])
            if objects:
                _create_shared(model, objects)
        for model, updates in self.pending_updates.items():
            by_field: dict[str, list] = {}
            for obj, field_name in updates.values():
                by_field.setdefault(field_name, []).append(obj)
            for field_name, objects in by_field.items():
                model.objects.bulk_update(objects, [field_name])
        self.pending_updates.clear()

    @property
    def who(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        return self.user_name


#: The unique key by which a batch's new entity is found when another writer created it
#: first (the fields of each model's unique constraint).
SHARED_KEYS: dict[type, tuple[str, ...]] = {
    Session: ("name", "region"),
    Member: ("name", "region"),
    Theme: ("name",),
    Genre: ("name",),
    CitedDocument: ("title",),
    Proposal: ("session_id", "number"),
}


def _create_shared(model: type, objects: list) -> None:
    """Create a batch's new entities of one model, taking the stored row for any that another
    writer created meanwhile, and give each object its row's key.

    Two processes loading at once meet the same members, sessions and documents. A plain
    INSERT made the second wait for the first's commit and then fail its whole batch on the
    unique key (to be redone file by file); ON CONFLICT DO NOTHING waits the same but goes on.
    Rows are inserted in key order, so two writers take the keys' locks in the same order and
    do not deadlock over one model."""
    key_fields = SHARED_KEYS[model]

    def key_of(obj: Any) -> tuple:
        return tuple(getattr(obj, name) for name in key_fields)

    for obj in objects:
        # A proposal's session was created a step before: copy its new key to the proposal.
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    # Keys are not returned with ignore_conflicts: they are read back below.
    model.objects.bulk_create(sorted(objects, key=key_of), ignore_conflicts=True)
    stored = {
        tuple(row[1:]): row[0]
        for row in model.objects.filter(_keys_lookup(key_fields, {key_of(obj) for obj in objects}))
        .order_by()
        .values_list("pk", *key_fields)
    }
    for obj in objects:
        if key_of(obj) not in stored:
            # It met another of the model's unique keys (a Member's label, say): the batch
            # fails as a plain INSERT would, and is redone file by file.
            raise IntegrityError(f"{model.__name__} {key_of(obj)!r}: a stored row conflicts")
        obj.pk = stored[key_of(obj)]
        obj._state.adding = False
        obj._state.db = connection.alias


def _keys_lookup(key_fields: tuple[str, ...], keys: set[tuple]) -> Q:
    """Rows whose key is one of `keys`, each looked up by the unique index.

    Two-field keys are matched as pairs: `session_id IN (…) AND number IN (…)` also matches
    every cross pair, and once a batch's sessions times its numbers grew large enough,
    PostgreSQL read the whole proposal table instead (seen in the million-reply benchmark load)."""
    if len(key_fields) == 1:
        return Q(**{f"{key_fields[0]}__in": {key[0] for key in keys}})
    return reduce(or_, (Q(**dict(zip(key_fields, key, strict=True))) for key in keys))


# --------------------------------------------------------------------------- parsing


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_source(
    data: bytes, filename: str, parsed: ParsedReply | str | None = None
) -> ParsedReply:
    """Parse and check that the result is a reply; raises IngestError with the reason.

    `parsed` is the parse already made in a worker process (or the ParseError's message)."""
    check_size(data)
    if parsed is None:
        try:
            parsed = parse_document(data, filename)
        except ParseError as exc:
            parsed = str(exc)
    if isinstance(parsed, str):
        raise IngestError(f"无法解析 (cannot parse): {parsed}")
    if not parsed.title.strip():
        raise IngestError("未识别出标题，不像一份答复 (no recognisable title)")
    if not parsed.body_text.strip():
        raise IngestError("未识别出正文 (no letter text found)")
    if not (parsed.kind or parsed.session or parsed.proposal_number or parsed.addressee):
        raise IngestError(
            "不像一份提案/建议答复：找不到会议、编号或称呼 "
            "(not a reply: no session, proposal number or addressee)"
        )
    return parsed


def check_size(data: bytes) -> None:
    if not data:
        raise IngestError("文件为空 (empty file)")
    max_bytes = settings.UPLOAD_MAX_BYTES
    if len(data) > max_bytes:
        raise IngestError(
            f"文件过大：{len(data) / 1_048_576:.1f} MB，上限 {max_bytes / 1_048_576:.0f} MB "
            f"(file too large)"
        )


# --------------------------------------------------------------------------- matching


def first_source_with_hash(sha256: str) -> Source | None:
    """The earliest stored source with these bytes, with its reply."""
    return Source.objects.filter(sha256=sha256).order_by("pk").select_related("reply").first()


def find_existing(values: dict[str, Any], sha256: str | None = None) -> Reply | None:
    """The stored reply this document is a version of, if any.

    By source hash first, then by 索引号, then — for documents without one — by
    (sender, session, proposal number, role).
    """
    if sha256:
        source = first_source_with_hash(sha256)
        if source is not None:
            return source.reply
    replies = Reply.objects.all()
    if values.get("index_no"):
        return replies.filter(index_no=values["index_no"]).first()
    if values.get("session") and values.get("proposal_number"):
        return (
            replies.filter(
                index_no__isnull=True,
                session_name=values["session"],
                proposal_number=values["proposal_number"],
                role=values.get("role") or "",
                sender=values.get("sender") or "",
            )
            .order_by("id")
            .first()
        )
    return None


# --------------------------------------------------------------------------- values


def current_values(reply: Reply) -> dict[str, Any]:
    """The reply's contract values as stored now (corrections included)."""
    values: dict[str, Any] = {}
    for key in CONTRACT_KEYS:
        if key == "commitments":
            values[key] = [{"heading": c.heading, "text": c.text} for c in reply.commitments.all()]
        elif key == "sections":
            values[key] = reply.section_list
        elif key == "citations":
            values[key] = [
                {"title": c.document.title, "doc_no": c.doc_no_as_written or None}
                for c in reply.citations.select_related("document")
            ]
        else:
            value = getattr(reply, COLUMN_FOR_KEY.get(key, key))
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif value == "" and key not in ("title", "body_text"):
                value = None
            values[key] = value
    return values


def _column_limit(key: str) -> int | None:
    """The longest value the column holding a contract key takes (list items for lists)."""
    if key in ("sections", "commitments", "citations", "body_text"):
        return None
    field_ = Reply._meta.get_field(COLUMN_FOR_KEY.get(key, key))
    base = getattr(field_, "base_field", None)
    return (base or field_).max_length


def _fit(key: str, value: str, warnings: list[str]) -> str:
    """A value longer than its column is cut, with a warning: the verbatim source keeps the
    whole text, and one odd field must not make a file (or a batch) fail."""
    limit = _column_limit(key)
    if limit is not None and len(value) > limit:
        warnings.append(f"{key}: {len(value)} characters, cut to {limit}")
        return value[:limit]
    return value


def _normalise(values: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    """Contract values with the shapes the columns need (dates parsed, lists never None,
    strings no longer than their columns)."""
    warnings = [] if warnings is None else warnings
    out = {}
    for key in CONTRACT_KEYS:
        value = values.get(key)
        if key in DATE_KEYS:
            if isinstance(value, str) and value:
                value = dt.date.fromisoformat(value)
            value = value or None
        elif key in LIST_KEYS:
            value = list(value or [])
            if key in ("members", "co_agencies"):
                value = [_fit(key, str(item).strip(), warnings) for item in value if item]
        elif isinstance(value, str):
            value = _fit(key, value.strip(), warnings)
        out[key] = value
    return out


def diff_values(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    changes = {}
    for key in CONTRACT_KEYS:
        before, after = plain(old.get(key)), plain(new.get(key))
        if (before or None) != (after or None):
            changes[key] = [before, after]
    return changes


def split_themes(theme: str | None) -> list[str]:
    """`财政、金融、审计` → three themes; `科技、教育\\科技` → 科技, 教育."""
    names: list[str] = []
    for part in re.split(r"[、，,;；/\\|\s]+", theme or ""):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


@dataclass
class Derived:
    """A reply with its fields and links set (not yet saved) and the children it needs."""

    reply: Reply
    agency_links: list[ReplyAgency]
    member_links: list[ReplyMember]
    themes: list[Theme]
    commitments: list[Commitment]
    citations: list[Citation]
    vectors: search.ReplyVectors

    def search_entry(self) -> SearchEntry:
        """The reply's search entry; call once the reply and the entities it links are saved."""
        return search.search_entry(
            self.reply,
            self.vectors,
            agency_links=[(link.agency.pk, link.role) for link in self.agency_links],
            theme_ids=[theme.pk for theme in self.themes],
            member_ids=[link.member.pk for link in self.member_links],
        )

    def rank_entry(self) -> RankEntry:
        """The reply's ranking vectors; call once the reply is saved."""
        return search.rank_entry(self.reply, self.vectors)


def apply_values(reply: Reply, raw_values: dict[str, Any], ctx: Context) -> None:
    """Write contract values onto `reply` and rebuild every link derived from them.

    The caller holds a transaction. `reply` may be unsaved (new)."""
    derived = derive(reply, raw_values, ctx)
    is_new = reply.pk is None
    reply.save()
    # Children are rebuilt wholesale: they are derived from the values, never edited alone.
    # A new reply has none to remove.
    if not is_new:
        reply.agency_links.all().delete()
        reply.member_links.all().delete()
        reply.commitments.all().delete()
        reply.citations.all().delete()
        reply.themes.set(derived.themes)
    elif derived.themes:
        reply.themes.add(*derived.themes)
    ReplyAgency.objects.bulk_create(derived.agency_links)
    ReplyMember.objects.bulk_create(derived.member_links)
    Commitment.objects.bulk_create(derived.commitments)
    Citation.objects.bulk_create(derived.citations)
    derived.search_entry().save()
    derived.rank_entry().save()


def derive(
    reply: Reply,
    raw_values: dict[str, Any],
    ctx: Context,
    *,
    prepared: PreparedReply | None = None,
) -> Derived:
    """Set `reply`'s fields, links and search vectors from contract values, and build (unsaved)
    the children those values imply. Entities it points at are found or created through the
    run's caches (in a bulk batch, created with the batch)."""
    clipped: list[str] = []
    values = _normalise(raw_values, clipped)
    if "warnings" in raw_values:
        reply.warnings = [*list(raw_values["warnings"] or []), *clipped]
    elif clipped:
        reply.warnings = [*reply.warnings, *clipped]
    for key in CONTRACT_KEYS:
        if key in ("commitments", "citations"):
            continue
        column = COLUMN_FOR_KEY.get(key, key)
        value = values[key]
        if value is None and key not in ("index_no", *DATE_KEYS):
            value = [] if key in LIST_KEYS else ""
        if key == "index_no" and not value:
            value = None
        setattr(reply, column, value)

    # After the loop: the spans are of the body as it is now stored.
    reply.sections = pack_sections(reply.body_text, reply.sections)
    if prepared is not None and prepared.body == reply.body_text:
        public_body = prepared.public_body  # redacted by the parse worker
    else:
        public_body = (
            redact(reply.body_text) if settings.ARCHIVE_REDACT_CONTACTS else reply.body_text
        )
    reply.public_body_text = Reply.stored_public_body(reply.body_text, public_body)
    dates = [values["published_date"], values["written_date"], values["signed_date"]]
    reply.sort_date = next((d for d in dates if d), None)
    year_date = values["written_date"] or values["published_date"] or values["signed_date"]
    reply.year = year_date.year if year_date else None

    # Agencies: the reply's own agency gives the region in which short names are read.
    resolver = ctx.resolver
    region = _reading_region(values)
    sender_agency = resolver.resolve(values["sender"], region) if values["sender"] else None
    if sender_agency is not None and not region:
        region = sender_agency.region
    lead_agency = resolver.resolve(values["lead_agency"], region) if values["lead_agency"] else None
    reply.sender_agency = sender_agency
    reply.lead_agency = lead_agency

    body_region = session_region(values["session"] or "", region)
    session = _session(values["session"], body_region, values["kind"], ctx)
    reply.session = session
    reply.proposal = _proposal(session, values, ctx) if session else None
    genre_name = (values["genre"] or "").strip()
    reply.genre_entity = _cached(ctx.genres, Genre, genre_name, ctx) if genre_name else None

    # Members first: a new name joins the segmenter's dictionary before this reply is indexed.
    member_links = [
        ReplyMember(reply=reply, member=_member(name, body_region, ctx), position=position)
        for position, name in enumerate(dict.fromkeys(n.strip() for n in values["members"] if n))
    ]
    vectors = search.build_vectors(
        _indexed_text(reply, values, resolver, region),
        prepared and prepared.vectors,
        year=reply.year,
    )
    reply.body_simplified = vectors.body_simplified

    agency_links = []
    if lead_agency is not None:
        agency_links.append(
            ReplyAgency(
                reply=reply,
                agency=lead_agency,
                role=Role.LEAD,
                position=0,
                name_as_written=values["lead_agency"] or "",
            )
        )
    seen_co: set[int] = set()
    for position, name in enumerate(values["co_agencies"]):
        agency = resolver.resolve(name, region)
        if agency is None or agency.pk in seen_co or agency == lead_agency:
            continue
        seen_co.add(agency.pk)
        agency_links.append(
            ReplyAgency(
                reply=reply, agency=agency, role=Role.CO, position=position, name_as_written=name
            )
        )
    themes = [_cached(ctx.themes, Theme, name, ctx) for name in split_themes(values["theme"])]
    commitments = [
        Commitment(
            reply=reply,
            position=position,
            heading=(item.get("heading") or "")[:500],
            text=item.get("text") or "",
        )
        for position, item in enumerate(values["commitments"])
    ]
    citations = []
    for position, item in enumerate(values["citations"]):
        title = (item.get("title") or "").strip()[:500]
        if not title:
            continue
        doc_no = (item.get("doc_no") or "").strip()[:100]
        citations.append(
            Citation(
                reply=reply,
                document=_cited_document(title, doc_no, ctx),
                position=position,
                doc_no_as_written=doc_no,
            )
        )
    return Derived(reply, agency_links, member_links, themes, commitments, citations, vectors)


def _reading_region(values: dict[str, Any]) -> str:
    """The region in which a reply's short agency names are read: its own agency's, else the
    one its title starts with (the sender agency's region is the caller's fallback)."""
    own_name = values["sender"] or values["lead_agency"] or values["publisher"] or ""
    return region_of(clean_name(own_name)) or _region_from_title(values["title"])


def stored_search_vectors(reply: Reply, resolver: AgencyResolver) -> search.ReplyVectors:
    """The search vectors `apply_values` computes, for a reply whose values and links are
    already in place: `import_archive` restores links as they were (a clerk may have moved an
    alias since) and must index exactly as ingest would, without re-deriving them."""
    values = _normalise(
        {
            key: getattr(reply, COLUMN_FOR_KEY.get(key, key))
            for key in CONTRACT_KEYS
            if key not in ("commitments", "citations")  # not indexed; saves two queries
        }
    )
    region = _reading_region(values)
    if not region and reply.sender_agency is not None:
        region = reply.sender_agency.region
    return search.build_vectors(_indexed_text(reply, values, resolver, region), year=reply.year)


def rebuild_search_entries(replies: list[Reply], resolver: AgencyResolver) -> None:
    """Recompute the word vectors and search entries of stored replies from their values and
    links as they are (reindex after an indexing change; archive import)."""
    from django.db.models import Prefetch

    ids = [reply.pk for reply in replies]
    links = (
        Reply.objects.filter(pk__in=ids)
        .only("id")
        .prefetch_related(
            Prefetch("agency_links", ReplyAgency.objects.only("reply_id", "agency_id", "role")),
            Prefetch("member_links", ReplyMember.objects.only("reply_id", "member_id")),
            Prefetch("themes", Theme.objects.only("id")),
        )
    )
    by_id = {reply.pk: reply for reply in links}
    entries = []
    rank_entries = []
    for reply in replies:
        vectors = stored_search_vectors(reply, resolver)
        reply.body_simplified = vectors.body_simplified
        rank_entries.append(search.rank_entry(reply, vectors))
        linked = by_id[reply.pk]
        entries.append(
            search.search_entry(
                reply,
                vectors,
                agency_links=[(a.agency_id, a.role) for a in linked.agency_links.all()],
                theme_ids=[t.pk for t in linked.themes.all()],
                member_ids=[m.member_id for m in linked.member_links.all()],
            )
        )
    Reply.objects.bulk_update(replies, ["body_simplified"])
    SearchEntry.objects.filter(reply_id__in=ids).delete()
    SearchEntry.objects.bulk_create(entries)
    RankEntry.objects.filter(reply_id__in=ids).delete()
    RankEntry.objects.bulk_create(rank_entries)


def _region_from_title(title: str | None) -> str:
    """`重庆市科学技术局关于…` → `重庆市`, for replies without a signature."""
    if not title or "关于" not in title:
        return ""
    return region_of(title.split("关于", 1)[0])


def session_region(session_name: str, agency_region: str) -> str:
    """The region of the body that held a session, read from its name and the replying agency:
    `市十六届人大二次会议` answered by a 北京市 bureau is Beijing's; `全国` sessions have none."""
    if not session_name or "全国" in session_name:
        return ""
    own = region_of(session_name)
    if own:
        return own
    if not agency_region:
        return ""
    match = _REGION_PARTS.match(agency_region)
    province, city = (
        (match.group("province") or "", match.group("city") or "") if match else ("", "")
    )
    first = session_name[0]
    if first == "省":
        return province
    if first == "市":
        return province + city if city else province
    if first in "区县":
        return agency_region
    return agency_region


def _cached(cache: dict[str, Any], model: type, name: str, ctx: Context) -> Any:
    obj = cache.get(name)
    if obj is None:
        obj = model.objects.filter(name=name).first() if not ctx.defer_creation else None
        if obj is None:
            obj = ctx.new(model, name=name)
        cache[name] = obj
    return obj


def _member(name: str, region: str, ctx: Context) -> Member:
    member = ctx.members.get((name, region))
    if member is None:
        if not ctx.defer_creation:
            member = Member.objects.filter(name=name, region=region).first()
        if member is None:
            member = ctx.new(Member, name=name, region=region)
            search.add_words([name])
        ctx.members[(name, region)] = member
    return member


def _session(name: str | None, region: str, kind: str | None, ctx: Context) -> Session | None:
    name = (name or "").strip()
    if not name:
        return None
    session = ctx.sessions.get((name, region))
    if session is None:
        if not ctx.defer_creation:
            session = Session.objects.filter(name=name, region=region).first()
        if session is None:
            session = ctx.new(Session, name=name, region=region, kind=kind or "")
        ctx.sessions[(name, region)] = session
    return session


def _proposal(session: Session, values: dict[str, Any], ctx: Context) -> Proposal | None:
    number = (values["proposal_number"] or "").strip()
    if not number:
        return None
    details = {
        "title": values["proposal_title"] or "",
        "kind": values["kind"] or "",
        "proposer_org": values["proposer_org"] or "",
    }
    key = (session.name, session.region, number)
    proposal = ctx.proposals.get(key)
    if proposal is None and session.pk is not None and not ctx.defer_creation:
        proposal = Proposal.objects.filter(session=session, number=number).first()
    if proposal is None:
        proposal = ctx.new(Proposal, session=session, number=number, **details)
        ctx.proposals[key] = proposal
        return proposal
    ctx.proposals[key] = proposal
    for attr, value in details.items():
        # The first reply may not have said what a later one says; fill gaps, never overwrite.
        if value and not getattr(proposal, attr):
            setattr(proposal, attr, value)
            ctx.update_later(proposal, attr)
    return proposal


def _cited_document(title: str, doc_no: str, ctx: Context) -> CitedDocument:
    document = ctx.documents.get(title)
    if document is None:
        if not ctx.defer_creation:
            document = CitedDocument.objects.filter(title=title).first()
        if document is None:
            document = ctx.new(CitedDocument, title=title, doc_no=doc_no)
        ctx.documents[title] = document
    if doc_no and not document.doc_no:
        document.doc_no = doc_no
        ctx.update_later(document, "doc_no")
    return document


def _indexed_text(
    reply: Reply, values: dict[str, Any], resolver: AgencyResolver, region: str
) -> search.IndexedText:
    """What search sees of a reply: linked names (with every alias of every agency) weigh B."""
    linked: list[str] = [
        values["proposal_title"] or "",
        values["proposer_org"] or "",
        values["session"] or "",
        values["doc_no"] or "",
        values["index_no"] or "",
        " ".join(values["members"]),
        values["publisher"] or "",
        values["sender"] or "",
    ]
    agency_names = [values["lead_agency"] or "", *values["co_agencies"]]
    for name in agency_names:
        agency = resolver.find(name, region) if name else None
        linked.append(name)
        if agency is not None:
            linked.append(agency.name)
            linked.append(agency.short_name)
            linked.extend(resolver.aliases_of(agency))
    return search.IndexedText(
        title=values["title"] or "",
        linked=" ".join(part for part in linked if part),
        body=reply.public_text,
    )


# --------------------------------------------------------------------------- the service


def ingest_source(
    data: bytes,
    filename: str,
    ctx: Context | None = None,
    *,
    corrections: dict[str, Any] | None = None,
    status: str | None = None,
    parsed: ParsedReply | IngestError | None = None,
) -> IngestOutcome:
    """Store one file: a new reply, a new revision of an existing one, or nothing (unchanged).

    `corrections` are a clerk's changes to the parsed values, applied and remembered in the
    same transaction; `status` sets the reply's status (draft / published) afterwards;
    `parsed` is the file's parse when it was done already (in a worker process).
    Atomic: a file that fails leaves no rows behind.
    """
    ctx = ctx or Context()
    for attempt in range(RACE_RETRIES):
        try:
            with transaction.atomic():
                outcome = _ingest(data, filename, ctx, parsed)
                if outcome.reply_id and (corrections or status):
                    reply = Reply.objects.get(pk=outcome.reply_id)
                    if corrections:
                        correct_reply(reply, corrections, ctx)
                    if status:
                        set_status(reply, status, ctx)
                return outcome
        except IngestError as exc:
            return IngestOutcome(filename=filename, status="failed", reason=str(exc))
        except (DataError, IntegrityError) as exc:
            # The file's savepoint is rolled back; objects cached during it may be gone too.
            ctx.forget_cached()
            if isinstance(exc, IntegrityError) and attempt < RACE_RETRIES - 1:
                # Another writer (a second ingest, an upload) created the same member,
                # proposal or cited document between our look-up and our insert; it is
                # committed and visible now, so the file is simply done again.
                continue
            detail = str(exc).splitlines()[0]
            if isinstance(exc, IntegrityError):
                reason = (
                    "与档案中已有的答复冲突（例如索引号重复），未保存 "
                    f"(conflicts with a stored reply): {detail}"
                )
            else:
                reason = f"数据库拒绝了这份文件 (database refused it): {detail}"
            return IngestOutcome(filename=filename, status="failed", reason=reason)
    raise AssertionError("unreachable")


#: Attempts at one file when a unique constraint fails: a name created meanwhile by another
#: writer succeeds on the second; a real conflict fails every time and is reported.
RACE_RETRIES = 3


@dataclass
class Preview:
    """What the archive understood from a file, before anything is stored."""

    filename: str
    sha256: str
    parsed: ParsedReply | None
    error: str = ""
    #: The stored reply this file would update (same source hash, 索引号, or sender/session/number).
    existing: Reply | None = None
    #: True when these exact bytes are already stored: ingesting would change nothing.
    unchanged: bool = False
    #: Field-by-field differences from the existing reply: {key: [stored, parsed]}.
    diff: dict[str, list[Any]] = field(default_factory=dict)


def preview_source(data: bytes, filename: str) -> Preview:
    """Parse and compare with the archive without writing anything (the admin's review step)."""
    digest = sha256_of(data)
    known = first_source_with_hash(digest)
    if known is not None:
        return Preview(filename, digest, None, existing=known.reply, unchanged=True)
    try:
        parsed = parse_source(data, filename)
    except IngestError as exc:
        return Preview(filename, digest, None, error=str(exc))
    values = parsed.to_contract()
    existing = find_existing(values)
    diff = diff_values(current_values(existing), values) if existing else {}
    return Preview(filename, digest, parsed, existing=existing, diff=diff)


def _ingest(
    data: bytes, filename: str, ctx: Context, parsed: ParsedReply | IngestError | None = None
) -> IngestOutcome:
    digest = sha256_of(data)
    known = (
        Source.objects.filter(sha256=digest)
        .order_by("pk")
        .values_list("reply_id", "reply__title")
        .first()
    )
    if known is not None:
        return IngestOutcome(
            filename=filename, status="unchanged", reply_id=known[0], title=known[1]
        )
    if isinstance(parsed, IngestError):
        raise parsed
    if parsed is None:
        parsed = parse_source(data, filename)
    values = parsed.to_contract()
    reply = find_existing(values)
    if reply is None:
        reply = Reply(status=ctx.new_status)
        apply_values(reply, values, ctx)
        source = _store_source(reply, data, filename, parsed, digest, ctx, revision=1)
        _record(reply, ChangeRecord.Action.CREATED, {}, source, ctx)
        status: Status = "created"
    else:
        old = current_values(reply)
        effective = {**values, **{key: old[key] for key in reply.corrected_fields}}
        apply_values(reply, effective, ctx)
        revision = (reply.sources.aggregate(top=Max("revision"))["top"] or 0) + 1
        source = _store_source(reply, data, filename, parsed, digest, ctx, revision=revision)
        _record(reply, ChangeRecord.Action.REVISED, diff_values(old, effective), source, ctx)
        status = "updated"
    return IngestOutcome(
        filename=filename,
        status=status,
        reply_id=reply.pk,
        title=reply.title,
        warnings=list(parsed.warnings),
    )


#: Contract keys a source's `parsed` leaves out: the body, whole (`body_text`) and split
#: (`sections`). The reply holds them and the source's content holds the file verbatim, so
#: keeping a third and fourth copy of the text per revision only cost the load time (half the
#: source row's insert, measured) and the disk; reparsing the content gives them back.
PARSED_OMITS = ("body_text", "sections")


def parse_record(values: dict[str, Any]) -> dict[str, Any]:
    """What a Source keeps of its parse: the contract values without the body text."""
    return {key: value for key, value in values.items() if key not in PARSED_OMITS}


def _store_source(
    reply: Reply,
    data: bytes,
    filename: str,
    parsed: ParsedReply,
    digest: str,
    ctx: Context,
    *,
    revision: int,
) -> Source:
    return Source.objects.create(
        reply=reply,
        revision=revision,
        content=data,
        filename=filename[:255],
        encoding=parsed.encoding,
        sha256=digest,
        size=len(data),
        parsed=parse_record(parsed.to_contract()),
        channel=ctx.channel,
        uploaded_by=ctx.user,
        uploaded_by_name=ctx.who,
    )


def _record(
    reply: Reply,
    action: str,
    changes: dict[str, Any],
    source: Source | None,
    ctx: Context,
) -> ChangeRecord:
    return ChangeRecord.objects.create(
        reply=reply,
        action=action,
        changes=changes,
        source=source,
        user=ctx.user,
        user_name=ctx.who,
    )


def reparse_reply(reply: Reply, ctx: Context | None = None) -> dict[str, list[Any]]:
    """Re-derive a reply's fields from its newest source; corrected fields are kept."""
    ctx = ctx or Context()
    source = reply.sources.order_by("-revision").first()
    if source is None:
        return {}
    with transaction.atomic():
        parsed = parse_document(bytes(source.content), source.filename)
        old = current_values(reply)
        values = parsed.to_contract()
        effective = {**values, **{key: old[key] for key in reply.corrected_fields}}
        changes = diff_values(old, effective)
        apply_values(reply, effective, ctx)
        source.parsed = parse_record(values)
        source.encoding = parsed.encoding
        source.save(update_fields=["parsed", "encoding"])
        if changes:
            _record(reply, ChangeRecord.Action.REPARSED, changes, source, ctx)
    return changes


def correct_reply(reply: Reply, corrections: dict[str, Any], ctx: Context) -> dict[str, list[Any]]:
    """A clerk's hand corrections: applied, remembered (reparse keeps them), recorded."""
    unknown = set(corrections) - set(CONTRACT_KEYS)
    if unknown:
        raise ValueError(f"not contract fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        old = current_values(reply)
        effective = {**old, **corrections}
        changes = diff_values(old, effective)
        if not changes:
            return {}
        reply.corrected_fields = sorted(set(reply.corrected_fields) | set(changes))
        apply_values(reply, effective, ctx)
        source = reply.sources.order_by("-revision").first()
        _record(reply, ChangeRecord.Action.CORRECTED, changes, source, ctx)
    return changes


def set_status(reply: Reply, status: str, ctx: Context) -> bool:
    if reply.status == status:
        return False
    with transaction.atomic():
        old = reply.status
        reply.status = status
        reply.save(update_fields=["status", "updated_at"])
        _record(reply, ChangeRecord.Action.STATUS, {"status": [old, status]}, None, ctx)
    return True


def ingest_many(
    items: Iterable[tuple[str, bytes | IngestError]],
    ctx: Context | None = None,
    *,
    batch_size: int = 100,
    workers: int = 0,
) -> Iterator[IngestOutcome]:
    """Ingest (filename, bytes) pairs; a failed file never stops the others.

    Files are stored in batches: one transaction per batch with a savepoint per file, so a
    file that fails leaves nothing and the others stay, and the disk is synced once per batch
    instead of once per file. Outcomes are reported once their batch is committed. With
    `workers`, files are parsed in that many processes while the previous batch is written.
    An item may carry an IngestError instead of bytes (a file that could not even be read).
    """
    ctx = ctx or Context()
    search.load_dictionary_from_db()
    batches = _batched(items, batch_size)
    if workers <= 0:
        for batch in batches:
            yield from _store_batch(batch, [None] * len(batch), ctx)
        return

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .ingest_worker import parse_and_prepare

    redact_contacts = settings.ARCHIVE_REDACT_CONTACTS
    # "spawn": workers start clean, without a copy of this process's database connection; the
    # parser is pure, so they need no Django either.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:

        def submit(batch):
            futures = []
            for name, data in batch:
                try:
                    if isinstance(data, IngestError):
                        raise data
                    check_size(data)
                except IngestError:
                    futures.append(None)  # reported by the one-by-one path, with its reason
                    continue
                futures.append(pool.submit(parse_and_prepare, data, name, redact_contacts))
            return futures

        def checked(future, name, data):
            if future is None:
                return None, None
            parsed, prepared = future.result()
            try:
                return parse_source(data, name, parsed), prepared
            except IngestError as exc:
                return exc, None

        current = next(batches, None)
        pending = submit(current) if current else []
        while current:
            following = next(batches, None)
            upcoming = submit(following) if following else []
            results = [
                checked(future, name, data)
                for future, (name, data) in zip(pending, current, strict=True)
            ]
            parsed = [result for result, _ in results]
            prepared = [body for _, body in results]
            yield from _store_batch(current, parsed, ctx, prepared)
            current, pending = following, upcoming


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store_batch(
    batch: list[tuple[str, bytes | IngestError]],
    parsed: list[ParsedReply | IngestError | None],
    ctx: Context,
    prepared: list[PreparedReply | None] | None = None,
) -> list[IngestOutcome]:
    """Store a batch in one transaction: new documents together (a few INSERTs per batch),
    revisions and anything unusual one by one with a savepoint each. Should the batch write
    fail as a whole (a name another process just created, say), it is redone file by file."""
    from django.db import connection

    def store(bulk: bool) -> list[IngestOutcome]:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Durability comes from committing the batch; a crash before that loses the
                # batch, which the command reruns. No need to wait for each file's sync.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            done: dict[int, IngestOutcome] = (
                _bulk_store(batch, parsed, ctx, prepared) if bulk else {}
            )
            for index, ((filename, data), result) in enumerate(zip(batch, parsed, strict=True)):
                if index in done:
                    continue
                if isinstance(data, IngestError):
                    done[index] = IngestOutcome(
                        filename=filename, status="failed", reason=str(data)
                    )
                    continue
                try:
                    done[index] = ingest_source(data, filename, ctx, parsed=result)
                except (OperationalError, InterfaceError) as exc:
                    # The whole batch is lost with the connection; name the file it broke on.
                    exc.archive_filename = filename
                    raise
            return [done[index] for index in range(len(batch))]

    bulk = len(batch) > 1
    for attempt in range(BATCH_RETRIES):
        try:
            return store(bulk=bulk)
        except (DataError, IntegrityError):
            ctx.forget_cached()
            if not bulk:
                raise
            bulk = False  # file by file, each failing on its own
        except OperationalError as exc:
            # Two writers creating the same names in different orders can deadlock — in the
            # batch write or in the file-by-file one; the whole batch was rolled back, so it
            # is simply done again.
            if _sqlstate(exc) not in RETRYABLE_STATES or attempt == BATCH_RETRIES - 1:
                raise
            ctx.forget_cached()
    raise AssertionError("unreachable")


#: Deadlock and serialization failure: PostgreSQL asks for the transaction to be redone.
RETRYABLE_STATES = {"40P01", "40001"}
BATCH_RETRIES = 4


def _sqlstate(exc: Exception) -> str | None:
    cause = exc.__cause__ or exc
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def _bulk_store(
    batch: list[tuple[str, bytes | IngestError]],
    parsed: list[ParsedReply | IngestError | None],
    ctx: Context,
    prepared: list[PreparedReply | None] | None = None,
) -> dict[int, IngestOutcome]:
    """Create the batch's new documents together; return their outcomes by position. Files that
    are already stored, revise a stored reply, repeat one another or fail to parse are left
    to the one-by-one path (which reports them)."""
    candidates: dict[int, tuple[str, bytes, str]] = {}
    for index, (filename, data) in enumerate(batch):
        if not isinstance(data, IngestError) and not isinstance(parsed[index], IngestError):
            candidates[index] = (filename, data, sha256_of(data))
    # order_by(): the default ordering would join every reply to sort by its date.
    known = set(
        Source.objects.filter(sha256__in=[digest for _, _, digest in candidates.values()])
        .order_by()
        .values_list("sha256", flat=True)
    )
    new: dict[int, tuple[str, bytes, str, ParsedReply, dict]] = {}
    seen_digests: set[str] = set()
    seen_keys: set[tuple] = set()
    for index, (filename, data, digest) in candidates.items():
        if digest in known or digest in seen_digests:
            continue
        try:
            result = parsed[index] or parse_source(data, filename)
        except IngestError:
            continue
        values = result.to_contract()
        key = _identity(values)
        if key in seen_keys:
            continue  # a later version of a file in this batch: a revision, one by one
        seen_digests.add(digest)
        seen_keys.add(key)
        new[index] = (filename, data, digest, result, values)
    new = _without_revisions(new)
    if not new:
        return {}

    _warm_caches([item[4] for item in new.values()], ctx)
    with _server_side_binding():
        return _write_new(new, ctx, prepared or [None] * len(batch))


@contextmanager
def _server_side_binding() -> Iterator[None]:
    """Bind the bulk INSERTs' parameters on the server. Django quotes every value into the
    statement text by default; for a batch that is megabytes of body text escaped in Python
    and lexed again by PostgreSQL (a third of the source insert's time, measured). The rest of
    the app keeps Django's default, which some ORM queries need."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    default = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = default


def _write_new(
    new: dict[int, tuple], ctx: Context, prepared: list[PreparedReply | None]
) -> dict[int, IngestOutcome]:
    ctx.defer_creation = True
    try:
        derived = {
            index: derive(Reply(status=ctx.new_status), values, ctx, prepared=prepared[index])
            for index, (_, _, _, _, values) in new.items()
        }
        ctx.flush_pending()
    finally:
        ctx.defer_creation = False
    replies = [d.reply for d in derived.values()]
    for reply, pk in zip(replies, reserve_ids(Reply, len(replies)), strict=True):
        reply.pk = pk
    copy_insert(replies)
    copy_insert([link for d in derived.values() for link in d.agency_links], table_keys=True)
    copy_insert([link for d in derived.values() for link in d.member_links], table_keys=True)
    copy_insert([c for d in derived.values() for c in d.commitments], table_keys=True)
    copy_insert([c for d in derived.values() for c in d.citations], table_keys=True)
    copy_insert(
        [
            Reply.themes.through(reply_id=d.reply.pk, theme_id=theme.pk)
            for d in derived.values()
            for theme in dict.fromkeys(d.themes)
        ],
        table_keys=True,
    )
    copy_insert([d.search_entry() for d in derived.values()])
    copy_insert([d.rank_entry() for d in derived.values()])
    sources = [
        Source(
            reply=derived[index].reply,
            revision=1,
            content=data,
            filename=filename[:255],
            encoding=result.encoding,
            sha256=digest,
            size=len(data),
            parsed=parse_record(values),
            channel=ctx.channel,
            uploaded_by=ctx.user,
            uploaded_by_name=ctx.who,
        )
        for index, (filename, data, digest, result, values) in new.items()
    ]
    for source, pk in zip(sources, reserve_ids(Source, len(sources)), strict=True):
        source.pk = pk
    copy_insert(sources)
    copy_insert(
        [
            ChangeRecord(
                reply=source.reply,
                action=ChangeRecord.Action.CREATED,
                changes={},
                source=source,
                user=ctx.user,
                user_name=ctx.who,
            )
            for source in sources
        ],
        table_keys=True,
    )
    return {
        index: IngestOutcome(
            filename=filename,
            status="created",
            reply_id=derived[index].reply.pk,
            title=derived[index].reply.title,
            warnings=list(result.warnings),
        )
        for index, (filename, _, _, result, _) in new.items()
    }


def _without_revisions(new: dict[int, tuple]) -> dict[int, tuple]:
    """Drop the documents that would revise a stored reply (same 索引号, or same letter for
    documents without one): those go one by one."""
    index_nos = [item[4]["index_no"] for item in new.values() if item[4].get("index_no")]
    taken = set(Reply.objects.filter(index_no__in=index_nos).values_list("index_no", flat=True))
    letters = {
        (item[4]["session"], item[4]["proposal_number"])
        for item in new.values()
        if not item[4].get("index_no")
    }
    unindexed = set(
        Reply.objects.filter(
            index_no__isnull=True,
            session_name__in=[session for session, _ in letters if session],
            proposal_number__in=[number for _, number in letters if number],
        ).values_list("session_name", "proposal_number")
    )

    def is_new(values: dict) -> bool:
        if values.get("index_no"):
            return values["index_no"] not in taken
        return (values["session"], values["proposal_number"]) not in unindexed

    return {index: item for index, item in new.items() if is_new(item[4])}


def _identity(values: dict[str, Any]) -> tuple:
    """What makes two documents versions of one reply (as find_existing matches them)."""
    if values.get("index_no"):
        return ("index_no", values["index_no"])
    return (
        "letter",
        values.get("session"),
        values.get("proposal_number"),
        values.get("role"),
        values.get("sender"),
    )


def _warm_caches(all_values: list[dict[str, Any]], ctx: Context) -> None:
    """Load, in a few queries, the stored entities a batch will point at, so that what is not
    in the caches afterwards is known to be new."""
    members = {name.strip() for v in all_values for name in v.get("members") or [] if name}
    for member in Member.objects.filter(name__in=members):
        ctx.members.setdefault((member.name, member.region), member)
    # Names another writer added since this process loaded its dictionary.
    search.add_words(members)
    sessions = {v["session"].strip() for v in all_values if v.get("session")}
    for session in Session.objects.filter(name__in=sessions):
        ctx.sessions.setdefault((session.name, session.region), session)
    numbers = {v["proposal_number"].strip() for v in all_values if v.get("proposal_number")}
    for proposal in Proposal.objects.filter(
        session__name__in=sessions, number__in=numbers
    ).select_related("session"):
        ctx.proposals.setdefault(
            (proposal.session.name, proposal.session.region, proposal.number), proposal
        )
    themes = {name for v in all_values for name in split_themes(v.get("theme"))}
    for theme in Theme.objects.filter(name__in=themes):
        ctx.themes.setdefault(theme.name, theme)
    genres = {v["genre"].strip() for v in all_values if v.get("genre")}
    for genre in Genre.objects.filter(name__in=genres):
        ctx.genres.setdefault(genre.name, genre)
    titles = {
        (item.get("title") or "").strip()[:500]
        for v in all_values
        for item in v.get("citations") or []
    }
    for document in CitedDocument.objects.filter(title__in=titles):
        ctx.documents.setdefault(document.title, document)
