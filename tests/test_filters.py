import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from replies.filters import FIRST_YEAR, LAST_YEAR, ReplyFilter


def _clean(query: str) -> dict:
    return ReplyFilter(QueryDict(query)).clean_values()


@pytest.mark.django_db
def test_years_are_kept_as_text_in_order_without_repeats():
    assert _clean("year=2024&year=2019&year=2024")["year"] == ["2024", "2019"]
    assert _clean("q=x")["year"] == []
    assert _clean(f"year={FIRST_YEAR}&year={LAST_YEAR}")["year"] == ["1949", "2100"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["twenty", "1948", "2101", "２０２４", "-2024", "2024.0", ""])
def test_a_year_outside_the_range_names_the_parameter_and_the_value(bad):
    # An empty value is refused as before, as the choice facets (kind) refuse it.
    with pytest.raises(ValidationError) as caught:
        _clean(f"year=2024&year={bad}")
    assert list(caught.value.message_dict) == ["year"]
    assert bad in caught.value.message_dict["year"][0]


@pytest.mark.django_db
def test_agencies_resolve_by_name_or_alias_in_order_a_name_before_an_alias():
    from replies.models import Agency, AgencyAlias, Theme

    first = Agency.objects.create(name="测试市甲局", region="测试市")
    second = Agency.objects.create(name="测试市乙局", region="测试市")
    AgencyAlias.objects.create(name="甲局", region="测试市", agency=first)
    # An alias spelled as another agency's name: the name wins.
    AgencyAlias.objects.create(name="测试市乙局", region="", agency=first)
    theme = Theme.objects.create(name="测试主题")
    filterset = ReplyFilter(QueryDict("agency=测试市乙局&agency=甲局&agency=甲局&theme=测试主题"))
    filterset.clean_values()
    assert filterset.ids["agency"] == [second.pk, first.pk]
    assert filterset.ids["theme"] == [theme.pk]
    with pytest.raises(ValidationError) as caught:
        ReplyFilter(QueryDict("agency=甲局&agency=测试市丙局")).clean_values()
    assert "测试市丙局" in caught.value.message_dict["agency"][0]
