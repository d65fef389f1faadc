"""People and agencies: members, collective proposers, addressees, signers, co-agencies."""

from __future__ import annotations

import re

from .textnorm import CJK_CLASS, is_cjk_char

# Common single-character surnames (covering well over 95% of the population) and the
# compound ones still in use. A personal name must start with one of them, which is what
# tells `对李洁委员` (name 李洁) from a three-character name.
_SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "呼延", "澹台", "万俟", "闻人", "赫连",
)  # fmt: skip

_PERSON_TITLE_RE = re.compile(r"(?:委员|代表|同志|先生|女士)(?:们)?$")
_NAME_CHARS_RE = re.compile(
    rf"^[{CJK_CLASS}]{{2,4}}$|^[{CJK_CLASS}]{{1,10}}[·•・][{CJK_CLASS}·•・]{{1,16}}$"
)
_LIST_SPLIT_RE = re.compile(r"[、，,；;/]|以及|及|和|与")
_COUNT_SUFFIX_RE = re.compile(r"等?[0-9一二三四五六七八九十两]{0,3}[位名个人]?$")

#: Vocabulary of collective proposers: democratic parties, people's organisations, party
#: committees, CPPCC committees and sector groups, NPC delegations.
_COLLECTIVE_RE = re.compile(
    r"民革|民盟|民建|民进|农工|致公|九三学社|台盟|工商联|共青团|团市委|团省委|妇联|科协|侨联|台联|青联|总工会"
    r"|中共|党组|党委|界别|小组|联组|代表团|党派|支部|政协|中央$|委会$|[省市区县州旗]委$|联合会|学会|商会|协会"
)
#: Endings of government agency names.
_AGENCY_END_RE = re.compile(
    r"(?:局|委|厅|部|办|办公室|委员会|政府|中心|院|署|处|所|站|室|馆|司|行|集团|公司|大学|学院|队|社|联|团"
    r"|会|管委会|分局|总局|银行|研究院|中央|委会|机关|厂|台|库|场|园区|管理局|事务局|监狱|总队|支队|大队|公署"
    r"|海关|协|联社|指挥部|分公司|医院|法院|检察院)$"
)
_AGENCY_CHARS_RE = re.compile(rf"^[{CJK_CLASS}（）()·]{{2,40}}$")
_GENERIC_AGENCY_RE = re.compile(
    r"^(?:有关|相关|各|其他|其它|我|本|贵|你|您)?(?:部门|单位|方面|区县|区县政府|区县部门|市级部门|成员单位|责任单位|职能部门)$"
    r"|^(?:有关|相关|各有关|各相关)"
)
_NOT_NAME_STARTS = (
    "关于",
    "对于",
    "由于",
    "鉴于",
    "基于",
    "至于",
    "属于",
    "有关",
    "相关",
    "提出",
    "办理",
    "收到",
    "来自",
)
_FUNCTION_CHARS = frozenset(
    "对由将向为与和及的是经在就据把给请于位名等收悉、，。；：（）《》“”提按从以被让使向"
)


def is_surname_start(text: str) -> bool:
    return text[:1] in _SINGLE_SURNAMES or text[:2] in _COMPOUND_SURNAMES


def is_person_name(text: str) -> bool:
    """Two to four ideographs starting with a surname, or an ethnic name with a middle dot."""
    if not _NAME_CHARS_RE.match(text):
        return False
    if "·" in text or "•" in text or "・" in text:
        return True
    return is_surname_start(text)


# A greeting to a group, not a name (各位委员, 全体代表).
_GROUP_WORDS = ("各位", "全体", "诸位", "各")
_TRANSLITERATED_NAME_RE = re.compile(rf"^[{CJK_CLASS}]{{2,6}}$")


def _is_titled_name(part: str) -> bool:
    """A part of a salutation that ends in 委员 / 代表: a person even when the name has no Han
    surname we know (次仁旺堆, 才让东智, a rare or four-byte surname) — what the title
    greets is people, unless the part is a group, an agency or a collective."""
    if part.startswith(_GROUP_WORDS):
        return False
    if is_person_name(part):
        return True
    return (
        bool(_TRANSLITERATED_NAME_RE.match(part))
        and not any(char in _FUNCTION_CHARS for char in part)
        and not is_agency_name(part)
        and not _COLLECTIVE_RE.search(part)
    )


def split_names(text: str, *, titled: bool = False) -> list[str] | None:
    """`张伟、刘芳、陈明委员` → [张伟, 刘芳, 陈明]; None when any part is not a name.

    `titled`: the text ended in 委员 / 代表, so parts without a known surname still count."""
    text = text.strip().removeprefix("尊敬的").strip()
    text = _PERSON_TITLE_RE.sub("", text)
    text = _COUNT_SUFFIX_RE.sub("", text) if re.search(r"等|\d|位|名", text[-4:]) else text
    text = text.removesuffix("等")
    names: list[str] = []
    for part in _LIST_SPLIT_RE.split(text):
        part = _PERSON_TITLE_RE.sub("", part.strip())
        part = part.removesuffix("等").strip()
        if not part:
            continue
        if not (_is_titled_name(part) if titled else is_person_name(part)):
            return None
        names.append(part)
    return names or None


# Endings no personal name has: `公安部：`, `区应急局：` greet an agency (a co-handling opinion
# is addressed to the lead agency) although 公 and 区 are surnames.
_AGENCY_ADDRESSEE_RE = re.compile(
    r"(?:局|委|厅|部|办|办公室|委员会|政府|中心|署|联|公司|集团|医院|法院|检察院|海关)$"
)


def addressee_persons(addressee: str) -> list[str] | None:
    """Names when the salutation greets individual members or deputies, else None."""
    addressee = addressee.removesuffix("：").strip()
    addressee = re.sub(r"(?:委员|代表)等[0-9一二三四五六七八九十]{0,3}[位名]?$", "委员", addressee)
    titled = bool(re.search(r"(?:委员|代表)(?:们)?$", addressee))
    if not titled and len(addressee) >= 3 and _AGENCY_ADDRESSEE_RE.search(addressee):
        return None
    if not _PERSON_TITLE_RE.search(addressee.removesuffix("：")) and not is_person_name(addressee):
        return None
    return split_names(addressee, titled=titled)


def is_collective(text: str) -> bool:
    return bool(_COLLECTIVE_RE.search(text)) and not _PERSON_TITLE_RE.search(text)


def is_agency_name(text: str) -> bool:
    """Looks like an agency's name: ideographs only, a typical ending, no sentence."""
    text = text.strip()
    return (
        bool(_AGENCY_CHARS_RE.match(text))
        and bool(_AGENCY_END_RE.search(text))
        and not text.startswith(("感谢", "此", "对", "特此", "专此", "如", "联系"))
    )


def is_government_agency(text: str) -> bool:
    """An agency (not a party, democratic party or CPPCC body): where a co-handling opinion
    is addressed."""
    return is_agency_name(text) and not is_collective(text)


def names_before_title(text: str, end: int) -> list[str]:
    """The member names that end at `end` (right before 委员 / 代表 / 等…): walk back over
    `、`-separated names, choosing for the first one the candidate that starts after a
    function character or the text start."""
    names: list[str] = []
    position = end
    segment = text[max(0, end - 60) : end]
    offset = max(0, end - 60)
    segment = _COUNT_SUFFIX_RE.sub("", segment) if re.search(r"等", segment[-5:]) else segment
    position = offset + len(segment)
    while position > offset:
        chosen = None
        for length in (3, 2, 4):
            start = position - length
            if start < offset:
                continue
            candidate = text[start:position]
            if not is_person_name(candidate) or candidate.startswith(_NOT_NAME_STARTS):
                continue
            before = text[start - 1] if start > 0 else ""
            if not before or before in _FUNCTION_CHARS or not is_cjk_char(before):
                chosen = (start, candidate)
                break
        if chosen is None:
            break
        start, candidate = chosen
        names.insert(0, candidate)
        before = text[start - 1] if start > 0 else ""
        if before in "、，,和及与":
            position = start - 1
            continue
        break
    return names


_MEMBER_MENTION_RE = re.compile(
    r"(?:等[0-9一二三四五六七八九十]{0,3}[位名]?)?(?:全国|省|市|区|县)?(?:政协|人大)?(?:委员|代表)"
    r"(?:在[^，。]{0,30}?)?(?:领衔|联名|所提|提出|提交|反映|的)"
)


def members_from_text(text: str) -> list[str]:
    """Members named in running text: `李洁委员提出的`, `张伟、刘芳等委员所提`."""
    for match in _MEMBER_MENTION_RE.finditer(text):
        names = names_before_title(text, match.start())
        if names:
            return names
    return []


_ORG_PROPOSER_RE = re.compile(
    r"((?:中国)?(?:民革|民盟|民建|民进|农工党|致公党|九三学社|台盟)[\u4e00-\u9fff]{0,12}?(?:中央|委员会|委会|市委|省委|区委|县委|支部|总支)"
    r"|(?:市|省|区|县|全国)?(?:工商联|总工会|妇联|共青团[\u4e00-\u9fff]{0,8}?委|科协|侨联|台联)"
    r"|[\u4e00-\u9fff]{2,12}?(?:界别|界)(?:小组|组)?|[\u4e00-\u9fff]{2,16}?(?:委员会|代表团|党组|小组))"
    r"(?:在[^，。]{0,30}?)?(?:领衔|联名)?(?:所提|提出|提交)"
)


def collective_from_text(text: str) -> str | None:
    match = _ORG_PROPOSER_RE.search(text)
    if not match:
        return None
    name = match.group(1)
    for marker in ("关于", "对", "由", "将", "的"):
        if marker in name:
            name = name.rsplit(marker, 1)[1]
    return name if len(name) >= 2 else None


_SIGNER_RE = re.compile(
    r"(?:经|由)(?P<name>[\u4e00-\u9fff·]{2,5}?)(?:同志)?(?:副?(?:局长|主任|厅长|部长|书记|区长|县长|市长|主席|院长|署长|司长|处长"
    r"|会长|行长|理事长|总经理|组长|秘书长|委员长|校长|队长|关长|总监|负责人))?(?:同志)?(?:审签|签发|审定|签批|审批|审核签发|审阅)"
)
_SIGNER_LABEL_RE = re.compile(
    r"(?:签发人|审签人|签发|审签|签批人)[：:]\s?(?P<name>[\u4e00-\u9fff·]{2,6})"
)
_NOT_A_SIGNER = (
    "领导",
    "负责",
    "主要",
    "分管",
    "局长",
    "主任",
    "厅长",
    "部长",
    "党组",
    "办公",
    "会议",
    "本局",
    "我局",
)


def find_signer(text: str) -> str | None:
    for regex in (_SIGNER_LABEL_RE, _SIGNER_RE):
        for match in regex.finditer(text):
            name = match.group("name")
            if any(word in name for word in _NOT_A_SIGNER):
                continue
            if is_person_name(name):
                return name
    return None


_CATEGORY_RES = (
    # `答复类别：B`, `办理类别：B`, `类别：B`: the optional prefix never decides a match, and a
    # pattern that starts with a literal is found by a fast scan instead of a try at every
    # character.
    re.compile(r"类别[：:]\s?[（(]?(?P<c>[A-Da-d])(?:类)?(?![A-Za-z])"),
    re.compile(r"[（(](?P<c>[A-Da-d])类[）)]"),
    # The letter first and the look-behind after it (`.` is the letter): a pattern that
    # starts with a look-behind is tried at every character (5× slower on a body).
    re.compile(r"(?P<c>[A-Da-d])(?<![A-Za-z].)类(?:答复|办理|提案|建议|件)"),
    re.compile(
        r"(?:答复|办理结果|办复)(?:类型|类别|结果)?(?:为|是|属于|属)[“\"]?(?P<c>[A-Da-d])(?:类)?"
    ),
)


#: Every category pattern holds the category's letter: without one, none can match, and
#: this one scan is far cheaper than the patterns', which have no literal start to skip to.
_CATEGORY_LETTER_RE = re.compile(r"[A-Da-d]")


def find_reply_category(text: str) -> str | None:
    if not _CATEGORY_LETTER_RE.search(text):
        return None
    for regex in _CATEGORY_RES:
        match = regex.search(text)
        if match:
            return match.group("c").upper()
    return None


# The opening handling statement's phrases naming co-handling agencies. Each captures the
# list lazily up to a fixed terminator, bounded in length.
_LIST = r"(?P<list>[^，。；：“”《》\s]{2,150}?)"
_CO_AGENCY_RES = (
    re.compile(
        rf"经与{_LIST}(?:进行了?)?(?:共同|认真|反复|深入|充分|多次|联合)?(?:研究|协商|会商|商议|沟通|讨论|办理|对接|协调|研商|联系|商定|磋商)"
    ),
    re.compile(
        rf"会同{_LIST}(?:进行了?)?(?:共同|认真|反复|深入|充分)?(?:研究|协商|会商|商议|沟通|讨论|办理|对接|协调|研商|调研|，)"
    ),
    re.compile(rf"经商{_LIST}(?:同意|后|并|，|。|,|；)"),
    re.compile(rf"与{_LIST}(?:共同|联合)(?:研究)?办理"),
    re.compile(rf"征求(?:了)?{_LIST}(?:的)?意见"),
    re.compile(rf"(?:主办|牵头)[，,]{_LIST}(?:协办|会办|配合)"),
)
_TRAILING_ETC_RE = re.compile(
    r"(?:等(?:有关|相关)?(?:部门|单位|机构|方面)?|(?:有关|相关)(?:部门|单位))$"
)


_RUN_ON_RE = re.compile(r"针对|围绕|对|就|按照|根据|结合|认真|共同|进行|的")


def split_agencies(text: str) -> list[str]:
    """Split a list of agencies on 、，和 及 以及, but split on 和/及 only where the left
    part is a complete agency name (`工业和信息化部` stays whole)."""
    text = _TRAILING_ETC_RE.sub("", text.strip())
    parts: list[str] = []
    for chunk in re.split(r"[、，,；;]|以及", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        pieces = [chunk]
        for conjunction in ("和", "及", "与"):
            next_pieces: list[str] = []
            for piece in pieces:
                pending = piece
                while True:
                    index = pending.find(conjunction)
                    found = False
                    while index > 0:
                        left = pending[:index]
                        if is_agency_name(left) and len(pending) - index > 2:
                            next_pieces.append(left)
                            pending = pending[index + 1 :]
                            found = True
                            break
                        index = pending.find(conjunction, index + 1)
                    if not found:
                        break
                next_pieces.append(pending)
            pieces = next_pieces
        parts.extend(pieces)
    cleaned: list[str] = []
    for part in parts:
        part = _TRAILING_ETC_RE.sub("", part.removeprefix("了").strip())
        if not is_agency_name(part):
            # `会同市财政局对您的建议进行了研究`: the list ran on into the sentence.
            head = _RUN_ON_RE.split(part, 1)[0]
            if head != part and is_agency_name(head):
                part = head
            elif len(part) > 12 or _RUN_ON_RE.search(part):
                continue
        if not part or len(part) < 2 or _GENERIC_AGENCY_RE.match(part):
            continue
        if part.startswith(("我", "本", "贵", "你", "您")) and len(part) <= 3:
            continue
        cleaned.append(part)
    return cleaned


def find_co_agencies(opening: str) -> list[str]:
    """Agencies named in the opening handling statement, in order of appearance."""
    found: list[tuple[int, str]] = []
    for regex in _CO_AGENCY_RES:
        for match in regex.finditer(opening):
            for name in split_agencies(match.group("list")):
                found.append((match.start("list"), name))
    found.sort(key=lambda item: item[0])
    result: list[str] = []
    for _, name in found:
        if name not in result:
            result.append(name)
    return result
