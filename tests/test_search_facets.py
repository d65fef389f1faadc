"""Disjunctive facets checked against counts computed here, in Python, from the search entries.

Over a few hundred generated replies (the benchmark's generator: many agencies, themes,
years and members), each facet with a selection must count the match under every *other*
selection, and every other facet the match under all of them — for one, two and three
selected facets, which the engine computes in different ways."""

from collections import Counter

import pytest
from django.http import QueryDict
from django.test import Client

from benchmarks import generate as gen
from replies import search
from replies.ingest import Context, ingest_many
from replies.models import Agency, Member, SearchEntry, Theme
from replies.search import FACET_SIZE, count_and_ids, run_search


@pytest.fixture
def corpus(db):
    outcomes = list(
        ingest_many(((d.filename, d.data) for d in gen.generate(240, seed=7)), Context())
    )
    assert all(o.ok for o in outcomes)


def _params(query: str, selections: dict[str, list[str]]) -> QueryDict:
    params = QueryDict(mutable=True)
    params["q"] = query
    for key, values in selections.items():
        params.setlist(key, values)
    return params


def _values(entry: SearchEntry, facet: str) -> list[str]:
    """The facet values of one entry, named as the facet lists them."""
    if facet == "year":
        return [str(entry.year)] if entry.year else []
    if facet == "kind":
        return [entry.kind] if entry.kind else []
    if facet == "agency":
        return [AGENCY_NAMES[i] for i in entry.agency_ids]
    if facet == "co_agency":
        return [AGENCY_NAMES[i] for i in entry.co_agency_ids]
    if facet == "theme":
        return [THEME_NAMES[i] for i in entry.theme_ids]
    if facet == "member":
        return [MEMBER_LABELS[i] for i in entry.member_ids]
    raise AssertionError(facet)


AGENCY_NAMES: dict[int, str] = {}
THEME_NAMES: dict[int, str] = {}
MEMBER_LABELS: dict[int, str] = {}
CHECKED = ("year", "kind", "agency", "co_agency", "theme", "member")


def _group(facet: str) -> str:
    # Agency, lead agency and co-handling agency are one facet seen three ways.
    return "agency" if facet in ("agency", "lead_agency", "co_agency") else facet


def _expected(entries: list[SearchEntry], selections: dict[str, list[str]], facet: str) -> Counter:
    """Counts of `facet` over the entries matching every selection but its own facet's."""
    counts: Counter = Counter()
    for entry in entries:
        if all(
            set(_values(entry, other)) & set(chosen)
            for other, chosen in selections.items()
            if _group(other) != _group(facet)
        ):
            counts.update(set(_values(entry, facet)))
    return counts


@pytest.mark.usefixtures("corpus")
def test_disjunctive_facets_match_counts_computed_by_hand(monkeypatch):
    # One corpus for the three cases: ingesting it is most of the test's time.
    for selected in [("year",), ("year", "theme"), ("year", "theme", "agency")]:
        _check_facets(selected)
    _check_rare_selection_is_counted()
    _check_every_facet_can_be_selected()
    assert not run_search(_params("工作", {})).facets_approximate
    _check_large_matches_are_sampled(monkeypatch)


def _sampled(ids: list[int], size: int) -> set[int]:
    """The entries a set of `len(ids)` matches counts its facets over, for FACET_SAMPLE=size:
    those whose id hashes to 0 modulo len(ids) // size + 1 (PostgreSQL's hashint8)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) id"
            " WHERE (hashint8(id) & 2147483647) %% (%s / %s + 1) = 0",
            [ids, len(ids), size],
        )
        return {row[0] for row in cursor.fetchall()}


def _check_large_matches_are_sampled(monkeypatch) -> None:
    # A match larger than FACET_SAMPLE counts facets over a sample, scaled up and marked; a
    # selected facet's own set is sampled by its own size.
    monkeypatch.setattr(search, "FACET_SAMPLE", 40)
    query = "工作"
    _, ids = count_and_ids(_params(query, {}), limit=10_000)
    entries = {e.reply_id: e for e in SearchEntry.objects.filter(reply_id__in=list(ids))}
    year = Counter(e.year for e in entries.values()).most_common(1)[0][0]
    in_year = [i for i, e in entries.items() if e.year == year]
    assert len(in_year) > 40
    results = run_search(_params(query, {"year": [str(year)]}))
    assert results.facets_approximate
    assert results.count == len(in_year)  # the count itself is never estimated
    for facet, over in (("theme", in_year), ("kind", in_year), ("year", list(entries))):
        sample = _sampled(over, 40)
        assert 0 < len(sample) < len(over)
        counted = Counter(v for i in sample for v in _values(entries[i], facet))
        shown = {item.value: item for item in results.facets[facet]}
        assert shown, facet
        for value, item in shown.items():
            if facet == "year" and value == str(year):
                # The only selected value: exactly the results, whatever the sample says.
                assert (item.count, item.approximate) == (len(in_year), False)
                continue
            assert item.approximate, (facet, value)
            assert item.count == round(counted[value] * len(over) / len(sample)), (facet, value)
    body = Client().get("/search/", {"q": query, "year": str(year)}).content.decode()
    assert "≈" in body and "抽样" in body
    api = Client().get("/api/search", {"q": query, "year": str(year)}).json()
    assert api["facets_approximate"] is True
    assert all(item["approximate"] for item in api["facets"]["theme"])


def _check_every_facet_can_be_selected() -> None:
    # Each facet alone and beside another: the sets a selection gets hold what it counts.
    query = "工作"
    facets = run_search(_params(query, {})).facets
    chosen = {name: [values[0].value] for name, values in facets.items() if values}
    assert set(chosen) >= {"agency", "lead_agency", "co_agency", "theme", "kind", "year", "member"}
    for name, values in chosen.items():
        for extra in ({}, {"year": chosen["year"]} if name != "year" else {"kind": chosen["kind"]}):
            results = run_search(_params(query, {name: values, **extra}))
            shown = {item.value: item for item in results.facets[name]}
            assert shown[values[0]].selected, (name, extra)
            # Alone, a facet is counted over the whole match, where the value was listed.
            assert extra or shown[values[0]].count == facets[name][0].count, name


def _check_rare_selection_is_counted() -> None:
    # A selected agency far down the facet (not among the values it would show) is still
    # listed, with its count among the matches.
    query = "工作"
    _, ids = count_and_ids(_params(query, {}), limit=10_000)
    entries = list(SearchEntry.objects.filter(reply_id__in=list(ids)))
    year = Counter(e.year for e in entries).most_common(1)[0][0]
    in_year = [e for e in entries if e.year == year]
    ranked = Counter(v for e in in_year for v in _values(e, "agency")).most_common()
    assert len(ranked) > FACET_SIZE + 5
    rare, rare_count = ranked[-1]
    results = run_search(_params(query, {"agency": [rare], "year": [str(year)]}))
    shown = {item.value: (item.count, item.selected) for item in results.facets["agency"]}
    assert shown[rare] == (rare_count, True)
    assert len(shown) == FACET_SIZE + 1


def _check_facets(selected: tuple[str, ...]) -> None:
    AGENCY_NAMES.update(Agency.objects.values_list("id", "name"))
    THEME_NAMES.update(Theme.objects.values_list("id", "name"))
    MEMBER_LABELS.update(Member.objects.values_list("id", "label"))
    query = "工作"
    total, ids = count_and_ids(_params(query, {}), limit=10_000)
    entries = list(SearchEntry.objects.filter(reply_id__in=list(ids)))
    assert len(entries) == total > 100

    # The most frequent values overall; the last facet takes the most frequent value among
    # what the others leave for which every facet's own set is larger than the match under
    # all of them (so that counting a facet over the wrong set shows).
    def matching(chosen: dict[str, list[str]], skip: str = "") -> list[SearchEntry]:
        return [
            e
            for e in entries
            if all(set(_values(e, f)) & set(v) for f, v in chosen.items() if f != skip)
        ]

    selections: dict[str, list[str]] = {}
    for facet in selected[:-1]:
        common = Counter(v for e in entries for v in _values(e, facet)).most_common(2)
        selections[facet] = [common[0][0]] if facet != "year" else [common[0][0], common[1][0]]
    last = selected[-1]
    for value, _count in Counter(
        v for e in matching(selections) for v in _values(e, last)
    ).most_common():
        chosen = {**selections, last: [value]}
        size = len(matching(chosen))
        if size and all(len(matching(chosen, skip=f)) > size for f in selected):
            selections = chosen
            break
    else:
        if len(selected) > 1:
            raise AssertionError("no selection with overlapping sets in the generated corpus")
        selections[last] = [
            Counter(v for e in entries for v in _values(e, last)).most_common(1)[0][0]
        ]

    results = run_search(_params(query, selections))

    matching_all = [
        e for e in entries if all(set(_values(e, f)) & set(v) for f, v in selections.items())
    ]
    assert results.count == len(matching_all) > 0
    for facet in CHECKED:
        expected = _expected(entries, selections, facet)
        shown = {item.value: item.count for item in results.facets[facet]}
        assert shown, (selected, facet)
        for value, count in shown.items():
            assert count == expected[value], (selected, facet, value)
        # The values shown are the most frequent ones (years are listed newest first), with
        # the selected values always among them.
        chosen = set(selections.get(facet, []))
        if len(expected) <= FACET_SIZE:
            assert set(shown) == set(expected) | chosen, facet
        elif facet != "year":
            floor = min(count for value, count in shown.items() if value not in chosen)
            assert sum(1 for c in expected.values() if c > floor) < FACET_SIZE, facet
        for value in selections.get(facet, []):
            assert shown[value] == expected[value] and value in shown


def test_values_sharing_a_short_name_are_labelled_by_their_full_names():
    from replies.search import _shape_facets

    rows = [
        ("agency", "重庆市科学技术局", "市科技局", 661),
        ("agency", "广州市科学技术局", "市科技局", 147),
        ("agency", "重庆市民政局", "市民政局", 641),
    ]
    labels = {item.value: item.label for item in _shape_facets(rows, {})["agency"]}
    assert labels == {
        "重庆市科学技术局": "重庆市科学技术局",
        "广州市科学技术局": "广州市科学技术局",
        "重庆市民政局": "市民政局",
    }
