"""Read queries the pages and the API call. Each returns everything its page shows, loaded
in a fixed number of queries (no per-row lookups)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from .models import (
    Agency,
    Citation,
    Member,
    Proposal,
    Reply,
    ReplyAgency,
    ReplyMember,
    Role,
    Session,
    Source,
    Theme,
)

# Columns a list of replies never needs (large, or clerk-only).
LIST_DEFER = ("body_text", "public_body_text", "sections")


def members_in_order() -> Prefetch:
    return Prefetch(
        "member_links", queryset=ReplyMember.objects.select_related("member").order_by("position")
    )


def agencies_by_role() -> Prefetch:
    """Lead first, then the co-handling agencies in the order the letter names them."""
    return Prefetch(
        "agency_links",
        queryset=ReplyAgency.objects.select_related("agency").order_by("role", "position"),
    )


def citations_with_documents() -> Prefetch:
    return Prefetch("citations", queryset=Citation.objects.select_related("document"))


def reply_list(queryset: QuerySet | None = None) -> QuerySet:
    """Published replies with what a result row shows: lead agency, session, members."""
    queryset = Reply.objects.published() if queryset is None else queryset
    return (
        queryset.select_related("lead_agency", "session")
        .prefetch_related(members_in_order())
        .defer(*LIST_DEFER)
    )


def published_reply(*, index_no: str | None = None, pk: int | None = None) -> Reply:
    """A published reply with everything its detail page shows, or Http404."""
    lookup = {"index_no": index_no} if index_no is not None else {"pk": pk}
    queryset = (
        Reply.objects.published()
        .filter(**lookup)
        .select_related("lead_agency", "sender_agency", "session", "proposal", "genre_entity")
        .prefetch_related(
            members_in_order(),
            agencies_by_role(),
            "commitments",
            citations_with_documents(),
            "themes",
            Prefetch("sources", queryset=Source.objects.defer("content", "parsed")),
        )
    )
    reply = queryset.first()
    if reply is None:
        raise Http404("no such reply")
    return reply


@dataclass
class Related:
    same_proposal: list[Reply]
    same_member: list[Reply]
    same_agency: list[Reply]
    #: cited document id → other published replies citing it
    citing: dict[int, list[Reply]]


def related_replies(reply: Reply, limit: int = 5) -> Related:
    """Replies a reader goes to next, in one query per kind of relation."""
    others = Reply.objects.published().exclude(pk=reply.pk).defer(*LIST_DEFER)
    same_proposal = (
        list(others.filter(proposal_id=reply.proposal_id).select_related("sender_agency"))
        if reply.proposal_id
        else []
    )
    member_ids = [link.member_id for link in reply.member_links.all()]
    same_member = (
        list(
            others.filter(member_links__member_id__in=member_ids)
            .exclude(proposal_id=reply.proposal_id)
            .distinct()
            .order_by("-sort_date", "-id")[:limit]
        )
        if member_ids
        else []
    )
    same_agency = (
        list(
            others.filter(lead_agency_id=reply.lead_agency_id)
            .exclude(pk__in=[r.pk for r in same_member])
            .order_by("-sort_date", "-id")[:limit]
        )
        if reply.lead_agency_id
        else []
    )
    document_ids = [citation.document_id for citation in reply.citations.all()]
    citing: dict[int, list[Reply]] = {}
    if document_ids:
        # A State Council circular is cited by thousands of replies. One branch per cited
        # document, each planned with its own id: for a widely cited document PostgreSQL
        # walks the date index and stops at the limit, for a rare one it reads its few
        # citations. (A window over every citation took 200 ms to 9 s per page at 100,000.)
        branch = (
            "(SELECT r.id, r.index_no, r.title, c.document_id AS cited_document_id"
            " FROM replies_citation c"
            " JOIN replies_searchentry e ON e.reply_id = c.reply_id AND e.published"
            " JOIN replies_reply r ON r.id = c.reply_id"
            " WHERE c.document_id = %s AND c.reply_id <> %s"
            " ORDER BY e.sort_date DESC NULLS LAST, c.reply_id DESC LIMIT %s)"
        )
        unique_ids = list(dict.fromkeys(document_ids))
        params: list = []
        for document_id in unique_ids:
            params += [document_id, reply.pk, 2 * limit]
        for other in Reply.objects.raw(" UNION ALL ".join([branch] * len(unique_ids)), params):
            bucket = citing.setdefault(other.cited_document_id, [])
            if all(other.pk != known.pk for known in bucket) and len(bucket) < limit:
                bucket.append(other)
    return Related(same_proposal, same_member, same_agency, citing)


@dataclass
class ArchiveCounts:
    replies: int
    agencies: int
    members: int
    sessions: int


def archive_counts() -> ArchiveCounts:
    published = Q(replies__status=Reply.Status.PUBLISHED)
    return ArchiveCounts(
        replies=Reply.objects.published().count(),
        agencies=Agency.objects.filter(reply_links__reply__status=Reply.Status.PUBLISHED)
        .distinct()
        .count(),
        members=Member.objects.filter(published).distinct().count(),
        sessions=Session.objects.filter(published).distinct().count(),
    )


def agency_with_counts(pk: int) -> Agency:
    published = Q(reply_links__reply__status=Reply.Status.PUBLISHED)
    agency = (
        Agency.objects.filter(pk=pk)
        .annotate(
            lead_count=Count("reply_links", filter=published & Q(reply_links__role=Role.LEAD)),
            co_count=Count("reply_links", filter=published & Q(reply_links__role=Role.CO)),
        )
        .prefetch_related("aliases")
        .first()
    )
    if agency is None:
        raise Http404("no such agency")
    return agency


def agencies_by_reply_count(limit: int | None = None) -> QuerySet:
    published = Q(reply_links__reply__status=Reply.Status.PUBLISHED)
    queryset = (
        Agency.objects.annotate(
            lead_count=Count("reply_links", filter=published & Q(reply_links__role=Role.LEAD)),
            co_count=Count("reply_links", filter=published & Q(reply_links__role=Role.CO)),
        )
        .filter(Q(lead_count__gt=0) | Q(co_count__gt=0))
        .order_by("-lead_count", "-co_count", "name")
    )
    return queryset[:limit] if limit else queryset


def _by_reply_count(model: type, limit: int | None) -> QuerySet:
    """Sessions or themes that have published replies, most first."""
    queryset = (
        model.objects.annotate(
            reply_count=Count("replies", filter=Q(replies__status=Reply.Status.PUBLISHED))
        )
        .filter(reply_count__gt=0)
        .order_by("-reply_count", "name")
    )
    return queryset[:limit] if limit else queryset


def sessions_by_reply_count(limit: int | None = None) -> QuerySet:
    return _by_reply_count(Session, limit)


def themes_by_reply_count(limit: int | None = None) -> QuerySet:
    return _by_reply_count(Theme, limit)


def years_with_counts() -> list[dict]:
    return list(
        Reply.objects.published()
        .exclude(year__isnull=True)
        .values("year")
        .annotate(reply_count=Count("id"))
        .order_by("-year")
    )


def proposal_with_replies(pk: int) -> tuple[Proposal, list[Reply]]:
    proposal = Proposal.objects.filter(pk=pk).select_related("session").first()
    if proposal is None:
        raise Http404("no such proposal")
    replies = list(
        reply_list(Reply.objects.published().filter(proposal=proposal))
        .select_related("sender_agency")
        .order_by("role", "-sort_date")
    )
    return proposal, replies


def get_or_404(model: type, pk: int):
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"no such {model._meta.model_name}")
    return obj
