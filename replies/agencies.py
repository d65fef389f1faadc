"""Resolve agency names as written (`市科技局`, `科技部`, `重庆市科学技术局`) to canonical agencies.

Short names are only meaningful within a region: `市科技局` in a Chongqing reply is the
重庆市科学技术局, in a Shanghai reply another bureau. Aliases therefore carry the region they
apply in (empty for national names), and a reply's region comes from its own agency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import Agency, AgencyAlias

MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")

_REGION_RE = re.compile(
    r"^(?:中共|共青团|国家税务总局)?"
    r"(?P<province>[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?"
    r"(?P<city>(?<=[省区])[\u4e00-\u9fff]{2,6}?(?:市|自治州|地区|盟))?"
    r"(?P<district>[\u4e00-\u9fff]{1,6}?(?:新区|区|县|自治县|旗))?"
)
_DISTRICT_OK = re.compile(r"^[\u4e00-\u9fff]{1,6}(?:新区|区|县|自治县|旗)$")
_NOT_DISTRICT = re.compile(r"(?:社区|园区|小区|景区|片区|城区|自贸区|保税区|示范区|开发区)$")


def clean_name(name: str) -> str:
    return re.sub(r"\s+", "", name or "").strip("：:，,。 ")


def region_of(full_name: str) -> str:
    """The administrative region a full agency name starts with (`重庆市渝中区教育委员会` →
    `重庆市渝中区`); empty for national bodies and short names."""
    match = _REGION_RE.match(full_name)
    if not match or not (match.group("province") or match.group("city")):
        return ""
    region = (match.group("province") or "") + (match.group("city") or "")
    district = match.group("district")
    # 社区, 园区 and the like are not districts; a district name is short and stands alone.
    rest = full_name[len(region) :]
    if (
        district
        and _DISTRICT_OK.match(district)
        and not _NOT_DISTRICT.search(district)
        and len(rest) > len(district)
    ):
        region += district
    return region


def level_of(full_name: str, region: str) -> str:
    if not region:
        # A short name (`市财政局`) without a region says nothing about its level.
        return Agency.Level.NATIONAL if full_name and full_name[0] not in "省市区县" else ""
    if re.search(r"(?:区|县|旗)$", region):
        return Agency.Level.DISTRICT
    if region in MUNICIPALITIES or re.search(r"(?:省|自治区|特别行政区)$", region):
        return Agency.Level.PROVINCIAL
    return Agency.Level.CITY


@dataclass
class AgencyResolver:
    """Per-run cache over agencies and aliases; creates unknown agencies for review."""

    by_name: dict[str, Agency] = field(default_factory=dict)
    by_alias: dict[tuple[str, str], Agency] = field(default_factory=dict)
    loaded: bool = False
    created: list[Agency] = field(default_factory=list)
    # by_alias read backwards: every reply's search text lists its agencies' aliases.
    _aliases: dict[int, list[str]] = field(default_factory=dict, init=False, repr=False)

    def load(self) -> None:
        self.by_name = {agency.name: agency for agency in Agency.objects.all()}
        self.by_alias = {}
        self._aliases = {}
        for alias in AgencyAlias.objects.select_related("agency"):
            self._add_alias(alias.name, alias.region, self.by_name[alias.agency.name])
        self.loaded = True

    def _add_alias(self, name: str, region: str, agency: Agency) -> None:
        self.by_alias[(name, region)] = agency
        self._aliases.setdefault(agency.pk, []).append(name)

    def aliases_of(self, agency: Agency) -> list[str]:
        return list(self._aliases.get(agency.pk, ()))

    def find(self, name: str, region: str = "") -> Agency | None:
        """An existing agency for `name` read in `region`, or None."""
        if not self.loaded:
            self.load()
        name = clean_name(name)
        if not name:
            return None
        if name in self.by_name:
            return self.by_name[name]
        for scope in _scopes(region):
            if (name, scope) in self.by_alias:
                return self.by_alias[(name, scope)]
        expanded = _expand(name, region)
        if expanded and expanded in self.by_name:
            return self.by_name[expanded]
        return None

    def resolve(self, name: str, region: str = "") -> Agency | None:
        """Like `find`, but an unknown name becomes a new agency flagged for review, with the
        name as written kept as an alias so the next reply finds it."""
        agency = self.find(name, region)
        if agency is not None or not clean_name(name):
            return agency
        name = clean_name(name)
        full_name = _expand(name, region) or name
        own_region = region_of(full_name)
        agency, _ = Agency.objects.get_or_create(
            name=full_name,
            defaults={
                "level": level_of(full_name, own_region),
                "region": own_region,
                "needs_review": True,
            },
        )
        self.by_name[agency.name] = agency
        if name != full_name:
            alias_region = region if name[0] in "省市区县" else ""
            AgencyAlias.objects.get_or_create(
                name=name, region=alias_region, defaults={"agency": agency}
            )
            self._add_alias(name, alias_region, agency)
        self.created.append(agency)
        return agency


def _scopes(region: str) -> list[str]:
    """The alias scopes to try, most specific first: `重庆市渝中区`, `重庆市`, ``."""
    scopes = [region] if region else []
    match = _REGION_RE.match(region)
    if match:
        province = match.group("province") or ""
        city = match.group("city") or ""
        for scope in (province + city, province):
            if scope and scope not in scopes:
                scopes.append(scope)
    scopes.append("")
    return scopes


def _expand(name: str, region: str) -> str | None:
    """`市财政局` in region `重庆市` → `重庆市财政局`; `区教委` in `重庆市渝中区` → `重庆市渝中区教委`."""
    if not region or len(name) < 3:
        return None
    if name[0] == "市":
        match = _REGION_RE.match(region)
        city = match.group("city") if match else None
        if city:
            return region[: region.index(city) + len(city)] + name[1:]
        province = match.group("province") if match else None
        if province in MUNICIPALITIES:
            return province + name[1:]
        return None
    if name[0] in "区县" and region[-1] in "区县旗":
        return region + name[1:]
    if name[0] == "省":
        match = _REGION_RE.match(region)
        province = match.group("province") if match else None
        if province and province.endswith("省"):
            return province + name[1:]
    return None


def seed_agencies(agency_model, alias_model, entries) -> None:
    """Add the canonical agencies and aliases in `entries` that are missing (idempotent)."""
    for name, level, region, aliases in entries:
        agency, _ = agency_model.objects.get_or_create(
            name=name, defaults={"level": level, "region": region}
        )
        shorter = [alias for alias in aliases if len(alias) < len(name)]
        if shorter and not agency.short_name:
            agency.short_name = shorter[0]
            agency.save(update_fields=["short_name"])
        for alias in aliases:
            alias_region = region if alias[0] in "省市区县团" else ""
            alias_model.objects.get_or_create(
                name=alias, region=alias_region, defaults={"agency": agency}
            )
