"""Atom feeds: one for any search URL, and one per agency, member, theme and session, newest
first — "tell me when something new matches"."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from . import queries
from .exports import replies_for
from .models import Agency, Member, Reply, Session, Theme
from .search import count_and_ids

FEED_SIZE = 50


class ReplyFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs) -> QueryDict:
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("sort", None)
        self.request = request
        return params

    def title(self, params: QueryDict) -> str:
        query = params.get("q")
        if query:
            return _("答复档案库：“%(q)s”的最新答复") % {"q": query}
        return _("答复档案库：最新答复")

    def link(self, params: QueryDict) -> str:
        return reverse("search") + ("?" + params.urlencode() if params else "")

    def subtitle(self, params: QueryDict) -> str:
        return _("按发布日期排列的最新答复，最多 %(n)s 件。") % {"n": FEED_SIZE}

    def items(self, params: QueryDict) -> list[Reply]:
        try:
            _total, ids = count_and_ids(params, limit=FEED_SIZE)
        except ValidationError as exc:
            raise Http404(str(exc)) from exc
        return replies_for(list(ids))

    def item_title(self, reply: Reply) -> str:
        return reply.title

    def item_description(self, reply: Reply) -> str:
        # Atom summaries are typed HTML: readers render them, so the text is escaped here.
        agency = reply.lead_agency.name if reply.lead_agency else reply.publisher
        text = reply.public_text_value[:200].replace("\n", " ")
        session = reply.session.label if reply.session else ""
        return escape(f"{agency} · {session} {text}…")

    def item_link(self, reply: Reply) -> str:
        return reply.get_absolute_url()

    def item_guid(self, reply: Reply) -> str:
        return self.request.build_absolute_uri(reply.get_absolute_url())

    item_guid_is_permalink = True

    def item_pubdate(self, reply: Reply) -> dt.datetime | None:
        return _midnight(reply.published_date or reply.sort_date)

    def item_updateddate(self, reply: Reply) -> dt.datetime:
        return reply.updated_at

    def item_author_name(self, reply: Reply) -> str:
        return reply.sender or reply.publisher or ""

    def item_categories(self, reply: Reply) -> list[str]:
        return [theme.name for theme in reply.themes.all()]


def _midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class EntityFeed(ReplyFeed):
    """The replies of one agency / member / theme / session: its search with one filter."""

    model: type
    facet: str

    def get_object(self, request, pk: int) -> QueryDict:
        entity = queries.get_or_404(self.model, pk)
        self.entity = entity
        self.request = request
        params = QueryDict(mutable=True)
        params[self.facet] = getattr(entity, "label", entity.name)
        return params

    def title(self, params: QueryDict) -> str:
        return _("答复档案库：%(name)s的最新答复") % {"name": str(self.entity)}

    def link(self, params: QueryDict) -> str:
        return self.entity.get_absolute_url()


class AgencyFeed(EntityFeed):
    model, facet = Agency, "agency"


class MemberFeed(EntityFeed):
    model, facet = Member, "member"


class ThemeFeed(EntityFeed):
    model, facet = Theme, "theme"


class SessionFeed(EntityFeed):
    model, facet = Session, "session"
