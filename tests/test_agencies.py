import pytest

from replies.agencies import AgencyResolver, level_of, region_of
from replies.models import Agency, AgencyAlias


@pytest.mark.parametrize(
    ("name", "region", "level"),
    [
        ("重庆市科学技术局", "重庆市", "provincial"),
        ("重庆市渝中区教育委员会", "重庆市渝中区", "district"),
        ("上海市浦东新区人民政府", "上海市浦东新区", "district"),
        ("广东省教育厅", "广东省", "provincial"),
        ("浙江省杭州市教育局", "浙江省杭州市", "city"),
        ("重庆市市场监督管理局", "重庆市", "provincial"),
        ("科学技术部", "", "national"),
        ("市科技局", "", ""),
    ],
)
def test_region_and_level_of_full_names(name, region, level):
    assert region_of(name) == region
    assert level_of(name, region_of(name)) == level


@pytest.mark.django_db
def test_seeded_aliases_resolve_to_canonical_agencies():
    resolver = AgencyResolver()
    assert resolver.find("市科技局", "重庆市").name == "重庆市科学技术局"
    assert resolver.find("市人力社保局", "重庆市").name == "重庆市人力资源和社会保障局"
    assert resolver.find("市国资委", "重庆市渝中区").name == "重庆市人民政府国有资产监督管理委员会"
    assert resolver.find("科技部").name == "科学技术部"
    assert resolver.find("重庆市科学技术局").name == "重庆市科学技术局"
    chongqing = resolver.find("市科技局", "重庆市")
    assert (
        set(resolver.aliases_of(chongqing))
        == set(AgencyAlias.objects.filter(agency=chongqing).values_list("name", flat=True))
        >= {"市科技局"}
    )


@pytest.mark.django_db
def test_short_names_are_read_in_their_region():
    resolver = AgencyResolver()
    # A Shanghai reply's 市科技局 is not Chongqing's.
    assert resolver.find("市科技局", "上海市") is None
    shanghai = resolver.resolve("市科技局", "上海市")
    assert shanghai.name == "上海市科技局"
    assert shanghai.needs_review
    assert shanghai.level == "provincial"
    assert AgencyAlias.objects.get(name="市科技局", region="上海市").agency == shanghai
    assert resolver.aliases_of(shanghai) == ["市科技局"]
    # The next reply finds it without creating another.
    assert AgencyResolver().find("市科技局", "上海市") == shanghai
    assert Agency.objects.filter(name="上海市科技局").count() == 1


@pytest.mark.django_db
def test_unknown_short_name_expands_with_the_region():
    resolver = AgencyResolver()
    agency = resolver.resolve("区教委", "重庆市渝中区")
    assert agency.name == "重庆市渝中区教委"
    assert agency.level == "district"
    assert agency.region == "重庆市渝中区"
