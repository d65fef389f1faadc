"""The archive's data model: replies and what links them.

Contract values (see docs/parsed-reply.md) keep the contract's names on `Reply`; as-written
strings are kept beside the canonical links so nothing the source said is lost.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .sections import unpack_sections


class Kind(models.TextChoices):
    PROPOSAL = "proposal", _("政协提案")
    SUGGESTION = "suggestion", _("人大建议")


class Role(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class Agency(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级（含直辖市）")
        CITY = "city", _("地市级")
        DISTRICT = "district", _("区县级")

    name = models.CharField(_("规范全称"), max_length=200, unique=True)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    level = models.CharField(_("层级"), max_length=20, choices=Level.choices, blank=True)
    region = models.CharField(_("地区"), max_length=50, blank=True)
    #: Created automatically from a name no alias matched; a clerk should confirm or merge it.
    needs_review = models.BooleanField(_("待核实"), default=False)

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("agency", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class AgencyAlias(models.Model):
    """Another name for an agency. Short names such as `市科技局` only mean one agency within a
    region, so an alias carries the region it applies in (empty: everywhere)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("别名"), max_length=200)
    region = models.CharField(_("适用地区"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("机构别名")
        verbose_name_plural = _("机构别名")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="agencyalias_unique_in_region")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.agency.name}"


def regional_label(name: str, region: str) -> str:
    """`市十六届人大二次会议` in 北京市 → `市十六届人大二次会议（北京市）`; a name that already
    says where it is, or a national one, stays as it is."""
    if not region or name.startswith(region):
        return name
    return f"{name}（{region}）"


class Member(models.Model):
    """A CPPCC member (委员) or people's congress deputy (代表), known by name within the body
    (region) that raised the proposal: two 张伟 of different provinces are two members."""

    name = models.CharField(_("姓名"), max_length=50)
    region = models.CharField(_("地区"), max_length=50, blank=True)
    label = models.CharField(_("名称"), max_length=120, unique=True, editable=False)

    class Meta:
        verbose_name = _("委员/代表")
        verbose_name_plural = _("委员/代表")
        ordering = ["name", "region"]
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="member_unique_in_region")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.label = regional_label(self.name, self.region)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("member", args=[self.pk])


class Session(models.Model):
    """A meeting at which proposals were raised, named as the documents write it. Names such as
    `市十六届人大二次会议` recur in every city, so a session is a name within a region."""

    name = models.CharField(_("会议"), max_length=100)
    region = models.CharField(_("地区"), max_length=50, blank=True)
    label = models.CharField(_("名称"), max_length=160, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, blank=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["name", "region"]
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="session_unique_in_region")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.label = regional_label(self.name, self.region)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("session", args=[self.pk])


class Proposal(models.Model):
    # Indexed by proposal_unique_number, which leads with it.
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="proposals", db_index=False
    )
    number = models.CharField(_("编号"), max_length=30)
    title = models.CharField(_("提案/建议标题"), max_length=500, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, blank=True)
    proposer_org = models.CharField(_("集体提出者"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("提案/建议")
        verbose_name_plural = _("提案/建议")
        ordering = ["session__label", "number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="proposal_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.session.label}第{self.number}号"

    def get_absolute_url(self) -> str:
        return reverse("proposal", args=[self.pk])


class Theme(models.Model):
    name = models.CharField(_("主题"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("主题分类")
        verbose_name_plural = _("主题分类")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("theme", args=[self.pk])


class Genre(models.Model):
    name = models.CharField(_("体裁"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("体裁分类")
        verbose_name_plural = _("体裁分类")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CitedDocument(models.Model):
    """A document cited as 《title》 by one or more replies, identified by its title."""

    title = models.CharField(_("文件名称"), max_length=500, unique=True)
    doc_no = models.CharField(_("文号"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("引用文件")
        verbose_name_plural = _("引用文件")
        ordering = ["title"]

    def __str__(self) -> str:
        return f"《{self.title}》" + (f"（{self.doc_no}）" if self.doc_no else "")


class ReplyQuerySet(models.QuerySet):
    def published(self) -> ReplyQuerySet:
        return self.filter(status=Reply.Status.PUBLISHED)


class Reply(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    # Indexed by reply_status_sort, which leads with it.
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )

    # Contract values, as the (possibly corrected) current revision says them.
    # NULL, not "", for "the document has none": the unique constraint must ignore absences.
    index_no = models.CharField(_("索引号"), max_length=100, null=True, blank=True)  # noqa: DJ001
    doc_no = models.CharField(_("发文字号"), max_length=100, blank=True)
    title = models.CharField(_("标题"), max_length=500)
    theme = models.CharField(_("主题分类"), max_length=200, blank=True)
    genre = models.CharField(_("体裁分类"), max_length=100, blank=True)
    publisher = models.CharField(_("发布机构"), max_length=200, blank=True)
    written_date = models.DateField(_("成文日期"), null=True, blank=True)
    published_date = models.DateField(_("发布日期"), null=True, blank=True)
    signed_date = models.DateField(_("落款日期"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, blank=True)
    session_name = models.CharField(_("会议（原文）"), max_length=100, blank=True)
    proposal_number = models.CharField(_("提案/建议编号"), max_length=30, blank=True)
    proposal_title = models.CharField(_("提案/建议标题"), max_length=500, blank=True)
    member_names = ArrayField(
        models.CharField(max_length=50),
        verbose_name=_("委员/代表（原文）"),
        default=list,
        blank=True,
    )
    proposer_org = models.CharField(_("集体提出者"), max_length=200, blank=True)
    addressee = models.CharField(_("称呼"), max_length=200, blank=True)
    sender = models.CharField(_("落款机构"), max_length=200, blank=True)
    role = models.CharField(_("办理角色"), max_length=10, choices=Role.choices, blank=True)
    lead_agency_name = models.CharField(_("主办单位（原文）"), max_length=200, blank=True)
    co_agency_names = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("协办单位（原文）"),
        default=list,
        blank=True,
    )
    reply_category = models.CharField(_("答复类别"), max_length=5, blank=True)
    signer = models.CharField(_("签发人"), max_length=50, blank=True)
    #: The body's numbered parts, as spans of `body_text` where their text lies in it
    #: (`replies.sections`); `section_list` reads them back as {"heading", "text"}.
    sections = models.JSONField(_("正文分部"), default=list, blank=True)
    body_text = models.TextField(_("正文"))
    #: The body with personal contact details redacted, or "" when redaction left the body as it
    #: was (a reply that prints none): `public_text` is what the public sees and search indexes.
    #: A stored copy equal to the body was a third compressed copy of the text.
    public_body_text = models.TextField(_("公开正文"), blank=True)
    warnings = models.JSONField(_("解析提示"), default=list, blank=True)

    # Links.
    proposal = models.ForeignKey(
        Proposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    lead_agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="led_replies"
    )
    sender_agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="sent_replies"
    )
    agencies = models.ManyToManyField(
        Agency, through="ReplyAgency", related_name="replies", blank=True
    )
    members = models.ManyToManyField(
        Member, through="ReplyMember", related_name="replies", blank=True
    )
    themes = models.ManyToManyField(Theme, related_name="replies", blank=True)
    genre_entity = models.ForeignKey(
        Genre, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True, db_index=True)
    #: The date used for "newest first": published, else written, else signed.
    sort_date = models.DateField(null=True, blank=True)

    #: Fields a clerk corrected by hand; reparse leaves them alone.
    corrected_fields = ArrayField(models.CharField(max_length=50), default=list, blank=True)

    #: Written with the vectors: the public body holds nothing OpenCC's Traditional →
    #: Simplified conversion changes, so a snippet finds the query's terms in it as they are
    #: (NULL: not known, the snippet converts).
    body_simplified = models.BooleanField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["-sort_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["index_no"],
                condition=Q(index_no__isnull=False) & ~Q(index_no=""),
                name="reply_unique_index_no",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-sort_date", "-id"], name="reply_status_sort"),
            models.Index(fields=["doc_no"], name="reply_doc_no"),
            # A letter without 索引号 is matched to its earlier version by session and
            # number (find_existing, and the bulk ingest's check for revisions once a batch):
            # without this, each lookup read the whole table.
            models.Index(
                fields=["session_name", "proposal_number"],
                condition=Q(index_no__isnull=True),
                name="reply_letter",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        if self.index_no:
            return reverse("reply", args=[self.index_no])
        return reverse("reply_by_id", args=[self.pk])

    @property
    def public_text(self) -> str:
        """The body as the public reads it: redacted where redaction changed it."""
        return self.public_body_text or self.body_text

    @property
    def section_list(self) -> list[dict[str, Any]]:
        """The sections as the parser gave them (each with its text)."""
        return unpack_sections(self.body_text, self.sections)

    @staticmethod
    def stored_public_body(body: str, public_body: str) -> str:
        """What `public_body_text` holds for a body and its redacted copy."""
        return "" if public_body == body else public_body

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


#: `Reply.public_text` in SQL, for queries that read it without loading replies; the body is
#: read only for the replies whose stored public copy is empty.
PUBLIC_TEXT = Coalesce(
    NullIf(F("public_body_text"), Value("")), F("body_text"), output_field=models.TextField()
)


def public_text_sql(alias: str) -> str:
    """`PUBLIC_TEXT` for raw SQL over `replies_reply` named `alias`."""
    return f"COALESCE(NULLIF({alias}.public_body_text, ''), {alias}.body_text)"


class SearchEntry(models.Model):
    """A reply as search sees it: one narrow row of what search matches, filters, counts and
    orders by. Written with the reply by the ingest service (replies.search.search_entry).

    Narrow on purpose: a common term matches half the archive, and counting, ordering and
    faceting those matches reads each one's row. Links are id arrays (GIN-indexed) so facets
    need no joins; the vectors are stored out of line (the table's toast_tuple_target is set
    low) and never read to match — a GIN index on a vector without positions needs no recheck.
    `published` follows the reply's status through a database trigger, whatever changes it.
    """

    reply = models.OneToOneField(
        Reply, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    published = models.BooleanField()
    sort_date = models.DateField(null=True)
    year = models.SmallIntegerField(null=True)
    kind = models.CharField(max_length=20, blank=True)
    reply_category = models.CharField(max_length=5, blank=True)
    session_id = models.BigIntegerField(null=True)
    genre_id = models.BigIntegerField(null=True)
    lead_agency_id = models.BigIntegerField(null=True)
    agency_ids = ArrayField(models.BigIntegerField(), default=list)  # any role
    co_agency_ids = ArrayField(models.BigIntegerField(), default=list)
    theme_ids = ArrayField(models.BigIntegerField(), default=list)
    member_ids = ArrayField(models.BigIntegerField(), default=list)
    #: Character bigrams (and ASCII words) of title, linked names and body, without positions.
    bigrams = SearchVectorField()
    #: The title's bigrams with positions: title-only search and the title's share of ranking.
    title = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["bigrams"], name="entry_bigrams_gin", condition=Q(published=True)),
            GinIndex(fields=["title"], name="entry_title_gin", condition=Q(published=True)),
            GinIndex(fields=["agency_ids"], name="entry_agencies_gin"),
            GinIndex(fields=["co_agency_ids"], name="entry_co_agencies_gin"),
            GinIndex(fields=["theme_ids"], name="entry_themes_gin"),
            GinIndex(fields=["member_ids"], name="entry_members_gin"),
            models.Index(
                fields=["-sort_date", "-reply"],
                name="entry_published_date",
                condition=Q(published=True),
            ),
            models.Index(fields=["lead_agency_id"], name="entry_lead_agency"),
            models.Index(fields=["session_id"], name="entry_session"),
            models.Index(fields=["year"], name="entry_year"),
        ]

    def __str__(self) -> str:
        return f"search entry of reply {self.reply_id}"


class RankEntry(models.Model):
    """A reply's ranking vectors, read only for the few hundred candidates a relevance search
    ranks (`replies.search`): its words with positions (the title A, the linked names B, the
    body's opening C) and its title's bigrams with positions (a copy of the search entry's,
    whose GIN index serves matching). Written with the search entry.

    Its own table so that a candidate is one page: the vectors are stored inline (the
    table's largest toast_tuple_target, migration 0014; a row is ~7 KB), where the word
    vector out of line in the reply's TOAST and the title in the search entry's cost five or
    six page reads and index probes a candidate (200 candidates ranked in 12.6 → 7.6 ms at
    100,000 replies)."""

    reply = models.OneToOneField(
        Reply, primary_key=True, on_delete=models.CASCADE, related_name="rank_entry"
    )
    words = SearchVectorField()
    title = SearchVectorField()

    def __str__(self) -> str:
        return f"ranking vectors of reply {self.reply_id}"


class ReplyAgency(models.Model):
    """An agency's part in a reply: the lead agency or one of the co-handling agencies."""

    # Both keys are indexed by the constraint and the index below, which lead with them.
    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, related_name="agency_links", db_index=False
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="reply_links", db_index=False
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)
    name_as_written = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["reply", "role", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "agency", "role"], name="replyagency_unique_role"
            )
        ]
        indexes = [models.Index(fields=["agency", "role"], name="replyagency_agency_role")]

    def __str__(self) -> str:
        return f"{self.agency} ({self.get_role_display()})"


class ReplyMember(models.Model):
    reply = models.ForeignKey(  # indexed by replymember_unique
        Reply, on_delete=models.CASCADE, related_name="member_links", db_index=False
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="reply_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["reply", "position"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "member"], name="replymember_unique")
        ]

    def __str__(self) -> str:
        return str(self.member)


class Commitment(models.Model):
    reply = models.ForeignKey(  # indexed by commitment_unique_pos
        Reply, on_delete=models.CASCADE, related_name="commitments", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    heading = models.CharField(_("标题"), max_length=500, blank=True)
    text = models.TextField(_("内容"), blank=True)

    class Meta:
        verbose_name = _("承诺事项")
        verbose_name_plural = _("承诺事项")
        ordering = ["reply", "position"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "position"], name="commitment_unique_pos")
        ]

    def __str__(self) -> str:
        return self.heading or self.text[:40]


class Citation(models.Model):
    reply = models.ForeignKey(  # indexed by citation_unique_pos
        Reply, on_delete=models.CASCADE, related_name="citations", db_index=False
    )
    document = models.ForeignKey(CitedDocument, on_delete=models.PROTECT, related_name="citations")
    position = models.PositiveSmallIntegerField()
    doc_no_as_written = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("引用")
        verbose_name_plural = _("引用")
        ordering = ["reply", "position"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "position"], name="citation_unique_pos")
        ]

    def __str__(self) -> str:
        return str(self.document)


class Source(models.Model):
    """One ingested file, byte for byte. Never overwritten: a changed file is a new revision."""

    class Channel(models.TextChoices):
        COMMAND = "command", _("命令行")
        ADMIN = "admin", _("管理后台")
        IMPORT = "import", _("档案导入")

    reply = models.ForeignKey(  # indexed by source_unique_revision
        Reply, on_delete=models.PROTECT, related_name="sources", db_index=False
    )
    revision = models.PositiveIntegerField()
    content = models.BinaryField()
    filename = models.CharField(_("文件名"), max_length=255)
    encoding = models.CharField(_("编码"), max_length=30)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    #: The parser's output for this file, as the contract's JSON, without the body text
    #: (`ingest.PARSED_OMITS`): the reply and this file's content hold it.
    parsed = models.JSONField(default=dict)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    uploaded_by_name = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("原始文件")
        verbose_name_plural = _("原始文件")
        ordering = ["reply", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "revision"], name="source_unique_revision"),
            models.UniqueConstraint(fields=["reply", "sha256"], name="source_unique_hash"),
        ]
        # Looked up by equality only: db_index would add a second, pattern-matching index.
        indexes = [models.Index(fields=["sha256"], name="source_sha256")]

    def __str__(self) -> str:
        return f"{self.filename} (r{self.revision})"


class ChangeRecord(models.Model):
    """Who changed what on a reply, when, and from which source file."""

    class Action(models.TextChoices):
        CREATED = "created", _("创建")
        REVISED = "revised", _("新版本")
        REPARSED = "reparsed", _("重新解析")
        CORRECTED = "corrected", _("人工更正")
        STATUS = "status", _("状态变更")
        IMPORTED = "imported", _("导入")

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    changes = models.JSONField(default=dict)  # {field: [old, new]}
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    user_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("变更记录")
        verbose_name_plural = _("变更记录")
        ordering = ["reply", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class PendingUpload(models.Model):
    """A file a clerk uploaded that waits for review: not a reply yet, never public.

    Kept apart from `Source` so that an unreviewed file can be discarded without a trace;
    publishing or saving it as a draft hands the bytes to the ingest service and deletes the
    row in the same transaction.
    """

    #: The files sent in one upload share a batch, so review can walk through them in turn.
    batch = models.UUIDField(db_index=True)
    filename = models.CharField(_("文件名"), max_length=255)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    uploaded_by_name = models.CharField(_("上传人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待审核文件")
        verbose_name_plural = _("待审核文件")
        ordering = ["created_at", "id"]
        constraints = [
            # The same bytes wait for review once, however many times they are uploaded.
            models.UniqueConstraint(fields=["sha256"], name="pendingupload_unique_hash")
        ]

    def __str__(self) -> str:
        return self.filename
