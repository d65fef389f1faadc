"""Template helpers: shareable URLs for every search state, and structured reply text."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from replies.rendering import render_blocks

register = template.Library()


def _params(request) -> QueryDict:
    params = request.GET.copy()
    params.pop("page", None)
    return params


@register.simple_tag(takes_context=True)
def toggle_url(context, facet: str, value) -> str:
    """The current search with `value` added to or removed from `facet`."""
    params = _params(context["request"])
    values = params.getlist(facet)
    value = str(value)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    params.setlist(facet, values)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def with_param(context, key: str, value) -> str:
    """The current search with one parameter set (sort, page, …)."""
    params = context["request"].GET.copy()
    if key != "page":
        params.pop("page", None)
    params[key] = str(value)
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def cleared_url(context) -> str:
    """The current query with every filter removed."""
    request = context["request"]
    params = QueryDict(mutable=True)
    for key in ("q", "title_only", "sort"):
        if request.GET.get(key):
            params[key] = request.GET[key]
    return "?" + params.urlencode()


@register.filter
def structured(text: str) -> SafeString:
    return render_blocks(text)


@register.filter
def count_label(results) -> str:
    if results.count_capped:
        return format_html("{}+", f"{results.count:,}")
    if results.count_approximate and results.count:
        # A quoted phrase is checked word for word only on the replies shown; the count is of
        # replies holding its characters, so say it is an upper bound.
        return gettext("约 %(n)s") % {"n": f"{results.count:,}"}
    return f"{results.count:,}"


@register.filter
def getitem(mapping, key):
    return mapping.get(key) if mapping else None
