"""Public pages. Views stay thin: parameters in, a read query or the search engine, a template."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_GET

from . import queries
from .exports import csv_rows, jsonl_rows
from .filters import canonical_agency_parameters
from .models import Member, Reply, Session, Theme
from .redaction import contains_contact_details
from .search import (
    COUNT_CAP,
    FACET_LABELS,
    FACET_SAMPLE,
    count_and_ids,
    exact_lookup_kind,
    run_search,
    search_cache_key,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "replies/home.html",
        {
            "counts": queries.archive_counts(),
            "recent": queries.reply_list().order_by("-sort_date", "-id")[:8],
            "agencies": queries.agencies_by_reply_count(limit=12),
            "themes": queries.themes_by_reply_count(limit=20),
            "sessions": queries.sessions_by_reply_count(limit=12),
            "years": queries.years_with_counts(),
        },
    )


def _search_context(request: HttpRequest, params, *, fixed: dict | None = None) -> dict:
    """Run the search engine on `params` and shape what the results partial shows.

    `fixed` holds a filter an entity page imposes (e.g. agency=…), shown but not removable.
    """
    try:
        results = run_search(params)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return {"errors": errors, "results": None}
    facets = [
        (name, FACET_LABELS[name], values)
        for name, values in results.facets.items()
        if values and name not in (fixed or {})
    ]
    return {
        "results": results,
        "facets": facets,
        "errors": None,
        "fixed": fixed or {},
        "export_limit": settings.ARCHIVE_EXPORT_ANON_LIMIT,
        # Formatted here: the note reads "约 2,000 件", as counts elsewhere on the page do.
        "facet_sample": f"{FACET_SAMPLE:,}",
        "count_cap": f"{COUNT_CAP:,}",
    }


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    canonical = canonical_agency_parameters(request.GET)
    if canonical is not None:
        return redirect(f"{request.path}?{canonical.urlencode()}")
    block = _results_block(request, request.GET)
    if block["redirect"]:
        return redirect(block["redirect"])
    feed_url = reverse("search_feed") + ("?" + request.GET.urlencode() if request.GET else "")
    return render(
        request,
        "replies/search.html",
        {
            "results_html": mark_safe(block["html"]),
            "query": request.GET.get("q", "").strip(),
            "feed_url": feed_url,
        },
        status=block["status"],
    )


def _results_block(request: HttpRequest, params, *, fixed: dict | None = None) -> dict:
    """A search's rendered results (the rows and the facets), or, on the search page, the
    reply a 索引号 or 文号 leads to — remembered under the search's cache key plus the path.

    A repeat is served the rendered block: unpickling cached results and rendering twenty
    rows and the facets were most of a cached request. The page around the block holds
    per-visitor parts (the language form's CSRF token) and is rendered each time."""
    key = search_cache_key(params, scope=("results", request.path))
    block = cache.get(key) if key is not None else None
    if block is None:
        block = _render_results_block(request, params, fixed)
        if key is not None:
            cache.set(key, block, settings.ARCHIVE_SEARCH_CACHE_SECONDS)
    return block


def _render_results_block(request: HttpRequest, params, fixed: dict | None) -> dict:
    context = _search_context(request, params, fixed=fixed)
    results = context["results"]
    query = params.get("q", "").strip()
    if (
        fixed is None
        and results is not None
        and results.exact_match is not None
        and exact_lookup_kind(query) is not None
        and exact_lookup_kind(query)[0] in ("index_no", "doc_no")
        and params.get("page") in (None, "1")
    ):
        return {"redirect": results.exact_match.get_absolute_url(), "html": "", "status": 302}
    return {
        "redirect": None,
        "html": render_to_string("replies/_results.html", context, request=request),
        "status": 400 if context["errors"] else 200,
    }


def _reply_page(request: HttpRequest, reply: Reply) -> HttpResponse:
    related = queries.related_replies(reply)
    agency_links = list(reply.agency_links.all())
    response = render(
        request,
        "replies/reply_detail.html",
        {
            "reply": reply,
            "members": [link.member for link in reply.member_links.all()],
            "lead_link": next((link for link in agency_links if link.role == "lead"), None),
            "co_links": [link for link in agency_links if link.role == "co"],
            "commitments": list(reply.commitments.all()),
            "citations": [
                (citation, related.citing.get(citation.document_id, []))
                for citation in reply.citations.all()
            ],
            "related": related,
            "sources": list(reply.sources.all()),
            "date_notes": date_notes(reply),
        },
    )
    # ConditionalGetMiddleware answers If-Modified-Since / If-None-Match from these.
    response["Last-Modified"] = http_date(reply.updated_at.timestamp())
    return response


def date_notes(reply: Reply) -> list[str]:
    """Where the letter's dates disagree, say so: researchers date replies by them."""
    notes = []
    if reply.signed_date and reply.written_date and reply.signed_date != reply.written_date:
        notes.append(
            _("落款日期（%(signed)s）与成文日期（%(written)s）不一致。")
            % {"signed": reply.signed_date, "written": reply.written_date}
        )
    first = reply.written_date or reply.signed_date
    if reply.published_date and first and reply.published_date < first:
        notes.append(
            _("发布日期（%(published)s）早于成文或落款日期（%(first)s）。")
            % {"published": reply.published_date, "first": first}
        )
    return notes


def _reply_updated(request: HttpRequest, index_no: str):
    """When the published reply last changed (looked up once per request)."""
    if not hasattr(request, "_reply_updated_at"):
        request._reply_updated_at = (
            Reply.objects.published()
            .filter(index_no=index_no)
            .values_list("updated_at", flat=True)
            .first()
        )
    return request._reply_updated_at


def _reply_version(request: HttpRequest, index_no: str) -> str | None:
    """The reply page's ETag, from the record rather than the rendered bytes (which hold a
    fresh CSRF token each time): the reply's last change, the language, the code version."""
    updated = _reply_updated(request, index_no)
    if updated is None:
        return None
    return f"{updated.timestamp()}-{request.LANGUAGE_CODE}-{settings.ARCHIVE_VERSION}"


@require_GET
@condition(etag_func=_reply_version, last_modified_func=_reply_updated)
def reply_detail(request: HttpRequest, index_no: str) -> HttpResponse:
    return _reply_page(request, queries.published_reply(index_no=index_no))


@require_GET
def reply_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    reply = queries.published_reply(pk=pk)
    if reply.index_no:
        return redirect(reply.get_absolute_url(), permanent=True)
    return _reply_page(request, reply)


@require_GET
def reply_source(request: HttpRequest, pk: int, revision: int) -> HttpResponse:
    """The original file, byte for byte. When it prints contact details that the public copy
    hides, only staff may download it."""
    reply = Reply.objects.filter(pk=pk).first()
    if reply is None or (not reply.is_published and not request.user.is_staff):
        raise Http404("no such reply")
    source = reply.sources.filter(revision=revision).first()
    if source is None:
        raise Http404("no such revision")
    content = bytes(source.content)
    if (
        settings.ARCHIVE_REDACT_CONTACTS
        and not request.user.is_staff
        and contains_contact_details(reply.body_text)
    ):
        return render(request, "replies/source_restricted.html", {"reply": reply}, status=403)
    response = HttpResponse(content, content_type="application/octet-stream")
    filename = os.path.basename(source.filename) or f"reply-{pk}-r{revision}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename, safe="")


def _entity_page(request: HttpRequest, template: str, facet: str, value: str, context: dict):
    params = request.GET.copy()
    params.setlist(facet, [value])
    block = _results_block(request, params, fixed={facet: value})
    entity = next(iter(context.values()))
    feed_url = reverse(f"{facet}_feed", args=[entity.pk])
    return render(
        request,
        template,
        {
            **context,
            "results_html": mark_safe(block["html"]),
            "query": request.GET.get("q", ""),
            "feed_url": feed_url,
        },
        status=block["status"],
    )


@require_GET
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agency = queries.agency_with_counts(pk)
    return _entity_page(
        request, "replies/agency_detail.html", "agency", agency.name, {"agency": agency}
    )


@require_GET
def agency_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "replies/agency_list.html",
        {"agencies": queries.agencies_by_reply_count().prefetch_related("aliases")},
    )


@require_GET
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = queries.get_or_404(Member, pk)
    return _entity_page(
        request, "replies/member_detail.html", "member", member.label, {"member": member}
    )


@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.get_or_404(Session, pk)
    return _entity_page(
        request, "replies/session_detail.html", "session", session.label, {"session": session}
    )


@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "replies/session_list.html", {"sessions": queries.sessions_by_reply_count()}
    )


@require_GET
def theme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    theme = queries.get_or_404(Theme, pk)
    return _entity_page(request, "replies/theme_detail.html", "theme", theme.name, {"theme": theme})


@require_GET
def theme_list(request: HttpRequest) -> HttpResponse:
    return render(request, "replies/theme_list.html", {"themes": queries.themes_by_reply_count()})


@require_GET
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal, replies = queries.proposal_with_replies(pk)
    return render(
        request,
        "replies/proposal_detail.html",
        {
            "proposal": proposal,
            "lead_replies": [r for r in replies if r.role != "co"],
            "co_replies": [r for r in replies if r.role == "co"],
            "members": list(
                Member.objects.filter(reply_links__reply__in=replies).distinct().order_by("name")
            ),
        },
    )


EXPORT_FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_rows),
    "jsonl": ("application/x-ndjson; charset=utf-8", jsonl_rows),
}


@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Any search, as CSV or JSON Lines, streamed. Anonymous exports are capped; over the
    cap the reader is told so, and may ask for the first rows with `partial=1`."""
    content_type, rows = EXPORT_FORMATS[fmt]
    params = request.GET.copy()
    params.pop("page", None)
    limit = (
        settings.ARCHIVE_EXPORT_STAFF_LIMIT
        if request.user.is_staff
        else settings.ARCHIVE_EXPORT_ANON_LIMIT
    )
    try:
        total, ids = count_and_ids(params, limit=limit)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        text = "\n".join(f"{field}: {'; '.join(msgs)}" for field, msgs in errors.items())
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    if total > limit and params.get("partial") != "1":
        message = _(
            "这次检索的结果超过 %(limit)s 件，超出了未登录用户的导出上限。"
            "请缩小检索范围，或在链接后加上 partial=1 只导出最新的 %(limit)s 件，"
            "或下载完整的数据集快照。"
        ) % {"limit": f"{limit:,}"}
        english = (
            f"This search matches more than {limit:,} replies, the export limit for anonymous "
            f"users. Narrow the search, add partial=1 to export the newest {limit:,}, or "
            "download the full dataset snapshot."
        )
        return HttpResponse(
            f"{message}\n{english}\n", status=403, content_type="text/plain; charset=utf-8"
        )
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = StreamingHttpResponse(rows(ids, base_url), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="replies.{fmt}"'
    if total > limit:
        response["X-Export-Truncated"] = f"first {limit} of more"
    return response
