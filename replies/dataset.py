"""The public research snapshot: published replies as CSV tables, a Frictionless Data Package
descriptor and a README a researcher can cite, zipped for download.

Deliberately not a backup: only published replies, only the redacted text, no original source
files (they may print a handling official's telephone number), no clerk history. Full backups
are `export_archive` / `import_archive` (replies.archive_io).

Layout under the datasets directory (settings.ARCHIVE_DATASET_DIR):

    <name>/replies.csv, …, datapackage.json, README.md     the snapshot, unpacked
    <name>.zip                                             the same, as published at /datasets/

`<name>` is `reply-archive-YYYY-MM-DD`, the snapshot date (Asia/Shanghai).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from .archive_io import consistent_snapshot
from .models import (
    PUBLIC_TEXT,
    Agency,
    AgencyAlias,
    Citation,
    CitedDocument,
    Commitment,
    Member,
    Proposal,
    Reply,
    ReplyAgency,
    ReplyMember,
    Session,
    Theme,
)
from .redaction import redact

NAME_PREFIX = "reply-archive"
#: A snapshot file name the view will serve: no path separators, no leading dot.
SAFE_ZIP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.zip$")
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
PUBLISHED = Reply.Status.PUBLISHED


class DatasetError(Exception):
    """A snapshot that cannot be written, with the reason."""


# --------------------------------------------------------------------------- table definitions


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: integer, string, date, boolean, array
    description: str
    enum: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        if self.enum:
            described["constraints"] = {"enum": list(self.enum)}
        return described


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[], Iterable[Sequence[Any]]]
    #: (columns, referenced table, referenced columns)
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def schema(self) -> dict[str, Any]:
        return {
            "fields": [column.schema() for column in self.columns],
            "primaryKey": list(self.primary_key),
            "foreignKeys": [
                {"fields": list(cols), "reference": {"resource": table, "fields": list(ref)}}
                for cols, table, ref in self.foreign_keys
            ],
            "missingValues": [""],
        }


def _published_replies():
    return Reply.objects.filter(status=PUBLISHED)


def _reply_rows() -> Iterator[Sequence[Any]]:
    columns = (
        "id",
        "index_no",
        "doc_no",
        "title",
        "kind",
        "role",
        "theme",
        "genre",
        "publisher",
        "sender",
        "sender_agency_id",
        "lead_agency_name",
        "lead_agency_id",
        "co_agency_names",
        "session_name",
        "session_id",
        "proposal_number",
        "proposal_id",
        "proposal_title",
        "member_names",
        "proposer_org",
        "addressee",
        "reply_category",
        "signer",
        "written_date",
        "published_date",
        "signed_date",
        "year",
        "corrected_fields",
        "public_text_value",
    )
    queryset = (
        _published_replies()
        .annotate(public_text_value=PUBLIC_TEXT)
        .order_by("id")
        .values_list(*columns)
    )
    for row in queryset.iterator(chunk_size=500):
        values = dict(zip(columns, row, strict=True))
        index_no = values["index_no"]
        path = (
            reverse("reply", args=[index_no])
            if index_no
            else reverse("reply_by_id", args=[values["id"]])
        )
        # Redacted again here, whatever ARCHIVE_REDACT_CONTACTS says: the public dataset must
        # never carry contact details, even from an archive that shows them on its pages.
        body = redact(values.pop("public_text_value"))
        yield (*values.values(), path, body)


def _values(queryset, *columns: str) -> Iterator[Sequence[Any]]:
    return queryset.values_list(*columns).iterator(chunk_size=2000)


def _sessions():
    linked = Q(replies__status=PUBLISHED) | Q(proposals__replies__status=PUBLISHED)
    return Session.objects.filter(pk__in=Session.objects.filter(linked).values("pk"))


def _commitment_rows() -> Iterator[Sequence[Any]]:
    queryset = Commitment.objects.filter(reply__status=PUBLISHED).order_by("reply_id", "position")
    for reply_id, position, heading, text in _values(
        queryset, "reply_id", "position", "heading", "text"
    ):
        yield reply_id, position, redact(heading), redact(text)


KIND = ("proposal", "suggestion")
ROLE = ("lead", "co")

TABLES: tuple[Table, ...] = (
    Table(
        name="replies",
        description="One row per published reply (答复), with its metadata and redacted text.",
        columns=(
            Column("id", "integer", "Archive id; stable between snapshots."),
            Column("index_no", "string", "索引号: the disclosure catalogue number, when given."),
            Column("doc_no", "string", "发文字号: the reply's document number."),
            Column("title", "string", "标题: the reply's title."),
            Column("kind", "string", "proposal = 政协提案, suggestion = 人大代表建议.", KIND),
            Column(
                "role", "string", "lead = 主办 (the lead agency's reply), co = 协办 opinion.", ROLE
            ),
            Column("theme", "string", "主题分类 as written on the page (see reply_themes)."),
            Column("genre", "string", "体裁分类 as written."),
            Column("publisher", "string", "发布机构 as written (often a short name)."),
            Column("sender", "string", "落款机构: the agency that signed the letter, as written."),
            Column("sender_agency_id", "integer", "The signing agency (agencies.id)."),
            Column("lead_agency_name", "string", "主办单位 as written."),
            Column("lead_agency_id", "integer", "The lead agency (agencies.id)."),
            Column("co_agency_names", "array", "协办/会同单位 as written, in order (JSON array)."),
            Column("session_name", "string", "The meeting (会议) as written."),
            Column("session_id", "integer", "The meeting (sessions.id)."),
            Column("proposal_number", "string", "提案/建议编号 as written (leading zeros kept)."),
            Column("proposal_id", "integer", "The proposal or suggestion (proposals.id)."),
            Column("proposal_title", "string", "The proposal's own title."),
            Column("member_names", "array", "委员/代表 who raised it, as written (JSON array)."),
            Column("proposer_org", "string", "A collective proposer (a party, a committee)."),
            Column("addressee", "string", "称呼: whom the letter addresses."),
            Column("reply_category", "string", "答复类别 letter (A/B/C/D) when stated."),
            Column("signer", "string", "签发人: the official who approved the letter, if named."),
            Column("written_date", "date", "成文日期."),
            Column("published_date", "date", "发布日期."),
            Column("signed_date", "date", "The date under the signature (落款日期)."),
            Column("year", "integer", "Year of the written, else published, else signed date."),
            Column(
                "corrected_fields",
                "array",
                "Fields an archive clerk corrected by hand after parsing (JSON array).",
            ),
            Column("page_path", "string", "Path of the reply's page on the archive's site."),
            Column(
                "body_text",
                "string",
                "The letter from salutation to signature; contact names, telephone numbers "
                "and e-mail addresses replaced by ［已隐去］.",
            ),
        ),
        primary_key=("id",),
        rows=_reply_rows,
        foreign_keys=(
            (("sender_agency_id",), "agencies", ("id",)),
            (("lead_agency_id",), "agencies", ("id",)),
            (("session_id",), "sessions", ("id",)),
            (("proposal_id",), "proposals", ("id",)),
        ),
    ),
    Table(
        name="agencies",
        description="Government agencies (机构) by canonical full name; all the archive knows.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("name", "string", "规范全称: canonical full name."),
            Column("short_name", "string", "简称: the usual short name."),
            Column(
                "level",
                "string",
                "national, provincial (incl. municipalities), city or district.",
                ("national", "provincial", "city", "district"),
            ),
            Column("region", "string", "The region the agency belongs to (empty: national)."),
            Column(
                "needs_review",
                "boolean",
                "true: created automatically from a name no alias matched, not yet confirmed.",
            ),
        ),
        primary_key=("id",),
        rows=lambda: _values(
            Agency.objects.order_by("id"),
            "id",
            "name",
            "short_name",
            "level",
            "region",
            "needs_review",
        ),
    ),
    Table(
        name="agency_aliases",
        description="Other names of agencies; short names apply within a region only.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("agency_id", "integer", "The agency (agencies.id)."),
            Column("name", "string", "The alias, e.g. 市科技局."),
            Column("region", "string", "Where the alias means this agency (empty: everywhere)."),
        ),
        primary_key=("id",),
        rows=lambda: _values(
            AgencyAlias.objects.order_by("id"), "id", "agency_id", "name", "region"
        ),
        foreign_keys=((("agency_id",), "agencies", ("id",)),),
    ),
    Table(
        name="sessions",
        description="Meetings (会议) at which proposals were raised, named within a region.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("name", "string", "The meeting as documents write it."),
            Column("region", "string", "The body's region (empty: national)."),
            Column("label", "string", "Name with region, unique: 市十六届人大二次会议（北京市）."),
            Column("kind", "string", "proposal or suggestion.", KIND),
        ),
        primary_key=("id",),
        rows=lambda: _values(_sessions().order_by("id"), "id", "name", "region", "label", "kind"),
    ),
    Table(
        name="proposals",
        description="Proposals (提案) and suggestions (建议) that published replies answer.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("session_id", "integer", "The meeting (sessions.id)."),
            Column("number", "string", "编号 as written."),
            Column("title", "string", "The proposal's title."),
            Column("kind", "string", "proposal or suggestion.", KIND),
            Column("proposer_org", "string", "A collective proposer, if any."),
        ),
        primary_key=("id",),
        rows=lambda: _values(
            Proposal.objects.filter(
                pk__in=Proposal.objects.filter(replies__status=PUBLISHED).values("pk")
            ).order_by("id"),
            "id",
            "session_id",
            "number",
            "title",
            "kind",
            "proposer_org",
        ),
        foreign_keys=((("session_id",), "sessions", ("id",)),),
    ),
    Table(
        name="members",
        description="CPPCC members (委员) and deputies (代表), by name within their body's region.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("name", "string", "姓名."),
            Column("region", "string", "Region of the body they sit in (empty: national)."),
            Column("label", "string", "Name with region, unique."),
        ),
        primary_key=("id",),
        rows=lambda: _values(
            Member.objects.filter(
                pk__in=Member.objects.filter(reply_links__reply__status=PUBLISHED).values("pk")
            ).order_by("id"),
            "id",
            "name",
            "region",
            "label",
        ),
    ),
    Table(
        name="reply_agencies",
        description="Which agencies handled each reply: the lead (主办) and co-handling (协办).",
        columns=(
            Column("reply_id", "integer", "replies.id"),
            Column("agency_id", "integer", "agencies.id"),
            Column("role", "string", "lead or co.", ROLE),
            Column("position", "integer", "Order in which the letter names it (0 = lead)."),
            Column("name_as_written", "string", "The name the letter uses."),
        ),
        primary_key=("reply_id", "agency_id", "role"),
        rows=lambda: _values(
            ReplyAgency.objects.filter(reply__status=PUBLISHED).order_by(
                "reply_id", "role", "position"
            ),
            "reply_id",
            "agency_id",
            "role",
            "position",
            "name_as_written",
        ),
        foreign_keys=(
            (("reply_id",), "replies", ("id",)),
            (("agency_id",), "agencies", ("id",)),
        ),
    ),
    Table(
        name="reply_members",
        description="Members or deputies who raised the proposal each reply answers.",
        columns=(
            Column("reply_id", "integer", "replies.id"),
            Column("member_id", "integer", "members.id"),
            Column("position", "integer", "Order as named."),
        ),
        primary_key=("reply_id", "member_id"),
        rows=lambda: _values(
            ReplyMember.objects.filter(reply__status=PUBLISHED).order_by("reply_id", "position"),
            "reply_id",
            "member_id",
            "position",
        ),
        foreign_keys=(
            (("reply_id",), "replies", ("id",)),
            (("member_id",), "members", ("id",)),
        ),
    ),
    Table(
        name="themes",
        description="Themes (主题分类), split from the pages' theme field.",
        columns=(Column("id", "integer", "Archive id."), Column("name", "string", "主题.")),
        primary_key=("id",),
        rows=lambda: _values(
            Theme.objects.filter(
                pk__in=Theme.objects.filter(replies__status=PUBLISHED).values("pk")
            ).order_by("id"),
            "id",
            "name",
        ),
    ),
    Table(
        name="reply_themes",
        description="Themes of each reply.",
        columns=(
            Column("reply_id", "integer", "replies.id"),
            Column("theme_id", "integer", "themes.id"),
        ),
        primary_key=("reply_id", "theme_id"),
        rows=lambda: _values(
            Reply.themes.through.objects.filter(reply__status=PUBLISHED).order_by(
                "reply_id", "theme_id"
            ),
            "reply_id",
            "theme_id",
        ),
        foreign_keys=(
            (("reply_id",), "replies", ("id",)),
            (("theme_id",), "themes", ("id",)),
        ),
    ),
    Table(
        name="commitments",
        description="What each reply commits to under its next-steps part (下一步…), in order.",
        columns=(
            Column("reply_id", "integer", "replies.id"),
            Column("position", "integer", "Order in the letter, from 0."),
            Column("heading", "string", "The item's heading (may be empty for 一是/二是 items)."),
            Column("text", "string", "The item's text (contact details redacted)."),
        ),
        primary_key=("reply_id", "position"),
        rows=_commitment_rows,
        foreign_keys=((("reply_id",), "replies", ("id",)),),
    ),
    Table(
        name="cited_documents",
        description="Documents the replies cite as 《title》, identified by title.",
        columns=(
            Column("id", "integer", "Archive id."),
            Column("title", "string", "The document's title, without 《》."),
            Column("doc_no", "string", "Its 文号 when any reply gives one."),
        ),
        primary_key=("id",),
        rows=lambda: _values(
            CitedDocument.objects.filter(
                pk__in=CitedDocument.objects.filter(citations__reply__status=PUBLISHED).values("pk")
            ).order_by("id"),
            "id",
            "title",
            "doc_no",
        ),
    ),
    Table(
        name="citations",
        description="Each citation of a document in a reply, in order.",
        columns=(
            Column("reply_id", "integer", "replies.id"),
            Column("position", "integer", "Order in the letter, from 0."),
            Column("document_id", "integer", "cited_documents.id"),
            Column("doc_no_as_written", "string", "The 文号 as this reply writes it."),
        ),
        primary_key=("reply_id", "position"),
        rows=lambda: _values(
            Citation.objects.filter(reply__status=PUBLISHED).order_by("reply_id", "position"),
            "reply_id",
            "position",
            "document_id",
            "doc_no_as_written",
        ),
        foreign_keys=(
            (("reply_id",), "replies", ("id",)),
            (("document_id",), "cited_documents", ("id",)),
        ),
    ),
)


# --------------------------------------------------------------------------- writing


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class DatasetResult:
    name: str
    directory: Path
    zip_path: Path
    counts: dict[str, int]
    zip_bytes: int
    seconds: float
    warnings: list[str] = field(default_factory=list)


def snapshot_name(day: dt.date) -> str:
    return f"{NAME_PREFIX}-{day.isoformat()}"


def dump_dataset(
    directory: Path | None = None,
    *,
    name: str | None = None,
    force: bool = False,
    base_url: str = "",
) -> DatasetResult:
    """Write the snapshot `name` (default: today's) under `directory` and zip it."""
    import time

    started = time.monotonic()
    directory = Path(directory or settings.ARCHIVE_DATASET_DIR)
    created = timezone.localtime()
    name = name or snapshot_name(created.date())
    if not SAFE_ZIP_NAME.match(name + ".zip"):
        raise DatasetError(f"{name!r}: use letters, digits, '.', '-' and '_' only")
    directory.mkdir(parents=True, exist_ok=True)
    final_dir, zip_path = directory / name, directory / f"{name}.zip"
    if (final_dir.exists() or zip_path.exists()) and not force:
        raise DatasetError(
            f"a snapshot named {name} already exists in {directory}; pass --force to replace "
            "it, or --name to choose another name"
        )
    # Written aside and renamed into place: the site never lists a half-written snapshot.
    work = directory / f".{name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    counts: dict[str, int] = {}
    with consistent_snapshot():
        for table in TABLES:
            counts[table.name] = _write_csv(work / table.filename, table)
        facts = _facts()
    resources = [_resource(work, table) for table in TABLES]
    package = _datapackage(name, created, resources)
    (work / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (work / "README.md").write_text(
        _readme(name, created, counts, facts, base_url), encoding="utf-8"
    )
    partial_zip = directory / f".{name}.zip.partial"
    _zip(work, name, partial_zip)
    if final_dir.exists():
        shutil.rmtree(final_dir)
    work.rename(final_dir)
    os.replace(partial_zip, zip_path)
    return DatasetResult(
        name=name,
        directory=final_dir,
        zip_path=zip_path,
        counts=counts,
        zip_bytes=zip_path.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _write_csv(path: Path, table: Table) -> int:
    count = 0
    # utf-8-sig: the BOM is what makes Excel read the file as UTF-8 (Chinese intact).
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in table.columns])
        for row in table.rows():
            if len(row) != len(table.columns):
                raise DatasetError(f"{table.name}: row with {len(row)} cells, expected columns")
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count


def _resource(directory: Path, table: Table) -> dict[str, Any]:
    data = (directory / table.filename).read_bytes()
    return {
        "name": table.name,
        "path": table.filename,
        "profile": "tabular-data-resource",
        "title": table.name.replace("_", " "),
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        # UTF-8 with a byte order mark; readers that honour the spec's utf-8 skip the BOM.
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "dialect": {"delimiter": ",", "doubleQuote": True, "lineTerminator": "\r\n"},
        "schema": table.schema(),
    }


def _datapackage(name: str, created: dt.datetime, resources: list[dict]) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": NAME_PREFIX,
        "id": name,
        "title": "答复档案库 Reply Archive: replies to CPPCC proposals and people's congress "
        "suggestions",
        "description": (
            "Published replies by Chinese government agencies to CPPCC members' proposals "
            "(政协提案) and people's congress deputies' suggestions (人大代表建议), with the "
            "agencies, members, meetings, proposals, commitments and cited documents they link. "
            "Contact details in the letters are redacted. See README.md."
        ),
        "version": created.date().isoformat(),
        "created": created.isoformat(timespec="seconds"),
        "keywords": ["政协提案", "人大代表建议", "答复", "China", "government", "CPPCC"],
        "licenses": [LICENCE],
        "sources": [{"title": "Reply pages published by the agencies that wrote them"}],
        "resources": resources,
    }


def _facts() -> dict[str, Any]:
    published = _published_replies()
    dates = published.aggregate(first=Min("sort_date"), last=Max("sort_date"))
    return {
        "proposal_replies": published.filter(kind="proposal").count(),
        "suggestion_replies": published.filter(kind="suggestion").count(),
        "first": dates["first"],
        "last": dates["last"],
    }


def _readme(
    name: str, created: dt.datetime, counts: dict[str, int], facts: dict[str, Any], base_url: str
) -> str:
    version = created.date().isoformat()
    where = (
        (base_url.rstrip("/") + "/datasets/") if base_url else "<the archive's address>/datasets/"
    )
    span = (
        f"{facts['first']} – {facts['last']}"
        if facts["first"] and facts["last"]
        else "(no dated replies)"
    )
    lines = [
        "# 答复档案库 Reply Archive — open data snapshot",
        "",
        "政协提案和人大代表建议公开答复的研究数据集。只含已发布的答复，正文中的联系人、电话和电子邮箱已隐去；"
        "不含原始网页文件。",
        "",
        "- **Title:** 答复档案库 Reply Archive: replies to CPPCC proposals and people's "
        "congress suggestions",
        f"- **Version:** {version} (the snapshot date)",
        f"- **Created:** {created.isoformat(timespec='seconds')}",
        f"- **Snapshot:** `{name}`",
        f"- **Replies:** {counts['replies']} published ({facts['proposal_replies']} to CPPCC "
        f"proposals, {facts['suggestion_replies']} to deputies' suggestions), dated {span}",
        "",
        "## Counts",
        "",
        "| file | rows |",
        "|---|---|",
        *[f"| `{table.filename}` | {counts[table.name]} |" for table in TABLES],
        "",
        "## Licence",
        "",
        "The reply texts are publications of the government agencies that wrote them, "
        "reproduced as published. This compilation (selection, structure, links, metadata) is "
        "offered under the Creative Commons Attribution 4.0 International licence (CC BY 4.0, "
        "https://creativecommons.org/licenses/by/4.0/).",
        "",
        "> Note for the archive's owner: confirm this licence before publishing snapshots; "
        "it is the default the software writes, not a legal review.",
        "",
        "## How to cite",
        "",
        f"答复档案库 (Reply Archive). *Replies to CPPCC proposals and people's congress "
        f"suggestions*, snapshot {version}. Dataset, CC BY 4.0. {where}{name}.zip",
        "",
        "Cite the snapshot version: later snapshots add replies and may correct earlier ones. "
        "Ids (`replies.id` and the other `id` columns) are stable between snapshots.",
        "",
        "## Files and columns",
        "",
        "CSV, UTF-8 with a byte order mark (so Excel shows the Chinese), comma-separated, one "
        "header row, quoted where needed (`body_text` contains line breaks). Empty cell = no "
        "value. `array` columns hold a JSON array. `datapackage.json` describes the same "
        "tables (Frictionless Data Package: types, primary and foreign keys, SHA-256 of each "
        "file). Excel cuts cells at 32,767 characters; read long letters with a CSV library.",
        "",
    ]
    for table in TABLES:
        lines += [f"### `{table.filename}`", "", table.description, ""]
        keys = ", ".join(table.primary_key)
        lines += [f"Primary key: {keys}.", "", "| column | type | meaning |", "|---|---|---|"]
        for column in table.columns:
            meaning = column.description
            if column.enum:
                meaning += " One of: " + ", ".join(column.enum) + "."
            lines.append(f"| `{column.name}` | {column.type} | {meaning} |")
        lines.append("")
    lines += [
        "## Personal details",
        "",
        "Replies often end with the handling official's name and telephone number. In this "
        "dataset they are replaced by ［已隐去］ in `body_text` and in commitments. The "
        "original pages are not included. Members' and deputies' names are included: they "
        "are named in the public replies as the authors of the proposals.",
        "",
        "## This is not a backup",
        "",
        "The snapshot holds only published replies and their redacted text; it leaves out "
        "drafts, withdrawn replies, the original source files, earlier revisions and the "
        "clerks' change history. To copy or restore the whole archive, its operator uses:",
        "",
        "```sh",
        "python manage.py export_archive /backups/archive-YYYY-MM-DD   # full backup",
        "python manage.py migrate && python manage.py import_archive /backups/archive-YYYY-MM-DD",
        "```",
        "",
        "(see docs/backups.md in the archive's source).",
        "",
    ]
    return "\n".join(lines)


def _zip(source_dir: Path, name: str, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source_dir.iterdir()):
            archive.write(path, arcname=f"{name}/{path.name}")


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class Snapshot:
    filename: str
    size: int
    modified: dt.datetime

    @property
    def name(self) -> str:
        return self.filename.removesuffix(".zip")

    @property
    def url(self) -> str:
        return reverse("dataset_file", args=[self.filename])


def list_snapshots(directory: Path | None = None) -> list[Snapshot]:
    """The published zips, newest first; nothing if the directory does not exist."""
    directory = Path(directory or settings.ARCHIVE_DATASET_DIR)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    snapshots = []
    for entry in entries:
        if not SAFE_ZIP_NAME.match(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        stat = entry.stat(follow_symlinks=False)
        modified = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
        snapshots.append(Snapshot(entry.name, stat.st_size, modified))
    return sorted(snapshots, key=lambda s: (s.modified, s.filename), reverse=True)


def find_snapshot(filename: str, directory: Path | None = None) -> Path | None:
    """The path of a listed snapshot, or None. Only names the listing shows are served, so no
    path a request makes up (`../settings.py`, a symlink) can leave the directory."""
    directory = Path(directory or settings.ARCHIVE_DATASET_DIR)
    if not SAFE_ZIP_NAME.match(filename):
        return None
    if filename not in {snapshot.filename for snapshot in list_snapshots(directory)}:
        return None
    return directory / filename
