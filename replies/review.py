"""The clerks' upload → review → publish flow, without HTTP.

Uploaded files become `PendingUpload` rows, never replies: the review screen parses them again
with `preview_source`, and only a clerk's decision hands the bytes to `ingest_source`, in one
transaction with the clerk's corrections and the chosen status. Files the archive already
holds byte for byte are reported unchanged and files it refuses are reported with their
reason; neither is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import search
from .ingest import (
    Context,
    IngestError,
    IngestOutcome,
    Preview,
    current_values,
    ingest_source,
    preview_source,
    sha256_of,
)
from .models import PendingUpload, Reply, Source
from .uploads import ARCHIVE_SUFFIXES, DOCUMENT_SUFFIXES, Limits, expand_upload, sniff

UploadStatus = Literal["pending", "waiting", "unchanged", "failed"]

#: Longest source text shown beside the fields; the parser reads no further either.
SOURCE_TEXT_MAX_CHARS = 200_000


class UploadedFileLike(Protocol):
    """What the upload needs from Django's UploadedFile."""

    name: str | None
    size: int | None

    def read(self, size: int = -1) -> bytes: ...


@dataclass
class UploadResult:
    """What became of one uploaded file (or one document inside an uploaded ZIP)."""

    filename: str
    #: pending: waits for review now; waiting: the same bytes already wait for review;
    #: unchanged: already in the archive byte for byte; failed: refused, see `reason`.
    status: UploadStatus
    reason: str = ""
    pending: PendingUpload | None = None
    reply: Reply | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class UploadReport:
    batch: uuid.UUID
    results: list[UploadResult]

    def count(self, status: UploadStatus) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def first_pending(self) -> PendingUpload | None:
        return next((r.pending for r in self.results if r.status == "pending"), None)


def admin_context(user: Any) -> Context:
    """Ingest context for the admin: new replies start as drafts until the clerk decides."""
    return Context(channel=Source.Channel.ADMIN, user=user, new_status=Reply.Status.DRAFT)


# --------------------------------------------------------------------------- upload


def _unsupported(name: str, data: bytes | None) -> str:
    suffix = PurePosixPath(name).suffix.lower() or _("（无扩展名）")
    if data is not None:
        try:
            sniff(data)
        except IngestError as exc:  # a PDF, an image, an old .doc: say which
            return str(exc)
    return _(
        "不支持的文件类型（%(suffix)s）。请上传网页（.html）、文本（.txt）、"
        "Word 文档（.docx），或装有这些文件的 ZIP 压缩包。"
    ) % {"suffix": suffix}


def _too_large(size: int, limit: int) -> str:
    return _("文件过大：%(size).1f MB，上限 %(limit).0f MB。") % {
        "size": size / 1_048_576,
        "limit": limit / 1_048_576,
    }


def receive_uploads(files: Iterable[UploadedFileLike], user: Any) -> UploadReport:
    """Check, parse and keep for review every document in the uploaded files.

    Each document is handled on its own: one refused file never stops the others, and a
    refused file leaves nothing behind.
    """
    expire_pending()
    limits = Limits.from_settings()
    batch = uuid.uuid4()
    results: list[UploadResult] = []
    for uploaded in files:
        name = PurePosixPath((uploaded.name or "").replace("\\", "/")).name or "upload"
        suffix = PurePosixPath(name).suffix.lower()
        size = uploaded.size or 0
        if suffix not in DOCUMENT_SUFFIXES | ARCHIVE_SUFFIXES:
            # Read only a little: enough to name a PDF or an image, never a huge file.
            results.append(UploadResult(name, "failed", _unsupported(name, uploaded.read(4096))))
            continue
        # Refuse before reading it into memory.
        limit = limits.max_zip_total_bytes if suffix in ARCHIVE_SUFFIXES else limits.max_file_bytes
        if size > limit:
            results.append(UploadResult(name, "failed", _too_large(size, limit)))
            continue
        data = uploaded.read()
        if not data.strip():
            results.append(UploadResult(name, "failed", _("文件为空。")))
            continue
        found = 0
        for document_name, content in expand_upload(name, data, limits):
            found += 1
            results.append(_receive_document(document_name, content, batch, user))
        if not found:
            results.append(UploadResult(name, "failed", _("压缩包里没有文件。")))
    return UploadReport(batch, results)


def _receive_document(
    name: str, content: bytes | IngestError, batch: uuid.UUID, user: Any
) -> UploadResult:
    if isinstance(content, IngestError):
        return UploadResult(name, "failed", str(content))
    if PurePosixPath(name).suffix.lower() not in DOCUMENT_SUFFIXES:
        return UploadResult(name, "failed", _unsupported(name, content))
    digest = sha256_of(content)
    waiting = PendingUpload.objects.filter(sha256=digest).first()
    if waiting is not None:
        return UploadResult(name, "waiting", pending=waiting)
    preview = preview_source(content, name)
    if preview.unchanged:
        return UploadResult(name, "unchanged", reply=preview.existing)
    if preview.error:
        return UploadResult(name, "failed", explain(preview.error))
    try:
        with transaction.atomic():
            pending = PendingUpload.objects.create(
                batch=batch,
                filename=name[:255],
                content=content,
                sha256=digest,
                size=len(content),
                uploaded_by=user if getattr(user, "pk", None) else None,
                uploaded_by_name=user.get_username() if user is not None else "",
            )
    except IntegrityError:
        # Another clerk uploaded the same bytes a moment ago.
        return UploadResult(
            name, "waiting", pending=PendingUpload.objects.filter(sha256=digest).first()
        )
    warnings = list(preview.parsed.warnings) if preview.parsed else []
    return UploadResult(name, "pending", pending=pending, reply=preview.existing, warnings=warnings)


#: Parser messages (English) → what they mean for a clerk.
_EXPLANATIONS = (
    ("empty file", _lazy("文件为空。")),
    ("undecodable", _lazy("无法识别文字编码：不是 UTF-8、GBK/GB18030 等常见编码的文本。")),
    ("no Chinese text", _lazy("文件里没有中文文字，不是答复文件。")),
    ("binary data", _lazy("这是二进制文件，不是网页、文本或 Word 文档。")),
    ("not a document", _lazy("不是网页、文本或 Word 文档。")),
    ("too deep", _lazy("网页结构嵌套过深，无法读取。")),
    ("too large to read", _lazy("文件过大，无法读取。")),
)


def explain(reason: str) -> str:
    """The refusal reason, led by a plain Chinese explanation when the parser's own
    message is in English."""
    for fragment, explanation in _EXPLANATIONS:
        if fragment in reason:
            return f"{explanation}（{reason}）"
    return reason


def expire_pending(now: dt.datetime | None = None) -> int:
    """Forget uploads nobody reviewed within ARCHIVE_PENDING_UPLOAD_DAYS days."""
    days = getattr(settings, "ARCHIVE_PENDING_UPLOAD_DAYS", 14)
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _counts = PendingUpload.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --------------------------------------------------------------------------- review


@dataclass
class Review:
    """Everything the review screen shows for one pending file."""

    pending: PendingUpload
    preview: Preview
    source_text: str
    #: The values the form starts from: the parse, with the stored reply's hand corrections
    #: in place of parsed values (ingest keeps those corrections anyway).
    values: dict[str, Any] = field(default_factory=dict)
    #: Contract keys the stored reply has corrected by hand.
    kept_corrections: list[str] = field(default_factory=list)
    #: {contract key: [warning, ...]} for warnings that name a field.
    field_warnings: dict[str, list[str]] = field(default_factory=dict)
    #: Every warning, led by the Chinese name of what it concerns.
    warnings: list[str] = field(default_factory=list)

    @property
    def error(self) -> str:
        return explain(self.preview.error) if self.preview.error else ""

    @property
    def match_reason(self) -> str:
        existing, parsed = self.preview.existing, self.preview.parsed
        if existing is None or parsed is None:
            return ""
        if existing.index_no and existing.index_no == parsed.index_no:
            return _("索引号相同")
        return _("会议、编号、办理角色和落款机构相同")


def review(pending: PendingUpload) -> Review:
    data = bytes(pending.content)
    preview = preview_source(data, pending.filename)
    result = Review(pending, preview, source_text(data, pending.filename))
    if preview.parsed is not None:
        values = preview.parsed.to_contract()
        if preview.existing is not None:
            stored = current_values(preview.existing)
            result.kept_corrections = list(preview.existing.corrected_fields)
            values.update({key: stored[key] for key in result.kept_corrections})
        result.values = values
        for warning in preview.parsed.warnings:
            key = warning.split(":", 1)[0].strip()
            result.field_warnings.setdefault(key, []).append(warning)
            result.warnings.append(warning_text(warning))
    return result


#: Warning prefixes that are not contract keys.
_WARNING_TOPICS = {
    "signature": _lazy("落款"),
    "salutation": _lazy("称呼"),
    "encoding": _lazy("文字编码"),
    "input": _lazy("文件大小"),
    "parser": _lazy("解析器"),
}


def warning_text(warning: str) -> str:
    """`signed_date: no date under the signature` → `落款日期 — signed_date: …`: the parser
    writes its warnings in English; the clerk first reads which field they concern."""
    from .admin_forms import EDITABLE_KEYS, field_label

    key = warning.split(":", 1)[0].strip()
    if key in EDITABLE_KEYS or key in ("sections", "commitments", "citations"):
        return f"{field_label(key)} — {warning}"
    if key in _WARNING_TOPICS:
        return f"{_WARNING_TOPICS[key]} — {warning}"
    return warning


def source_text(data: bytes, filename: str) -> str:
    """The document's text for a clerk to read beside the fields: web pages and Word files
    as their paragraphs (markup is never shown or rendered), text files as they are."""
    from .parsing.decoding import decode_bytes, is_docx, looks_like_html
    from .parsing.docx_blocks import docx_blocks
    from .parsing.html_blocks import html_to_page

    try:
        if is_docx(data):
            blocks, _warnings = docx_blocks(data)
            text = "\n".join(blocks)
        else:
            decoded = decode_bytes(data)
            text = decoded.text
            if looks_like_html(text[:8192], filename):
                text = "\n".join(html_to_page(text).lines)
    except Exception:  # the parser already judged the file; this is only for reading
        text = data.decode("utf-8", errors="replace")
    return text[:SOURCE_TEXT_MAX_CHARS]


# --------------------------------------------------------------------------- decisions


class PendingGone(Exception):
    """The pending upload was decided (or discarded) by someone else meanwhile."""


def store_pending(
    pending_id: int, corrections: dict[str, Any], status: str, user: Any
) -> IngestOutcome:
    """Publish or save as draft: ingest the file with the clerk's corrections and status,
    and forget the pending row, all in one transaction."""
    search.load_dictionary_from_db()
    ctx = admin_context(user)
    filename = ""
    try:
        with transaction.atomic():
            pending = PendingUpload.objects.select_for_update().filter(pk=pending_id).first()
            if pending is None:
                raise PendingGone
            filename = pending.filename
            outcome = ingest_source(
                bytes(pending.content), filename, ctx, corrections=corrections, status=status
            )
            if outcome.ok:
                pending.delete()
    except IntegrityError:
        # In practice a corrected 索引号 that another reply took after the form checked it.
        return IngestOutcome(
            filename=filename,
            status="failed",
            reason=_("与档案中已有的答复冲突（例如索引号重复），未保存。"),
        )
    return outcome


def discard_pending(pending_id: int) -> bool:
    deleted, _counts = PendingUpload.objects.filter(pk=pending_id).delete()
    return bool(deleted)


def next_pending(after: PendingUpload | None = None, batch: uuid.UUID | None = None):
    """The next file waiting for review: in the same batch first, then any other."""
    waiting = PendingUpload.objects.defer("content").order_by("created_at", "id")
    if batch is not None:
        in_batch = waiting.filter(batch=batch)
        if after is not None:
            in_batch = in_batch.exclude(pk=after.pk)
        found = in_batch.first()
        if found is not None:
            return found
    if after is not None:
        waiting = waiting.exclude(pk=after.pk)
    return waiting.first()
