"""The JSON API (django-ninja; OpenAPI at /api/schema, interactive docs at /api/docs).

Search takes exactly the search page's parameters and runs the same engine. Only published
replies are visible; text is the public (redacted) copy.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import ValidationError as NinjaValidationError

from . import queries
from .models import Agency, Member, Reply, Session, Theme
from .search import Hit, SearchResults, run_search, search_cache_key

api = NinjaAPI(
    title="答复档案库 API",
    version="1",
    description=(
        "Replies by Chinese government agencies to CPPCC proposals (政协提案) and people's "
        "congress suggestions (人大代表建议). Search parameters are the search page's: facet "
        "parameters may repeat (OR within a facet, AND across facets) and take the `value` "
        "their facet lists. Errors are HTTP 400 with `detail` naming the parameter."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/schema",
)


class ErrorOut(Schema):
    detail: dict[str, list[str]] | str


@api.exception_handler(DjangoValidationError)
def _bad_parameters(request: HttpRequest, exc: DjangoValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(NinjaValidationError)
def _bad_types(request: HttpRequest, exc: NinjaValidationError):
    detail: dict[str, list[str]] = {}
    for error in exc.errors:
        # ("query", "params", "year", 0) → "year": the parameter as the client wrote it.
        location = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("query", "path", "params") and not isinstance(part, int)
        ]
        detail.setdefault(".".join(location) or "__all__", []).append(error.get("msg", "invalid"))
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


# --------------------------------------------------------------------------- schemas


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool
    #: The count is estimated from a sample of a large match, not counted one by one.
    approximate: bool


class SearchHitOut(Schema):
    id: int
    index_no: str | None
    title: str
    url: str
    snippet: str
    published_date: dt.date | None
    written_date: dt.date | None
    lead_agency: str | None
    members: list[str]
    kind: str | None
    session: str | None
    session_label: str | None
    proposal_number: str | None
    role: str | None


class SearchOut(Schema):
    count: int
    count_capped: bool
    #: True for quoted phrases: the count is of replies holding the phrase's characters in
    #: pairs, an upper bound; every result listed contains the phrase itself.
    count_approximate: bool
    #: True when some facet counts are estimates from a sample of a large match.
    facets_approximate: bool
    page: int
    pages: int
    sort: str
    exact_match: str | None
    results: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]


class SearchParams(Schema):
    """Documents the parameters; the search page's FilterSet validates them (one place)."""

    q: str | None = Field(
        None, max_length=200, description='检索词：words, `"phrase"`, `OR`, `-exclude`'
    )
    agency: list[str] = Field([], description="agency in any role: canonical name or alias")
    lead_agency: list[str] = Field([], description="lead agency: canonical name or alias")
    co_agency: list[str] = Field([], description="co-handling agency: canonical name or alias")
    theme: list[str] = Field([], description="主题分类")
    genre: list[str] = Field([], description="体裁分类")
    kind: list[Literal["proposal", "suggestion"]] = []
    session: list[str] = Field([], description="session label (or bare name: every region)")
    year: list[int] = []
    member: list[str] = Field([], description="member label (or bare name: every region)")
    reply_category: list[Literal["A", "B", "C", "D"]] = []
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    title_only: bool | None = None
    sort: Literal["relevance", "newest", "oldest"] | None = None
    page: int | None = Field(None, ge=1, le=500)


class LinkOut(Schema):
    id: int
    name: str
    label: str
    url: str


class AgencyLinkOut(Schema):
    id: int
    name: str
    short_name: str
    as_written: str
    url: str


class TextPartOut(Schema):
    heading: str
    text: str


class CitationOut(Schema):
    title: str
    doc_no: str | None
    cited_by: list[str]


class SourceOut(Schema):
    revision: int
    filename: str
    encoding: str
    sha256: str
    size: int
    uploaded_at: dt.datetime


class ProposalOut(Schema):
    id: int
    number: str
    title: str
    session: str
    url: str


class ReplyOut(Schema):
    id: int
    url: str
    index_no: str | None
    doc_no: str | None
    title: str
    theme: str | None
    themes: list[str]
    genre: str | None
    publisher: str | None
    written_date: dt.date | None
    published_date: dt.date | None
    signed_date: dt.date | None
    kind: str | None
    session: LinkOut | None
    session_as_written: str | None
    proposal: ProposalOut | None
    proposal_number: str | None
    proposal_title: str | None
    members: list[LinkOut]
    proposer_org: str | None
    addressee: str | None
    sender: str | None
    role: str | None
    lead_agency: AgencyLinkOut | None
    co_agencies: list[AgencyLinkOut]
    reply_category: str | None
    signer: str | None
    sections: list[TextPartOut]
    commitments: list[TextPartOut]
    citations: list[CitationOut]
    body_text: str
    sources: list[SourceOut]


class EntityOut(Schema):
    id: int
    name: str
    #: Sessions and members: the name with its region where names recur across regions.
    label: str
    url: str
    reply_count: int


class AgencyOut(Schema):
    id: int
    name: str
    short_name: str
    level: str
    region: str
    aliases: list[str]
    lead_count: int
    co_count: int
    url: str


class PageOut(Schema):
    count: int
    page: int
    pages: int


class AgencyPageOut(PageOut):
    results: list[AgencyOut]


class EntityPageOut(PageOut):
    results: list[EntityOut]


# --------------------------------------------------------------------------- endpoints


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _none(value: str | None) -> str | None:
    return value or None


@api.get(
    "/search",
    response={200: SearchOut, 400: ErrorOut},
    summary="Search replies",
    tags=["search"],
)
def search(request: HttpRequest, params: Query[SearchParams]):
    """Full-text search (Chinese segmentation + character bigrams, Traditional folded to
    Simplified) with facets. `q` supports `"exact phrase"`, `OR` and `-exclude`; a 索引号 or
    文号 goes straight to its reply (`exact_match`). Without `q`, filtered replies newest first."""
    # A repeated search is answered with its rendered response: rebuilding it from cached
    # results (unpickling their replies, validating and rendering the schema) cost three
    # times the rest of the request.
    key = search_cache_key(request.GET, scope=("api", request.build_absolute_uri("/")))
    if key is not None and (content := cache.get(key)) is not None:
        return HttpResponse(content, content_type=api.get_content_type())
    answer = SearchOut.model_validate(_search_answer(request, run_search(request.GET)))
    response = api.create_response(
        request,
        answer.model_dump(context={"request": request, "response_status": 200}),
        status=200,
    )
    if key is not None:
        cache.set(key, response.content, settings.ARCHIVE_SEARCH_CACHE_SECONDS)
    return response


def _search_answer(request: HttpRequest, results: SearchResults) -> dict:
    return {
        "count": results.count,
        "count_capped": results.count_capped,
        "count_approximate": results.count_approximate,
        "facets_approximate": results.facets_approximate,
        "page": results.page,
        "pages": results.pages,
        "sort": results.sort,
        "exact_match": (
            _absolute(request, results.exact_match.get_absolute_url())
            if results.exact_match
            else None
        ),
        "results": [_hit(request, hit) for hit in results.hits],
        "facets": {
            facet: [vars(value) for value in values] for facet, values in results.facets.items()
        },
    }


def _hit(request: HttpRequest, hit) -> dict:
    reply = hit.reply
    return {
        "id": reply.pk,
        "index_no": reply.index_no,
        "title": reply.title,
        "url": _absolute(request, reply.get_absolute_url()),
        "snippet": hit.snippet,
        "published_date": reply.published_date,
        "written_date": reply.written_date,
        "lead_agency": reply.lead_agency.name if reply.lead_agency else None,
        "members": hit.members,
        "kind": _none(reply.kind),
        "session": reply.session.name if reply.session else None,
        "session_label": reply.session.label if reply.session else None,
        "proposal_number": _none(reply.proposal_number),
        "role": _none(reply.role),
    }


@api.get(
    "/replies/by-id/{reply_id}",
    response={200: ReplyOut, 400: ErrorOut, 404: ErrorOut},
    summary="A reply by its archive id (for replies without 索引号)",
    tags=["replies"],
)
def reply_by_id(request: HttpRequest, response: HttpResponse, reply_id: int):
    reply = queries.published_reply(pk=reply_id)
    response["Last-Modified"] = http_date(reply.updated_at.timestamp())
    return reply_detail(request, reply)


@api.get(
    "/replies/{path:index_no}",
    response={200: ReplyOut, 400: ErrorOut, 404: ErrorOut},
    summary="A reply by its 索引号, with every stored field and its links",
    tags=["replies"],
)
def reply_by_index_no(request: HttpRequest, response: HttpResponse, index_no: str):
    reply = queries.published_reply(index_no=index_no)
    response["Last-Modified"] = http_date(reply.updated_at.timestamp())
    return reply_detail(request, reply)


def reply_detail(request: HttpRequest, reply: Reply) -> dict:
    related = queries.related_replies(reply)
    agency_links = list(reply.agency_links.all())

    def agency_out(link) -> dict:
        return {
            "id": link.agency.pk,
            "name": link.agency.name,
            "short_name": link.agency.short_name,
            "as_written": link.name_as_written,
            "url": _absolute(request, link.agency.get_absolute_url()),
        }

    lead = next((link for link in agency_links if link.role == "lead"), None)
    return {
        "id": reply.pk,
        "url": _absolute(request, reply.get_absolute_url()),
        "index_no": reply.index_no,
        "doc_no": _none(reply.doc_no),
        "title": reply.title,
        "theme": _none(reply.theme),
        "themes": [theme.name for theme in reply.themes.all()],
        "genre": _none(reply.genre),
        "publisher": _none(reply.publisher),
        "written_date": reply.written_date,
        "published_date": reply.published_date,
        "signed_date": reply.signed_date,
        "kind": _none(reply.kind),
        "session": (
            {
                "id": reply.session.pk,
                "name": reply.session.name,
                "label": reply.session.label,
                "url": _absolute(request, reply.session.get_absolute_url()),
            }
            if reply.session
            else None
        ),
        "session_as_written": _none(reply.session_name),
        "proposal": (
            {
                "id": reply.proposal.pk,
                "number": reply.proposal.number,
                "title": reply.proposal.title,
                "session": reply.session.name if reply.session else "",
                "url": _absolute(request, reply.proposal.get_absolute_url()),
            }
            if reply.proposal
            else None
        ),
        "proposal_number": _none(reply.proposal_number),
        "proposal_title": _none(reply.proposal_title),
        "members": [
            {
                "id": link.member.pk,
                "name": link.member.name,
                "label": link.member.label,
                "url": _absolute(request, link.member.get_absolute_url()),
            }
            for link in reply.member_links.all()
        ],
        "proposer_org": _none(reply.proposer_org),
        "addressee": _none(reply.addressee),
        "sender": _none(reply.sender),
        "role": _none(reply.role),
        "lead_agency": agency_out(lead) if lead else None,
        "co_agencies": [agency_out(link) for link in agency_links if link.role == "co"],
        "reply_category": _none(reply.reply_category),
        "signer": _none(reply.signer),
        "sections": reply.section_list,
        "commitments": [{"heading": c.heading, "text": c.text} for c in reply.commitments.all()],
        "citations": [
            {
                "title": citation.document.title,
                "doc_no": citation.doc_no_as_written or citation.document.doc_no or None,
                "cited_by": [
                    _absolute(request, other.get_absolute_url())
                    for other in related.citing.get(citation.document_id, [])
                ],
            }
            for citation in reply.citations.all()
        ],
        "body_text": reply.public_text,
        "sources": [
            {
                "revision": source.revision,
                "filename": source.filename,
                "encoding": source.encoding,
                "sha256": source.sha256,
                "size": source.size,
                "uploaded_at": source.uploaded_at,
            }
            for source in reply.sources.all()
        ],
    }


class ListParams(Schema):
    page: int = Field(1, ge=1, le=100_000)
    q: str | None = Field(None, max_length=100)


LIST_PAGE_SIZE = 50


def _page(queryset, page: int) -> tuple[list, int, int]:
    if page < 1:
        raise DjangoValidationError({"page": ["must be ≥ 1"]})
    count = queryset.count()
    start = (page - 1) * LIST_PAGE_SIZE
    return (
        list(queryset[start : start + LIST_PAGE_SIZE]),
        count,
        max(1, -(-count // LIST_PAGE_SIZE)),
    )


@api.get(
    "/agencies",
    response={200: AgencyPageOut, 400: ErrorOut},
    summary="Agencies with replies, most replies first",
    tags=["entities"],
)
def agencies(request: HttpRequest, params: Query[ListParams]):
    queryset = queries.agencies_by_reply_count().prefetch_related("aliases")
    if params.q:
        queryset = queryset.filter(
            Q(name__contains=params.q)
            | Q(short_name__contains=params.q)
            | Q(aliases__name__contains=params.q)
        ).distinct()
    rows, count, pages = _page(queryset, params.page)
    return {
        "count": count,
        "page": params.page,
        "pages": pages,
        "results": [_agency(request, agency) for agency in rows],
    }


def _agency(request: HttpRequest, agency: Agency) -> dict:
    return {
        "id": agency.pk,
        "name": agency.name,
        "short_name": agency.short_name,
        "level": agency.level,
        "region": agency.region,
        "aliases": [alias.name for alias in agency.aliases.all()],
        "lead_count": agency.lead_count,
        "co_count": agency.co_count,
        "url": _absolute(request, agency.get_absolute_url()),
    }


@api.get(
    "/agencies/{agency_id}",
    response={200: AgencyOut, 400: ErrorOut, 404: ErrorOut},
    summary="One agency with its aliases and lead / co-handling counts",
    tags=["entities"],
)
def agency(request: HttpRequest, agency_id: int):
    return _agency(request, queries.agency_with_counts(agency_id))


def _entities(request: HttpRequest, model, params: ListParams, relation: str = "replies"):
    queryset = model.objects.annotate(
        reply_count=Count(relation, filter=Q(**{f"{relation}__status": Reply.Status.PUBLISHED}))
    ).filter(reply_count__gt=0)
    if params.q:
        queryset = queryset.filter(name__contains=params.q)
    rows, count, pages = _page(queryset.order_by("-reply_count", "name"), params.page)
    return {
        "count": count,
        "page": params.page,
        "pages": pages,
        "results": [
            {
                "id": row.pk,
                "name": row.name,
                "label": getattr(row, "label", row.name),
                "url": _absolute(request, row.get_absolute_url()),
                "reply_count": row.reply_count,
            }
            for row in rows
        ],
    }


def _entity(request: HttpRequest, model, pk: int, relation: str = "replies"):
    row = (
        model.objects.filter(pk=pk)
        .annotate(
            reply_count=Count(relation, filter=Q(**{f"{relation}__status": Reply.Status.PUBLISHED}))
        )
        .first()
    )
    if row is None:
        raise Http404(f"no such {model._meta.model_name}")
    return {
        "id": row.pk,
        "name": row.name,
        "label": getattr(row, "label", row.name),
        "url": _absolute(request, row.get_absolute_url()),
        "reply_count": row.reply_count,
    }


@api.get("/members", response={200: EntityPageOut, 400: ErrorOut}, tags=["entities"])
def members(request: HttpRequest, params: Query[ListParams]):
    """Committee members and deputies, most replies first."""
    return _entities(request, Member, params)


@api.get(
    "/members/{member_id}",
    response={200: EntityOut, 400: ErrorOut, 404: ErrorOut},
    tags=["entities"],
)
def member(request: HttpRequest, member_id: int):
    return _entity(request, Member, member_id)


@api.get("/sessions", response={200: EntityPageOut, 400: ErrorOut}, tags=["entities"])
def sessions(request: HttpRequest, params: Query[ListParams]):
    """Sessions (会议) at which proposals were raised, most replies first."""
    return _entities(request, Session, params)


@api.get(
    "/sessions/{session_id}",
    response={200: EntityOut, 400: ErrorOut, 404: ErrorOut},
    tags=["entities"],
)
def session(request: HttpRequest, session_id: int):
    return _entity(request, Session, session_id)


@api.get("/themes", response={200: EntityPageOut, 400: ErrorOut}, tags=["entities"])
def themes(request: HttpRequest, params: Query[ListParams]):
    """Themes (主题分类), most replies first."""
    return _entities(request, Theme, params)


@api.get(
    "/themes/{theme_id}", response={200: EntityOut, 400: ErrorOut, 404: ErrorOut}, tags=["entities"]
)
def theme(request: HttpRequest, theme_id: int):
    return _entity(request, Theme, theme_id)


class ProposalDetailOut(ProposalOut):
    kind: str
    proposer_org: str
    replies: list[SearchHitOut]


@api.get(
    "/proposals/{proposal_id}",
    response={200: ProposalDetailOut, 400: ErrorOut, 404: ErrorOut},
    summary="A proposal or suggestion with every published reply to it (lead and co)",
    tags=["entities"],
)
def proposal(request: HttpRequest, proposal_id: int):
    found, replies = queries.proposal_with_replies(proposal_id)
    return {
        "id": found.pk,
        "number": found.number,
        "title": found.title,
        "session": found.session.name,
        "url": _absolute(request, found.get_absolute_url()),
        "kind": found.kind,
        "proposer_org": found.proposer_org,
        "replies": [_hit(request, Hit(reply=reply, snippet="")) for reply in replies],
    }
