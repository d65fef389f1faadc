"""The clerks' admin: upload and review new replies, correct and publish them, keep aliases.

Every write to a reply goes through the ingest service (`ingest_source`, `correct_reply`,
`set_status`), so the admin records who changed what exactly as the command line does, and a
clerk's corrections survive a later `reparse`. The views here only move requests to
`replies.review` and choose a template.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import (
    FieldDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFilesSent,
)
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import review as review_service
from .admin_forms import (
    DERIVED_KEYS,
    FIELD_GROUPS,
    ReplyAdminForm,
    ReviewForm,
    column_for,
    field_label,
    form_initial,
)
from .ingest import correct_reply, current_values, set_status
from .models import (
    Agency,
    AgencyAlias,
    ChangeRecord,
    Genre,
    Member,
    PendingUpload,
    Proposal,
    Reply,
    Session,
    Source,
    Theme,
)
from .uploads import ARCHIVE_SUFFIXES, DOCUMENT_SUFFIXES, Limits

admin.site.site_header = gettext_lazy("答复档案库 · 管理后台")
admin.site.site_title = gettext_lazy("答复档案库管理")
admin.site.index_title = gettext_lazy("档案管理")

#: Longest value shown in a history or difference table cell.
SHOWN_VALUE_CHARS = 160


# --------------------------------------------------------------------------- display helpers


def value_text(key: str, value: Any) -> str:
    """A stored or parsed value as a clerk reads it."""
    if value in (None, "", []):
        return _("（空）")
    if key == "status":
        return str(Reply.Status(value).label) if value in Reply.Status.values else str(value)
    if key in DERIVED_KEYS and isinstance(value, list):
        titles = [str(item.get("heading") or item.get("title") or "") for item in value]
        named = "；".join(title for title in titles if title)
        count = ngettext("%(n)d 项", "%(n)d 项", len(value)) % {"n": len(value)}
        return f"{count}：{named}" if named else count
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    text = str(value)
    if len(text) > SHOWN_VALUE_CHARS:
        return text[:SHOWN_VALUE_CHARS] + "…"
    return text


def label_for(key: str) -> str:
    if key == "status":
        return str(Reply._meta.get_field("status").verbose_name)
    try:
        return field_label(key)
    except FieldDoesNotExist:  # a key from an older record that no longer exists
        return key


def body_diff(stored: str | None, parsed: str | None, limit: int = 60) -> str:
    """Changed lines of the letter's text, unified-diff style, at most `limit` lines."""
    lines = list(
        difflib.unified_diff(
            (stored or "").splitlines(), (parsed or "").splitlines(), lineterm="", n=1
        )
    )[2:]
    if len(lines) > limit:
        lines = [*lines[:limit], _("……（另有 %(n)d 行差异）") % {"n": len(lines) - limit}]
    return "\n".join(lines)


def titled(filter_class: type, title: Any) -> type:
    """A list filter with a Chinese title (the link fields have no verbose name)."""

    class Titled(filter_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


def shown(attr: str, label: Any, ordering: str | None = None):
    """A column or read-only field showing `attr` under a Chinese label, for model fields
    that were declared without a verbose name."""

    @admin.display(description=label, ordering=ordering or attr)
    def show(self: Any, obj: Any) -> Any:
        display = getattr(obj, f"get_{attr}_display", None)
        if display is not None:
            return display()
        value = getattr(obj, attr)
        if isinstance(value, dt.datetime):
            # Read-only form fields print callables' values as they are; show local time.
            return formats.localize(timezone.template_localtime(value))
        return value

    show.__name__ = attr
    return show


# --------------------------------------------------------------------------- inlines


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
    # The stylesheet hides the per-row caption (the record's str) these tables do not need.
    classes = ("readonly-record",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def source_download(source: Source) -> str:
    url = reverse("reply_source", args=[source.reply_id, source.revision])
    return format_html(
        '<a href="{}">{}</a>', url, _("下载 %(name)s") % {"name": source.filename.rsplit("/")[-1]}
    )


class SourceInline(ReadOnlyInline):
    model = Source
    verbose_name = gettext_lazy("原始文件版本")
    verbose_name_plural = gettext_lazy("原始文件（各版本原样保存）")
    fields = (
        "version",
        "filename",
        "encoding",
        "size_bytes",
        "channel_label",
        "uploader",
        "uploaded",
        "download",
    )
    readonly_fields = fields
    version = shown("revision", gettext_lazy("版本"))
    size_bytes = shown("size", gettext_lazy("大小（字节）"))
    channel_label = shown("channel", gettext_lazy("来源"))
    uploader = shown("uploaded_by_name", gettext_lazy("上传人"))
    uploaded = shown("uploaded_at", gettext_lazy("上传时间"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).defer("content", "parsed").order_by("-revision")

    @admin.display(description=gettext_lazy("下载"))
    def download(self, source: Source) -> str:
        return source_download(source)


def changes_table(record: ChangeRecord) -> str:
    if not record.changes:
        return "—"
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td>{}</td><td aria-hidden='true'>→</td><td>{}</td></tr>",
        (
            (label_for(key), value_text(key, old), value_text(key, new))
            for key, (old, new) in record.changes.items()
        ),
    )
    return format_html(
        '<table class="change-values"><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col"><span class="visually-hidden">{}</span></th><th scope="col">{}</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        _("字段"),
        _("原值"),
        _("改为"),
        _("新值"),
        rows,
    )


class ChangeRecordInline(ReadOnlyInline):
    model = ChangeRecord
    verbose_name = gettext_lazy("变更记录")
    verbose_name_plural = gettext_lazy("变更记录（谁、何时、改了哪些字段、依据哪个文件）")
    fields = ("when", "who", "action_label", "changed_values", "source_file")
    readonly_fields = fields
    when = shown("at", gettext_lazy("时间"))
    action_label = shown("action", gettext_lazy("操作"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChangeRecord]:
        return (
            super()
            .get_queryset(request)
            .select_related("source")
            .defer("source__content", "source__parsed")
            .order_by("-at", "-id")
        )

    @admin.display(description=gettext_lazy("操作人"))
    def who(self, record: ChangeRecord) -> str:
        return record.user_name or "—"

    @admin.display(description=gettext_lazy("字段：原值 → 新值"))
    def changed_values(self, record: ChangeRecord) -> str:
        return changes_table(record)

    @admin.display(description=gettext_lazy("原始文件"))
    def source_file(self, record: ChangeRecord) -> str:
        if record.source is None:
            return "—"
        return format_html("{}（r{}）", record.source.filename, record.source.revision)


# --------------------------------------------------------------------------- replies


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    form = ReplyAdminForm
    list_display = ("title", "status", "agency", "date", "kind")
    list_select_related = ("lead_agency",)
    list_filter = (
        "status",
        ("lead_agency", titled(RelatedOnlyFieldListFilter, gettext_lazy("主办单位"))),
        ("agencies", titled(RelatedOnlyFieldListFilter, gettext_lazy("涉及机构（主办或协办）"))),
        ("themes", titled(RelatedOnlyFieldListFilter, gettext_lazy("主题"))),
        "kind",
        ("session", titled(RelatedOnlyFieldListFilter, gettext_lazy("会议"))),
        "year",
    )
    search_fields = ("title", "index_no", "doc_no", "members__name")
    search_help_text = gettext_lazy("按标题、索引号、文号或委员/代表姓名检索。")
    actions = ("publish_selected", "withdraw_selected")
    list_per_page = 50
    readonly_fields = ("public_link", "corrected_list", "warning_list", "created", "updated")
    created = shown("created_at", gettext_lazy("创建时间"))
    updated = shown("updated_at", gettext_lazy("最后修改"))
    inlines = (SourceInline, ChangeRecordInline)

    def get_fieldsets(self, request: HttpRequest, obj: Reply | None = None):
        fieldsets: list[tuple[Any, dict[str, Any]]] = [
            (None, {"fields": ("status", "public_link", "corrected_list", "warning_list")})
        ]
        for legend, keys in FIELD_GROUPS:
            fieldsets.append((legend, {"fields": tuple(column_for(key) for key in keys)}))
        fieldsets.append((_("时间"), {"fields": ("created", "updated")}))
        return fieldsets

    # ---- list columns

    @admin.display(description=gettext_lazy("主办单位"), ordering="lead_agency__name")
    def agency(self, reply: Reply) -> str:
        if reply.lead_agency is not None:
            return reply.lead_agency.display_name
        return reply.lead_agency_name or "—"

    @admin.display(description=gettext_lazy("日期"), ordering="sort_date")
    def date(self, reply: Reply):
        return reply.sort_date

    # ---- read-only parts of the change form

    @admin.display(description=gettext_lazy("公开页面"))
    def public_link(self, reply: Reply) -> str:
        if reply.is_published:
            return format_html('<a href="{}">{}</a>', reply.get_absolute_url(), _("在公开页面查看"))
        return _("未发布：公众看不到这份答复。")

    @admin.display(description=gettext_lazy("人工更正过的字段"))
    def corrected_list(self, reply: Reply) -> str:
        if not reply.corrected_fields:
            return _("无")
        labels = "、".join(label_for(key) for key in reply.corrected_fields)
        return _("%(fields)s（重新解析时保留）") % {"fields": labels}

    @admin.display(description=gettext_lazy("解析提示"))
    def warning_list(self, reply: Reply) -> str:
        if not reply.warnings:
            return _("无")
        return format_html(
            '<ul class="parse-warnings">{}</ul>',
            format_html_join("", "<li>{}</li>", ((w,) for w in reply.warnings)),
        )

    # ---- saving goes through the ingest service

    def save_model(self, request: HttpRequest, obj: Reply, form: ReplyAdminForm, change: bool):
        if not change:
            raise PermissionDenied  # new replies come from uploaded files only
        stored = Reply.objects.get(pk=obj.pk)
        ctx = review_service.admin_context(request.user)
        with transaction.atomic():
            corrections = form.corrections(current_values(stored))
            if corrections:
                correct_reply(stored, corrections, ctx)
            status = form.cleaned_data["status"]
            if status != stored.status:
                set_status(stored, status, ctx)
        obj.refresh_from_db()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        # A reply is made from a file: "add" means "upload".
        return HttpResponseRedirect(reverse("admin:replies_reply_upload"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        # "Save and add another" would lead to the upload page and lose the clerk's place.
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {**(extra_context or {}), "pending_count": PendingUpload.objects.count()}
        return super().changelist_view(request, extra_context)

    # ---- actions

    @admin.action(description=gettext_lazy("发布所选答复"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Reply]) -> None:
        self._set_status(request, queryset, Reply.Status.PUBLISHED)

    @admin.action(
        description=gettext_lazy("撤回所选答复（保留记录和原始文件）"), permissions=["change"]
    )
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[Reply]) -> None:
        self._set_status(request, queryset, Reply.Status.WITHDRAWN)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Reply], status: str) -> None:
        ctx = review_service.admin_context(request.user)
        with transaction.atomic():
            changed = sum(set_status(reply, status, ctx) for reply in queryset.distinct())
        label = Reply.Status(status).label
        self.message_user(
            request,
            ngettext(
                "%(n)d 份答复已改为“%(status)s”。",
                "%(n)d 份答复已改为“%(status)s”。",
                changed,
            )
            % {"n": changed, "status": label},
            messages.SUCCESS,
        )

    # ---- upload and review

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="replies_reply_upload"),
            path("review/<int:pending_id>/", wrap(self.review_view), name="replies_reply_review"),
            *super().get_urls(),
        ]

    def _page_context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "has_view_permission": self.has_view_permission(request),
        }

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        error = ""
        if request.method == "POST":
            try:
                files = request.FILES.getlist("files")
            except (TooManyFilesSent, RequestDataTooBig):
                # Usually the CSRF check meets this first and answers 400; the hint on the
                # page (pack many files into a ZIP) is the real remedy.
                files = []
                error = _("一次上传的文件过多。请把文件打包成 ZIP 再上传。")
            if not files and not error:
                error = _("请选择要上传的文件。")
            if files:
                report = review_service.receive_uploads(files, request.user)
                self._report_upload(request, report)
        else:
            review_service.expire_pending()
        limits = Limits.from_settings()
        context = {
            **self._page_context(request, _("上传答复")),
            "report": report,
            "error": error,
            "waiting": PendingUpload.objects.defer("content").order_by("created_at", "id"),
            "accept": ",".join(sorted(DOCUMENT_SUFFIXES | ARCHIVE_SUFFIXES)),
            "max_file_mb": limits.max_file_bytes / 1_048_576,
            "max_zip_files": limits.max_zip_files,
            "max_zip_mb": limits.max_zip_total_bytes / 1_048_576,
            "max_files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        }
        status = 400 if error else 200
        return TemplateResponse(request, "admin/replies/reply/upload.html", context, status=status)

    def _report_upload(self, request: HttpRequest, report: review_service.UploadReport) -> None:
        parts = [
            (report.count("pending"), _("%(n)d 个待审核")),
            (report.count("waiting"), _("%(n)d 个已在待审核列表中")),
            (report.count("unchanged"), _("%(n)d 个未变化（档案中已有完全相同的文件）")),
            (report.count("failed"), _("%(n)d 个无法接收")),
        ]
        summary = _("共 %(total)d 个文件：%(parts)s。") % {
            "total": len(report.results),
            "parts": "，".join(text % {"n": n} for n, text in parts if n),
        }
        level = messages.WARNING if report.count("failed") else messages.SUCCESS
        self.message_user(request, summary, level)

    def review_view(self, request: HttpRequest, pending_id: int) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        pending = PendingUpload.objects.filter(pk=pending_id).first()
        if pending is None:
            self.message_user(request, _("这个文件已经处理过或已被放弃。"), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:replies_reply_upload"))
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "discard":
            review_service.discard_pending(pending.pk)
            self.message_user(
                request,
                _("已放弃“%(name)s”：档案中没有保存任何内容。") % {"name": pending.filename},
                messages.SUCCESS,
            )
            return self._after_review(request, pending)

        info = review_service.review(pending)
        form = None
        if info.preview.parsed is not None:
            initial = form_initial(info.values)
            owner = info.preview.existing
            if action in ("publish", "draft"):
                form = ReviewForm(request.POST, initial=initial, owner=owner)
                if form.is_valid():
                    status = Reply.Status.PUBLISHED if action == "publish" else Reply.Status.DRAFT
                    try:
                        outcome = review_service.store_pending(
                            pending.pk, form.corrections(info.values), status, request.user
                        )
                    except review_service.PendingGone:
                        self.message_user(
                            request, _("这个文件已经处理过或已被放弃。"), messages.WARNING
                        )
                        return HttpResponseRedirect(reverse("admin:replies_reply_upload"))
                    if outcome.ok:
                        self._report_stored(request, outcome, status)
                        return self._after_review(request, pending)
                    form.add_error(None, outcome.reason)
            else:
                form = ReviewForm(initial=initial, owner=owner)

        context = {
            **self._page_context(request, _("审核上传的文件")),
            # The fields and the source text need the whole width.
            "is_nav_sidebar_enabled": False,
            "pending": pending,
            "info": info,
            "preview": info.preview,
            "form": form,
            "groups": _field_groups(form, info) if form is not None else [],
            "diff_rows": _diff_rows(info),
            "position": _batch_position(pending),
        }
        return TemplateResponse(
            request,
            "admin/replies/reply/review.html",
            context,
            status=400 if form is not None and form.errors else 200,
        )

    def _report_stored(self, request: HttpRequest, outcome, status: str) -> None:
        url = reverse("admin:replies_reply_change", args=[outcome.reply_id])
        if outcome.status == "unchanged":
            text = _("“%(title)s”档案中已有相同文件，未新增。")
        elif status == Reply.Status.PUBLISHED:
            text = _("已发布“%(title)s”。")
        else:
            text = _("已将“%(title)s”存为草稿（公众看不到）。")
        self.message_user(
            request,
            format_html('<a href="{}">{}</a>', url, text % {"title": outcome.title}),
            messages.SUCCESS,
        )

    def _after_review(self, request: HttpRequest, done: PendingUpload) -> HttpResponse:
        following = review_service.next_pending(after=done, batch=done.batch)
        if following is not None:
            return HttpResponseRedirect(reverse("admin:replies_reply_review", args=[following.pk]))
        return HttpResponseRedirect(reverse("admin:replies_reply_upload"))


def _field_groups(form: ReviewForm, info: review_service.Review) -> list[dict[str, Any]]:
    """The form's fields in their groups, each with the warnings that name it."""
    groups = []
    for legend, keys in FIELD_GROUPS:
        fields = []
        for key in keys:
            bound = form[column_for(key)]
            warnings = info.field_warnings.get(key, [])
            kept = key in info.kept_corrections
            # Screen readers announce the warnings and notes with the field they concern.
            described_by = [f"{bound.auto_id}_warning{n}" for n in range(1, len(warnings) + 1)]
            if kept:
                described_by.append(f"{bound.auto_id}_kept")
            if bound.help_text:
                described_by.append(f"{bound.auto_id}_helptext")
            attrs = {"aria-describedby": " ".join(described_by)} if described_by else None
            fields.append(
                {
                    "field": bound,
                    "widget": bound.as_widget(attrs=attrs),
                    "key": key,
                    "warnings": warnings,
                    "kept": kept,
                }
            )
        groups.append({"legend": legend, "fields": fields})
    return groups


def _diff_rows(info: review_service.Review) -> list[dict[str, Any]]:
    rows = []
    for key, (stored, parsed) in info.preview.diff.items():
        row = {"key": key, "label": label_for(key), "kept": key in info.kept_corrections}
        if key == "body_text":
            row["body_diff"] = body_diff(stored, parsed)
        else:
            row["stored"] = value_text(key, stored)
            row["parsed"] = value_text(key, parsed)
            if row["stored"] == row["parsed"]:
                # Sections and commitments are summarised by their headings.
                row["note"] = _("各项标题相同，内容有变化（见正文比较）。")
        rows.append(row)
    return rows


def _batch_position(pending: PendingUpload) -> tuple[int, int]:
    in_batch = list(
        PendingUpload.objects.filter(batch=pending.batch)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    return (in_batch.index(pending.pk) + 1 if pending.pk in in_batch else 1, len(in_batch))


@admin.register(PendingUpload)
class PendingUploadAdmin(admin.ModelAdmin):
    """Files waiting for review. Adding means uploading; opening one means reviewing it;
    deleting one discards it (nothing of it is kept)."""

    list_display = ("filename", "uploaded_by_name", "created_at", "size", "review_link")
    list_display_links = None
    search_fields = ("filename",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PendingUpload]:
        return super().get_queryset(request).defer("content")

    @admin.display(description=gettext_lazy("审核"))
    def review_link(self, pending: PendingUpload) -> str:
        url = reverse("admin:replies_reply_review", args=[pending.pk])
        return format_html(
            '<a href="{}">{}</a>', url, _("审核 %(name)s") % {"name": pending.filename}
        )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        return HttpResponseRedirect(reverse("admin:replies_reply_upload"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        return HttpResponseRedirect(reverse("admin:replies_reply_review", args=[object_id]))


# --------------------------------------------------------------------------- the record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the ingest service writes: sources and the change history."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("filename", "of_reply", "version", "channel_label", "uploader", "uploaded")
    list_filter = (("channel", titled(admin.ChoicesFieldListFilter, gettext_lazy("来源"))),)
    list_select_related = ("reply",)
    search_fields = ("filename", "sha256", "reply__title", "reply__index_no")
    fields = (
        "of_reply",
        "version",
        "filename",
        "encoding",
        "size_bytes",
        "digest",
        "channel_label",
        "uploader",
        "uploaded",
        "download",
    )
    readonly_fields = fields
    of_reply = shown("reply", gettext_lazy("答复"))
    version = shown("revision", gettext_lazy("版本"))
    size_bytes = shown("size", gettext_lazy("大小（字节）"))
    digest = shown("sha256", "SHA-256")
    channel_label = shown("channel", gettext_lazy("来源"))
    uploader = shown("uploaded_by_name", gettext_lazy("上传人"))
    uploaded = shown("uploaded_at", gettext_lazy("上传时间"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).defer("content")

    @admin.display(description=gettext_lazy("下载"))
    def download(self, source: Source) -> str:
        return source_download(source)


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ("when", "of_reply", "action_label", "who", "changed_fields")
    list_filter = (("action", titled(admin.ChoicesFieldListFilter, gettext_lazy("操作"))),)
    list_select_related = ("reply",)
    search_fields = ("reply__title", "reply__index_no", "user_name")
    date_hierarchy = "at"
    fields = ("of_reply", "action_label", "who", "when", "changed_values", "source_file")
    readonly_fields = fields
    when = shown("at", gettext_lazy("时间"))
    of_reply = shown("reply", gettext_lazy("答复"))
    action_label = shown("action", gettext_lazy("操作"))
    who = shown("user_name", gettext_lazy("操作人"))
    source_file = shown("source", gettext_lazy("原始文件"))

    @admin.display(description=gettext_lazy("字段"))
    def changed_fields(self, record: ChangeRecord) -> str:
        return "、".join(label_for(key) for key in record.changes) or "—"

    @admin.display(description=gettext_lazy("字段：原值 → 新值"))
    def changed_values(self, record: ChangeRecord) -> str:
        return changes_table(record)


# --------------------------------------------------------------------------- agencies


class AgencyAliasInline(admin.TabularInline):
    model = AgencyAlias
    extra = 1
    fields = ("name", "region")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "level", "region", "needs_review")
    list_filter = ("needs_review", "level")
    search_fields = ("name", "short_name", "aliases__name")
    fields = ("name", "short_name", "level", "region", "needs_review")
    inlines = (AgencyAliasInline,)


class AgencyAliasForm(forms.ModelForm):
    class Meta:
        model = AgencyAlias
        fields = ("agency", "name", "region")
        labels = {"agency": gettext_lazy("机构")}
        help_texts = {
            "region": gettext_lazy("别名只在这个地区内指这个机构，例如“重庆市”；留空表示各地通用。")
        }


@admin.register(AgencyAlias)
class AgencyAliasAdmin(admin.ModelAdmin):
    form = AgencyAliasForm
    list_display = ("name", "region", "of_agency")
    list_select_related = ("agency",)
    of_agency = shown("agency", gettext_lazy("机构"), ordering="agency__name")
    search_fields = ("name", "region", "agency__name")
    autocomplete_fields = ("agency",)


# --------------------------------------------------------------------------- linked entities


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)


class ProposalForm(forms.ModelForm):
    class Meta:
        model = Proposal
        fields = ("session", "number", "title", "kind", "proposer_org")
        labels = {"session": gettext_lazy("会议")}


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    form = ProposalForm
    list_display = ("__str__", "title", "kind", "proposer_org")
    list_filter = ("kind",)
    list_select_related = ("session",)
    search_fields = ("number", "title", "session__name", "proposer_org")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    search_fields = ("name",)
