"""The archive's filter parameters, shared by the search page, the JSON API, exports and feeds.

Facet parameters take the `value` their facet lists (agency, theme, session and member by
name; kind as `proposal`/`suggestion`) and may repeat: values within one facet combine with
OR, facets with AND. An agency may also be named by any alias (`agency=市国资委`).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import (
    Agency,
    AgencyAlias,
    Genre,
    Kind,
    Member,
    Reply,
    ReplyAgency,
    ReplyMember,
    Role,
    Session,
    Theme,
)

SORTS = ("relevance", "newest", "oldest")
MAX_VALUES_PER_FACET = 20
MAX_PAGE = 500


class NamesField(forms.Field):
    """Repeated text values (`?theme=科技&theme=教育`), trimmed, de-duplicated, bounded."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        names = list(dict.fromkeys(v.strip() for v in value if v and v.strip()))
        if len(names) > MAX_VALUES_PER_FACET:
            raise ValidationError(_("最多 %(n)s 个值") % {"n": MAX_VALUES_PER_FACET})
        if any(len(name) > 200 for name in names):
            raise ValidationError(_("值过长"))
        return names


class NamesFilter(django_filters.Filter):
    field_class = NamesField


def _resolve(names: list[str], model: type, label: str) -> list[int]:
    found = dict(model.objects.filter(name__in=names).values_list("name", "id"))
    missing = [name for name in names if name not in found]
    if missing:
        raise ValidationError(
            _("未知的%(what)s：%(names)s") % {"what": label, "names": "、".join(missing)}
        )
    return [found[name] for name in names]


def resolve_agencies(names: list[str]) -> list[int]:
    """Canonical names or aliases → agency ids; unknown names are an error."""
    ids = dict(Agency.objects.filter(name__in=names).values_list("name", "id"))
    for alias, agency_id in AgencyAlias.objects.filter(name__in=names).values_list(
        "name", "agency_id"
    ):
        ids.setdefault(alias, agency_id)
    missing = [name for name in names if name not in ids]
    if missing:
        raise ValidationError(_("未知的机构：%(names)s") % {"names": "、".join(missing)})
    return list(dict.fromkeys(ids[name] for name in names))


class ReplyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_nothing", max_length=200, label=_("检索词"))
    title_only = django_filters.BooleanFilter(
        method="filter_nothing", widget=forms.CheckboxInput, label=_("仅检索标题")
    )
    sort = django_filters.ChoiceFilter(
        method="filter_nothing",
        choices=[("relevance", _("相关度")), ("newest", _("最新")), ("oldest", _("最早"))],
        empty_label=None,
        label=_("排序"),
    )
    page = django_filters.NumberFilter(method="filter_nothing", min_value=1, max_value=MAX_PAGE)

    agency = NamesFilter(method="filter_agency", label=_("机构（任意角色）"))
    lead_agency = NamesFilter(method="filter_lead_agency", label=_("主办单位"))
    co_agency = NamesFilter(method="filter_co_agency", label=_("协办单位"))
    theme = NamesFilter(method="filter_theme", label=_("主题分类"))
    genre = NamesFilter(method="filter_genre", label=_("体裁分类"))
    kind = django_filters.MultipleChoiceFilter(
        field_name="kind", choices=Kind.choices, distinct=False, label=_("类型")
    )
    session = NamesFilter(method="filter_session", label=_("会议"))
    year = django_filters.MultipleChoiceFilter(
        field_name="year", choices=[], method="filter_year", distinct=False, label=_("年份")
    )
    member = NamesFilter(method="filter_member", label=_("委员/代表"))
    reply_category = django_filters.MultipleChoiceFilter(
        field_name="reply_category",
        choices=[(c, c) for c in "ABCD"],
        distinct=False,
        label=_("答复类别"),
    )
    date_from = django_filters.DateFilter(
        field_name="sort_date", lookup_expr="gte", label=_("起始日期")
    )
    date_to = django_filters.DateFilter(
        field_name="sort_date", lookup_expr="lte", label=_("截止日期")
    )

    #: Parameters that are facets (each a filter that facet counting can leave out).
    FACETS = (
        "agency",
        "lead_agency",
        "co_agency",
        "theme",
        "genre",
        "kind",
        "session",
        "year",
        "member",
        "reply_category",
    )

    class Meta:
        model = Reply
        fields: list[str] = []

    def __init__(self, data=None, *args, exclude_facet: str | None = None, **kwargs):
        # The public never sees drafts or withdrawn replies, whoever builds this FilterSet.
        kwargs["queryset"] = Reply.objects.published()
        super().__init__(data, *args, **kwargs)
        self.exclude_facet = exclude_facet
        self.filters["year"].extra["choices"] = [(str(y), str(y)) for y in range(1949, 2101)]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """Every filter except the text query (the search engine applies that) and
        `exclude_facet` (facet counting leaves a facet's own selection out)."""
        for name, value in self.form.cleaned_data.items():
            if name == self.exclude_facet:
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    # Filters with a method do their own work; these are read by the search engine instead.
    def filter_nothing(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def _agency_role(self, queryset: QuerySet, names: list[str], role: str | None) -> QuerySet:
        if not names:
            return queryset
        links = ReplyAgency.objects.filter(
            reply=OuterRef("pk"), agency_id__in=resolve_agencies(names)
        )
        if role:
            links = links.filter(role=role)
        return queryset.filter(Exists(links))

    def filter_agency(self, queryset, name, value):
        return self._agency_role(queryset, value, None)

    def filter_lead_agency(self, queryset, name, value):
        return self._agency_role(queryset, value, Role.LEAD)

    def filter_co_agency(self, queryset, name, value):
        return self._agency_role(queryset, value, Role.CO)

    def filter_theme(self, queryset, name, value):
        if not value:
            return queryset
        ids = _resolve(value, Theme, _("主题"))
        through = Reply.themes.through
        return queryset.filter(
            Exists(through.objects.filter(reply=OuterRef("pk"), theme_id__in=ids))
        )

    def filter_genre(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(genre_entity_id__in=_resolve(value, Genre, _("体裁")))

    def filter_session(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(session_id__in=_resolve(value, Session, _("会议")))

    def filter_member(self, queryset, name, value):
        if not value:
            return queryset
        ids = _resolve(value, Member, _("委员/代表"))
        return queryset.filter(
            Exists(ReplyMember.objects.filter(reply=OuterRef("pk"), member_id__in=ids))
        )

    def filter_year(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(year__in=[int(v) for v in value])

    def clean_values(self) -> dict[str, Any]:
        """Validated parameters; raises ValidationError naming the bad parameter."""
        if not self.form.is_valid():
            raise ValidationError(
                {field: [str(e) for e in errors] for field, errors in self.form.errors.items()}
            )
        # Resolve names now so an unknown value is reported as a bad parameter, not a 500.
        errors = {}
        for facet, model, label in (
            ("theme", Theme, _("主题")),
            ("genre", Genre, _("体裁")),
            ("session", Session, _("会议")),
            ("member", Member, _("委员/代表")),
        ):
            if self.form.cleaned_data.get(facet):
                try:
                    _resolve(self.form.cleaned_data[facet], model, label)
                except ValidationError as exc:
                    errors[facet] = exc.messages
        for facet in ("agency", "lead_agency", "co_agency"):
            if self.form.cleaned_data.get(facet):
                try:
                    resolve_agencies(self.form.cleaned_data[facet])
                except ValidationError as exc:
                    errors[facet] = exc.messages
        if errors:
            raise ValidationError(errors)
        return self.form.cleaned_data

    def active_filters(self) -> dict[str, list[str]]:
        """Facet parameters with values, as they appear in the URL."""
        data = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        active = {}
        for facet in self.FACETS:
            value = data.get(facet)
            if value:
                active[facet] = [str(v) for v in value]
        return active


def has_any_filter(cleaned: dict[str, Any]) -> bool:
    return any(cleaned.get(f) for f in ReplyFilter.FACETS) or bool(
        cleaned.get("date_from") or cleaned.get("date_to")
    )
