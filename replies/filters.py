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
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Agency, AgencyAlias, Genre, Kind, Member, Reply, Session, Theme
from .search import AGENCY_FACETS

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


FIRST_YEAR, LAST_YEAR = 1949, 2100


class YearsField(forms.Field):
    """Repeated years (`?year=2023&year=2024`), as text, from FIRST_YEAR to LAST_YEAR.

    A range, not a choice list: every search builds the filter set's form, and a
    152-choice field was deep-copied and normalised each time (building and validating
    the filter set: 4.5 → 2.1 ms of CPU, measured)."""

    widget = forms.SelectMultiple
    default_error_messages = {
        "invalid_choice": forms.MultipleChoiceField.default_error_messages["invalid_choice"],
        "invalid_list": forms.MultipleChoiceField.default_error_messages["invalid_list"],
    }

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        years = list(dict.fromkeys(str(v) for v in value))
        for year in years:
            if not (year.isascii() and year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": year},
                )
        return years


class YearsFilter(django_filters.Filter):
    field_class = YearsField


def _ids_by_name(sql: str, names: list[str]) -> list[tuple[str, int]]:
    # Raw SQL: these run on every filtered search, and compiling their ORM queries cost more
    # than running them.
    with connection.cursor() as cursor:
        cursor.execute(sql, {"names": names})
        return cursor.fetchall()


def _resolve(names: list[str], model: type, label: str) -> list[int]:
    table = connection.ops.quote_name(model._meta.db_table)
    found = dict(_ids_by_name(f"SELECT name, id FROM {table} WHERE name = ANY(%(names)s)", names))
    missing = [name for name in names if name not in found]
    if missing:
        raise ValidationError(
            _("未知的%(what)s：%(names)s") % {"what": label, "names": "、".join(missing)}
        )
    return [found[name] for name in names]


def resolve_labelled(names: list[str], model: type, label: str) -> list[int]:
    """Sessions and members by their label (`市十六届人大二次会议（北京市）`) or bare name (every
    session or member of that name)."""
    rows = list(
        model.objects.filter(Q(label__in=names) | Q(name__in=names)).values_list(
            "id", "label", "name"
        )
    )
    known = {row[1] for row in rows} | {row[2] for row in rows}
    missing = [name for name in names if name not in known]
    if missing:
        raise ValidationError(
            _("未知的%(what)s：%(names)s") % {"what": label, "names": "、".join(missing)}
        )
    return [row[0] for row in rows]


def resolve_agencies(names: list[str]) -> list[int]:
    """Canonical names or aliases → agency ids; unknown names are an error. A canonical name
    wins over an alias of the same spelling."""
    quote = connection.ops.quote_name
    rows = _ids_by_name(
        f"SELECT name, id FROM (SELECT name, id, 0 AS alias FROM {quote(Agency._meta.db_table)}"
        f" WHERE name = ANY(%(names)s) UNION ALL SELECT name, agency_id, 1"
        f" FROM {quote(AgencyAlias._meta.db_table)} WHERE name = ANY(%(names)s)) found"
        " ORDER BY alias, name",
        names,
    )
    ids: dict[str, int] = {}
    for name, agency_id in rows:
        ids.setdefault(name, agency_id)
    missing = [name for name in names if name not in ids]
    if missing:
        raise ValidationError(_("未知的机构：%(names)s") % {"names": "、".join(missing)})
    return list(dict.fromkeys(ids[name] for name in names))


def canonical_agency_parameters(params) -> Any:
    """A copy of `params` (a QueryDict) with each agency named by an alias renamed to its
    canonical name, or None when there is nothing to rename. The search page redirects
    there, so that the facet lists the agency as selected (facets list canonical names) and
    the link that removes it works. An alias of several agencies is left as it is."""
    names = {name for facet in AGENCY_FACETS for name in params.getlist(facet)}
    if not names:
        return None
    canonical = set(Agency.objects.filter(name__in=names).values_list("name", flat=True))
    targets: dict[str, set[str]] = {}
    for alias, agency_name in AgencyAlias.objects.filter(name__in=names - canonical).values_list(
        "name", "agency__name"
    ):
        targets.setdefault(alias, set()).add(agency_name)
    renames = {alias: agencies.pop() for alias, agencies in targets.items() if len(agencies) == 1}
    if not renames:
        return None
    renamed = params.copy()
    for facet in AGENCY_FACETS:
        values = params.getlist(facet)
        if values:
            renamed.setlist(facet, list(dict.fromkeys(renames.get(v, v) for v in values)))
    return renamed


def _no_orm_filtering(queryset: QuerySet, name: str, value: Any) -> QuerySet:
    # Search runs in SQL over SearchEntry (see ReplyFilter.conditions); the FilterSet defines
    # and validates the parameters.
    return queryset


class ReplyFilter(django_filters.FilterSet):
    """The search parameters: their form, their validation (a bad value is a ValidationError
    naming the parameter), the names resolved to ids, and the SQL conditions they mean on the
    search entry `e` (replies_searchentry)."""

    q = django_filters.CharFilter(method=_no_orm_filtering, max_length=200, label=_("检索词"))
    title_only = django_filters.BooleanFilter(
        method=_no_orm_filtering, widget=forms.CheckboxInput, label=_("仅检索标题")
    )
    sort = django_filters.ChoiceFilter(
        method=_no_orm_filtering,
        choices=[("relevance", _("相关度")), ("newest", _("最新")), ("oldest", _("最早"))],
        empty_label=None,
        label=_("排序"),
    )
    page = django_filters.NumberFilter(method=_no_orm_filtering, min_value=1, max_value=MAX_PAGE)
    agency = NamesFilter(method=_no_orm_filtering, label=_("机构（任意角色）"))
    lead_agency = NamesFilter(method=_no_orm_filtering, label=_("主办单位"))
    co_agency = NamesFilter(method=_no_orm_filtering, label=_("协办单位"))
    theme = NamesFilter(method=_no_orm_filtering, label=_("主题分类"))
    genre = NamesFilter(method=_no_orm_filtering, label=_("体裁分类"))
    kind = django_filters.MultipleChoiceFilter(
        method=_no_orm_filtering, choices=Kind.choices, label=_("类型")
    )
    session = NamesFilter(method=_no_orm_filtering, label=_("会议"))
    year = YearsFilter(method=_no_orm_filtering, label=_("年份"))
    member = NamesFilter(method=_no_orm_filtering, label=_("委员/代表"))
    reply_category = django_filters.MultipleChoiceFilter(
        method=_no_orm_filtering, choices=[(c, c) for c in "ABCD"], label=_("答复类别")
    )
    date_from = django_filters.DateFilter(method=_no_orm_filtering, label=_("起始日期"))
    date_to = django_filters.DateFilter(method=_no_orm_filtering, label=_("截止日期"))

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
    #: Facets named by name in the URL, and how their names become ids.
    _RESOLVERS = {
        "agency": lambda names: resolve_agencies(names),
        "lead_agency": lambda names: resolve_agencies(names),
        "co_agency": lambda names: resolve_agencies(names),
        "theme": lambda names: _resolve(names, Theme, _("主题")),
        "genre": lambda names: _resolve(names, Genre, _("体裁")),
        "session": lambda names: resolve_labelled(names, Session, _("会议")),
        "member": lambda names: resolve_labelled(names, Member, _("委员/代表")),
    }

    class Meta:
        model = Reply
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        kwargs["queryset"] = Reply.objects.published()
        super().__init__(data, *args, **kwargs)
        self.ids: dict[str, list[int]] = {}

    def clean_values(self) -> dict[str, Any]:
        """Validated parameters, with every name resolved to ids (in `self.ids`); raises a
        ValidationError naming each bad parameter."""
        if not self.form.is_valid():
            raise ValidationError(
                {field: [str(e) for e in errors] for field, errors in self.form.errors.items()}
            )
        errors = {}
        for facet, resolve in self._RESOLVERS.items():
            names = self.form.cleaned_data.get(facet)
            if names:
                try:
                    self.ids[facet] = resolve(names)
                except ValidationError as exc:
                    errors[facet] = exc.messages
        if errors:
            raise ValidationError(errors)
        return self.form.cleaned_data

    #: Each facet parameter as a condition on the search entry `e`.
    _ENTRY_CONDITIONS = (
        ("agency", "e.agency_ids", "overlaps"),
        ("lead_agency", "e.lead_agency_id", "any"),
        ("co_agency", "e.co_agency_ids", "overlaps"),
        ("theme", "e.theme_ids", "overlaps"),
        ("member", "e.member_ids", "overlaps"),
        ("session", "e.session_id", "any"),
        ("genre", "e.genre_id", "any"),
        ("kind", "e.kind", "any"),
        ("year", "e.year", "any"),
        ("reply_category", "e.reply_category", "any"),
    )

    def conditions(self, *, without: tuple[str, ...] = ()) -> tuple[str, list]:
        """SQL conditions on the search entry `e` for every filter except those in `without`
        (facet counting leaves a facet's own selection out). Call clean_values() first."""
        sql, params = self.base_conditions()
        parts = [sql]
        for facet, condition, values in self.facet_conditions():
            if facet not in without:
                parts.append(condition)
                params.append(values)
        return " AND ".join(parts), params

    def base_conditions(self) -> tuple[str, list]:
        """The conditions that are not facets (published, date range): never left out."""
        data = self.form.cleaned_data
        sql: list[str] = ["e.published"]
        params: list = []
        if data.get("date_from"):
            sql.append("e.sort_date >= %s")
            params.append(data["date_from"])
        if data.get("date_to"):
            sql.append("e.sort_date <= %s")
            params.append(data["date_to"])
        return " AND ".join(sql), params

    def facet_conditions(self) -> list[tuple[str, str, list]]:
        """(facet, SQL condition with one placeholder, its value) for each selected facet."""
        data = self.form.cleaned_data
        out = []
        for facet, column, operator in self._ENTRY_CONDITIONS:
            values = self.ids.get(facet) if facet in self._RESOLVERS else data.get(facet)
            if not values:
                continue
            if facet == "year":
                values = [int(year) for year in values]
            # Array columns match when they share any selected id; scalars when equal to one.
            condition = (
                f"{column} && %s::bigint[]" if operator == "overlaps" else f"{column} = ANY(%s)"
            )
            out.append((facet, condition, list(values)))
        return out

    def active_filters(self) -> dict[str, list[str]]:
        """Facet parameters with values, as they appear in the URL."""
        data = self.form.cleaned_data if hasattr(self.form, "cleaned_data") else {}
        active = {}
        for facet in self.FACETS:
            value = data.get(facet)
            if value:
                active[facet] = [str(v) for v in value]
        return active
