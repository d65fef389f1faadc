"""Full backups of the archive: `export_archive` writes a directory a person can read and check,
`import_archive` verifies it and restores it into an empty database.

A dump is plain files, so it outlives this program and this database:

    DIR/manifest.json           format, counts, and the sha256 and size of every other file
    DIR/agencies.jsonl          one JSON object per line, one file per table (see TABLES)
    DIR/…
    DIR/replies.jsonl           every reply with all its stored fields; links by natural key
    DIR/sources.jsonl           every revision's metadata; the bytes are in sources/<sha256>
    DIR/changes.jsonl           the change history: who, when, what
    DIR/sources/<sha256>        each original file, byte for byte

Links are written as natural keys (an agency's canonical name, a member's name and region, a
proposal's session and number) so the files mean something on their own. The archive's ids are
written too and reused on import, so that public URLs (`/reply/17/`, `/agencies/3/`) keep
working after a restore; ids are never used to resolve a link.

Derived search columns are not dumped: the import recomputes them with the code ingest uses
(`replies.ingest.stored_search_vectors`). User accounts are not part of the archive either; who
did what survives as the names stored beside each source and change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import django
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Prefetch

from . import search
from .agencies import AgencyResolver
from .ingest import stored_search_vectors
from .models import (
    Agency,
    AgencyAlias,
    ChangeRecord,
    Citation,
    CitedDocument,
    Commitment,
    Genre,
    Member,
    PendingUpload,
    Proposal,
    RankEntry,
    Reply,
    ReplyAgency,
    ReplyMember,
    SearchEntry,
    Session,
    Source,
    Theme,
    regional_label,
)
from .search import rank_entry, search_entry

FORMAT_NAME = "reply-archive-dump"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SOURCES_DIR = "sources"

#: Entity tables, in the order they are restored (a proposal needs its session).
ENTITY_FILES: dict[str, type[models.Model]] = {
    "agencies.jsonl": Agency,
    "agency_aliases.jsonl": AgencyAlias,
    "sessions.jsonl": Session,
    "members.jsonl": Member,
    "proposals.jsonl": Proposal,
    "themes.jsonl": Theme,
    "genres.jsonl": Genre,
    "cited_documents.jsonl": CitedDocument,
}
REPLIES_FILE = "replies.jsonl"
SOURCES_FILE = "sources.jsonl"
CHANGES_FILE = "changes.jsonl"
DATA_FILES = (*ENTITY_FILES, REPLIES_FILE, SOURCES_FILE, CHANGES_FILE)

#: Reply columns that are derived at write time and recomputed on import, never dumped.
REPLY_DERIVED = frozenset({"body_simplified"})
#: Models whose ids are reused on import (they appear in public URLs and the open dataset).
MODELS_KEEPING_IDS: tuple[type[models.Model], ...] = (
    Agency,
    AgencyAlias,
    Session,
    Member,
    Proposal,
    Theme,
    Genre,
    CitedDocument,
    Reply,
)
#: Every table a restore writes, children first: the order rows are deleted in.
ARCHIVE_TABLES: tuple[type[models.Model], ...] = (
    SearchEntry,  # derived: rebuilt on import, never dumped
    RankEntry,  # derived: rebuilt on import, never dumped
    ChangeRecord,
    Source,
    Citation,
    Commitment,
    ReplyMember,
    ReplyAgency,
    Reply.themes.through,
    Reply,
    Proposal,
    Session,
    Member,
    Theme,
    Genre,
    CitedDocument,
    AgencyAlias,
    Agency,
)
#: Tables deliberately left out of a backup. A pending upload is a clerk's unfinished review:
#: not yet part of the archive, and discarded after ARCHIVE_PENDING_UPLOAD_DAYS anyway; a clerk
#: restoring from a backup re-uploads what was still waiting (docs/backups.md).
NOT_ARCHIVED: tuple[type[models.Model], ...] = (PendingUpload,)
#: Tables that are not empty in a freshly migrated database (the seed agencies).
SEEDED_TABLES = (AgencyAlias, Agency)

REPLY_BATCH = 500
#: Source bytes held in memory at once while exporting or importing.
SOURCE_BATCH_BYTES = 32 * 1024 * 1024
CHANGE_BATCH = 2000
HASH_CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class ArchiveError(Exception):
    """A dump or a target database the archive refuses, with the reason and the file named."""


# --------------------------------------------------------------------------- field values


def _scalar_fields(model: type[models.Model], exclude: Iterable[str] = ()) -> list[models.Field]:
    """Concrete non-relation columns other than the id: what a row says about itself."""
    skip = set(exclude)
    return [
        f
        for f in model._meta.concrete_fields
        if not f.is_relation and not f.primary_key and f.name not in skip
    ]


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _from_json(model_field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(model_field, models.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(model_field, models.DateField):
        return dt.date.fromisoformat(value)
    return value


def _scalars_of(obj: models.Model, fields: list[models.Field]) -> dict[str, Any]:
    return {f.name: _to_json(getattr(obj, f.attname)) for f in fields}


def human_size(size: int) -> str:
    """`0.4 MB`, `38 KB`: for the commands' summaries."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MB"
    return f"{max(size, 1) / 1024:.0f} KB"


def _table(file_name: str) -> str:
    return file_name.removesuffix(".jsonl")


def _key(name: str, region: str) -> dict[str, str]:
    return {"name": name, "region": region}


# --------------------------------------------------------------------------- writing files


class _HashingWriter:
    """A file written once, hashed as it is written, flushed to disk when closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digest = hashlib.sha256()
        self.size = 0
        self.lines = 0
        self._file: IO[bytes] = path.open("xb")

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.digest.update(data)
        self.size += len(data)

    def write_line(self, obj: dict[str, Any]) -> None:
        self.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        self.lines += 1

    def close(self) -> dict[str, Any]:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return {"sha256": self.digest.hexdigest(), "bytes": self.size}


@dataclass
class ExportResult:
    directory: Path
    counts: dict[str, int]
    bytes: int
    seconds: float
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)


def _prepare_directory(directory: Path, force: bool) -> None:
    if directory.exists() and not directory.is_dir():
        raise ArchiveError(f"{directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    existing = sorted(p.name for p in directory.iterdir())
    if not existing:
        return
    if not force:
        raise ArchiveError(
            f"{directory} is not empty ({', '.join(existing[:5])}{'…' if len(existing) > 5 else ''}); "
            "choose an empty directory, or pass --force to replace a previous dump in it"
        )
    # Only a previous dump's own files are removed; anything else in DIR is left alone.
    for name in (MANIFEST_NAME, MANIFEST_NAME + ".tmp", *DATA_FILES):
        (directory / name).unlink(missing_ok=True)
    shutil.rmtree(directory / SOURCES_DIR, ignore_errors=True)


@contextmanager
def consistent_snapshot() -> Iterator[None]:
    """One consistent view of the database for the whole export, even while clerks upload."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_archive(
    directory: Path, *, force: bool = False, progress: Progress | None = None
) -> ExportResult:
    """Write every table of the archive under `directory` (see the module docstring)."""
    say = progress or (lambda message: None)
    started = time.monotonic()
    directory = Path(directory)
    _prepare_directory(directory, force)
    (directory / SOURCES_DIR).mkdir()
    files: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    warnings: list[str] = []

    def finish(name: str, writer: _HashingWriter) -> None:
        files[name] = writer.close()
        counts[_table(name)] = writer.lines

    with consistent_snapshot():
        for name, model in ENTITY_FILES.items():
            writer = _HashingWriter(directory / name)
            for row in _entity_rows(model):
                writer.write_line(row)
            finish(name, writer)
        say("entities: " + ", ".join(f"{counts[_table(n)]} {_table(n)}" for n in ENTITY_FILES))

        total = Reply.objects.count()
        writer = _HashingWriter(directory / REPLIES_FILE)
        for row in _reply_rows():
            writer.write_line(row)
            if writer.lines % 1000 == 0:
                say(f"… {writer.lines}/{total} replies")
        finish(REPLIES_FILE, writer)

        writer = _HashingWriter(directory / SOURCES_FILE)
        source_files = 0
        for row, content in _source_rows():
            digest = row["sha256"]
            relative = f"{SOURCES_DIR}/{digest}"
            if relative not in files:
                files[relative] = _write_source_file(directory / relative, content)
                source_files += 1
                if files[relative]["sha256"] != digest:
                    warnings.append(
                        f"reply #{row['reply']} revision {row['revision']}: the stored bytes do "
                        f"not match the stored sha256 {digest}; written as they are"
                    )
            writer.write_line(row)
        finish(SOURCES_FILE, writer)
        counts["source_files"] = source_files

        writer = _HashingWriter(directory / CHANGES_FILE)
        for row in _change_rows():
            writer.write_line(row)
        finish(CHANGES_FILE, writer)
        schema = _schema_state()

    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "archive": schema,
        "counts": counts,
        "files": dict(sorted(files.items())),
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode() + b"\n"
    # Source files are not fsynced one by one; one sync before the manifest appears is enough:
    # a dump is complete exactly when its manifest exists.
    os.sync()
    temporary = directory / (MANIFEST_NAME + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(manifest_bytes)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(directory / MANIFEST_NAME)
    total_bytes = sum(entry["bytes"] for entry in files.values()) + len(manifest_bytes)
    return ExportResult(
        directory=directory,
        counts=counts,
        bytes=total_bytes,
        seconds=time.monotonic() - started,
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        warnings=warnings,
    )


def _schema_state() -> dict[str, Any]:
    """What made the dump: a restore into a different schema is refused field by field."""
    last = (
        MigrationRecorder.Migration.objects.filter(app="replies")
        .order_by("-applied", "-id")
        .first()
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "replies_migration": last.name if last else None,
        "django": django.get_version(),
        "postgresql": server_version,
    }


def _entity_rows(model: type[models.Model]) -> Iterator[dict[str, Any]]:
    fields = _scalar_fields(model)
    queryset = model.objects.order_by("pk")
    if model is AgencyAlias:
        for alias in queryset.select_related("agency").iterator(chunk_size=2000):
            yield {"id": alias.pk, "agency": alias.agency.name, **_scalars_of(alias, fields)}
    elif model is Proposal:
        for proposal in queryset.select_related("session").iterator(chunk_size=2000):
            session = _key(proposal.session.name, proposal.session.region)
            yield {"id": proposal.pk, "session": session, **_scalars_of(proposal, fields)}
    else:
        for obj in queryset.iterator(chunk_size=2000):
            yield {"id": obj.pk, **_scalars_of(obj, fields)}


def _reply_rows() -> Iterator[dict[str, Any]]:
    fields = _scalar_fields(Reply, exclude=REPLY_DERIVED)
    queryset = (
        Reply.objects.order_by("pk")
        .defer(*REPLY_DERIVED)
        .select_related(
            "proposal__session", "session", "lead_agency", "sender_agency", "genre_entity"
        )
        .prefetch_related(
            Prefetch("agency_links", ReplyAgency.objects.select_related("agency").order_by("pk")),
            Prefetch("member_links", ReplyMember.objects.select_related("member").order_by("pk")),
            Prefetch("themes", Theme.objects.order_by("name")),
            Prefetch("commitments", Commitment.objects.order_by("position")),
            Prefetch("citations", Citation.objects.select_related("document").order_by("position")),
        )
    )
    for reply in queryset.iterator(chunk_size=REPLY_BATCH):
        proposal = reply.proposal
        links = {
            "proposal": (
                {
                    "session": _key(proposal.session.name, proposal.session.region),
                    "number": proposal.number,
                }
                if proposal
                else None
            ),
            "session": _key(reply.session.name, reply.session.region) if reply.session else None,
            "lead_agency": reply.lead_agency.name if reply.lead_agency else None,
            "sender_agency": reply.sender_agency.name if reply.sender_agency else None,
            "genre": reply.genre_entity.name if reply.genre_entity else None,
            "themes": [theme.name for theme in reply.themes.all()],
            "agencies": [
                {
                    "agency": link.agency.name,
                    "role": link.role,
                    "position": link.position,
                    "name_as_written": link.name_as_written,
                }
                for link in reply.agency_links.all()
            ],
            "members": [
                {**_key(link.member.name, link.member.region), "position": link.position}
                for link in reply.member_links.all()
            ],
            "commitments": [
                {"position": c.position, "heading": c.heading, "text": c.text}
                for c in reply.commitments.all()
            ],
            "citations": [
                {
                    "position": c.position,
                    "document": c.document.title,
                    "doc_no_as_written": c.doc_no_as_written,
                }
                for c in reply.citations.all()
            ],
        }
        yield {"id": reply.pk, **_scalars_of(reply, fields), "links": links}


def _source_rows() -> Iterator[tuple[dict[str, Any], bytes]]:
    """(metadata, bytes) of every revision; bytes are fetched in batches of bounded size."""
    fields = _scalar_fields(Source, exclude={"content"})
    queryset = Source.objects.defer("content").order_by("reply_id", "revision")
    batch: list[Source] = []
    batch_bytes = 0
    for source in queryset.iterator(chunk_size=1000):
        batch.append(source)
        batch_bytes += source.size
        if batch_bytes >= SOURCE_BATCH_BYTES or len(batch) >= 1000:
            yield from _with_content(batch, fields)
            batch, batch_bytes = [], 0
    yield from _with_content(batch, fields)


def _with_content(
    batch: list[Source], fields: list[models.Field]
) -> Iterator[tuple[dict[str, Any], bytes]]:
    if not batch:
        return
    contents = dict(
        Source.objects.filter(pk__in=[s.pk for s in batch]).values_list("pk", "content")
    )
    for source in batch:
        row = {"reply": source.reply_id, **_scalars_of(source, fields)}
        yield row, bytes(contents[source.pk])


def _write_source_file(path: Path, content: bytes) -> dict[str, Any]:
    with path.open("xb") as handle:
        handle.write(content)
    return {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}


def _change_rows() -> Iterator[dict[str, Any]]:
    fields = _scalar_fields(ChangeRecord)
    queryset = ChangeRecord.objects.select_related("source").order_by("pk").defer("source__content")
    for record in queryset.iterator(chunk_size=CHANGE_BATCH):
        yield {
            "reply": record.reply_id,
            "source_revision": record.source.revision if record.source else None,
            **_scalars_of(record, fields),
        }


# --------------------------------------------------------------------------- verifying a dump


def verify_dump(directory: Path) -> tuple[dict[str, Any], list[str]]:
    """Check the manifest and every file it lists; return (manifest, warnings).

    Raises ArchiveError naming the first file that is missing, changed or unreadable.
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ArchiveError(
            f"{manifest_path}: missing — not a dump made by export_archive, or an export that "
            "did not finish"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{manifest_path}: unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ArchiveError(f"{manifest_path}: not a {FORMAT_NAME} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"{manifest_path}: format version {manifest.get('format_version')!r}; this program "
            f"reads version {FORMAT_VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ArchiveError(f"{manifest_path}: no file list")
    for name in DATA_FILES:
        if name not in files:
            raise ArchiveError(f"{name}: not listed in the manifest — the dump is incomplete")
    for name, expected in files.items():
        path = directory / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise ArchiveError(f"{name}: the manifest names a file outside the dump")
        if not path.is_file():
            raise ArchiveError(
                f"{name}: listed in the manifest but missing — the dump is incomplete"
            )
        size, digest = _hash_file(path)
        if size != expected.get("bytes") or digest != expected.get("sha256"):
            raise ArchiveError(
                f"{name}: does not match the manifest (sha256 {digest}, {size} bytes; expected "
                f"{expected.get('sha256')}, {expected.get('bytes')} bytes) — the file was "
                "changed or damaged after export"
            )
    listed = set(files) | {MANIFEST_NAME}
    warnings = [
        f"{name}: not in the manifest; ignored"
        for name in sorted(
            str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()
        )
        if name not in listed
    ]
    return manifest, warnings


def _hash_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _read_lines(directory: Path, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with (directory / name).open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ArchiveError(f"{name}: line {number}: not valid JSON ({exc})") from exc
            if not isinstance(row, dict):
                raise ArchiveError(f"{name}: line {number}: not a JSON object")
            yield number, row


# --------------------------------------------------------------------------- importing


@dataclass
class ImportResult:
    counts: dict[str, int]
    seconds: float
    warnings: list[str]


def archive_row_counts() -> dict[str, int]:
    return {model._meta.db_table: model.objects.count() for model in ARCHIVE_TABLES}


def import_archive(
    directory: Path, *, replace: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Verify the dump in `directory`, then restore it in one transaction.

    The target must hold no replies and nothing linked to them (a freshly migrated database;
    its seed agencies are replaced by the dump's). With `replace`, whatever the archive tables
    hold is deleted first, in the same transaction: a failed import leaves it as it was.
    """
    say = progress or (lambda message: None)
    started = time.monotonic()
    directory = Path(directory)
    manifest, warnings = verify_dump(directory)
    say(f"dump verified: {len(manifest['files'])} files match the manifest")
    made_at = (manifest.get("archive") or {}).get("replies_migration")
    here = _schema_state()["replies_migration"]
    if made_at != here:
        # Not fatal: a column the dump has and the models lack is refused row by row below,
        # and a column the dump lacks takes its default.
        warnings.append(f"the dump was made at migration {made_at}, this database is at {here}")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Nobody ingests between the emptiness check and the end of the restore.
                cursor.execute(f'LOCK TABLE "{Reply._meta.db_table}" IN EXCLUSIVE MODE')
            _check_target(replace)
            _empty_archive_tables()
            restorer = _Restorer(directory, manifest, say)
            with _stored_timestamps():
                restorer.entities()
                restorer.replies()
                restorer.sources()
                restorer.changes()
            _advance_sequences()
    except DatabaseError as exc:
        # The transaction was rolled back: say so in the same words as any other refusal.
        raise ArchiveError(f"the database refused the dump, nothing was changed: {exc}") from exc
    return ImportResult(
        counts=restorer.counts, seconds=time.monotonic() - started, warnings=warnings
    )


def _check_target(replace: bool) -> None:
    held = {
        model.__name__: model.objects.count()
        for model in ARCHIVE_TABLES
        if model not in SEEDED_TABLES and model.objects.exists()
    }
    if held and not replace:
        summary = ", ".join(f"{count} {name}" for name, count in held.items())
        raise ArchiveError(
            f"the database already holds archive data ({summary}); import_archive restores "
            "into an empty archive. Restore into a freshly migrated database, or pass --replace "
            "to delete what is there first (in the same transaction)"
        )


def _empty_archive_tables() -> None:
    # DELETE, not TRUNCATE: TRUNCATE refuses tables with pending deferred-constraint events,
    # which a caller's transaction (the tests') may have.
    with connection.cursor() as cursor:
        for model in ARCHIVE_TABLES:
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')


def _advance_sequences() -> None:
    """Move id sequences past the restored ids, never back: an id the public site once used
    is not handed to another row after `--replace` (and sequences, which PostgreSQL does not
    roll back, stay valid if the transaction does not commit)."""
    with connection.cursor() as cursor:
        for model in MODELS_KEEPING_IDS:
            table = model._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f'"{table}"', "id"])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f'SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), '
                f"(SELECT last_value FROM {sequence}), 1))",
                [sequence],
            )


@contextmanager
def _stored_timestamps() -> Iterator[None]:
    """Keep the dump's created/uploaded/changed times: switch auto_now(_add) off meanwhile.

    Process-wide, which is why only the import command (one thread) uses it."""
    timestamp_fields = [
        f
        for model in (Reply, Source, ChangeRecord)
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in timestamp_fields]
    for f in timestamp_fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _natural(row: dict[str, Any], where: str) -> tuple[str, str]:
    try:
        return row["name"], row.get("region", "")
    except (KeyError, TypeError) as exc:
        raise ArchiveError(f"{where}: expected {{name, region}}, got {row!r}") from exc


class _Restorer:
    """Reads the dump's files in order, resolving natural keys to the rows it created."""

    def __init__(self, directory: Path, manifest: dict[str, Any], say: Progress) -> None:
        self.directory = directory
        self.manifest = manifest
        self.say = say
        self.counts: dict[str, int] = {}
        self.agencies: dict[str, Agency] = {}
        self.sessions: dict[tuple[str, str], int] = {}
        self.members: dict[tuple[str, str], int] = {}
        self.proposals: dict[tuple[tuple[str, str], str], int] = {}
        self.themes: dict[str, int] = {}
        self.genres: dict[str, int] = {}
        self.documents: dict[str, int] = {}
        self.reply_ids: set[int] = set()
        self.source_ids: dict[tuple[int, int], int] = {}
        #: Matching vectors of replies read but not yet stored, for their search entries.
        self.vectors: dict[int, Any] = {}

    # -- helpers

    def _model_kwargs(
        self, model: type[models.Model], row: dict[str, Any], where: str, known: set[str]
    ) -> dict[str, Any]:
        """Column values from a row; a column this schema does not have is an error, never
        silently dropped."""
        fields = {f.name: f for f in _scalar_fields(model)}
        unknown = set(row) - set(fields) - known
        if unknown:
            raise ArchiveError(
                f"{where}: {', '.join(sorted(unknown))} — not a column of {model.__name__} in "
                f"this version (dump made at migration "
                f"{self.manifest.get('archive', {}).get('replies_migration')}); restore with the "
                "version of the archive that wrote it"
            )
        try:
            return {name: _from_json(fields[name], row[name]) for name in fields if name in row}
        except (TypeError, ValueError) as exc:
            raise ArchiveError(f"{where}: {exc}") from exc

    def _lookup(self, table: dict, key: Any, what: str, where: str) -> Any:
        try:
            return table[key]
        except (KeyError, TypeError) as exc:
            raise ArchiveError(f"{where}: {what} {key!r} is not in the dump") from exc

    # -- tables

    def entities(self) -> None:
        session_keys: dict[int, tuple[str, str]] = {}
        for name, model in ENTITY_FILES.items():
            objects = []
            for number, row in _read_lines(self.directory, name):
                where = f"{name}: line {number}"
                if model is AgencyAlias:
                    agency = self._lookup(self.agencies, row.get("agency"), "agency", where)
                    kwargs = self._model_kwargs(model, row, where, {"id", "agency"})
                    objects.append(AgencyAlias(pk=row.get("id"), agency=agency, **kwargs))
                    continue
                kwargs = self._model_kwargs(model, row, where, {"id", "session"})
                if model is Proposal:
                    session_key = _natural(row.get("session"), where)
                    kwargs["session_id"] = self._lookup(
                        self.sessions, session_key, "session", where
                    )
                if model in (Member, Session) and not kwargs.get("label"):
                    # bulk_create skips save(), which is where labels are made.
                    kwargs["label"] = regional_label(
                        kwargs.get("name", ""), kwargs.get("region", "")
                    )
                objects.append(model(pk=row.get("id"), **kwargs))
            created = model.objects.bulk_create(objects, batch_size=1000)
            self.counts[_table(name)] = len(created)
            for obj in created:
                if model is Agency:
                    self.agencies[obj.name] = obj
                elif model is Session:
                    self.sessions[(obj.name, obj.region)] = obj.pk
                    session_keys[obj.pk] = (obj.name, obj.region)
                elif model is Member:
                    self.members[(obj.name, obj.region)] = obj.pk
                elif model is Proposal:
                    self.proposals[(session_keys[obj.session_id], obj.number)] = obj.pk
                elif model is Theme:
                    self.themes[obj.name] = obj.pk
                elif model is Genre:
                    self.genres[obj.name] = obj.pk
                elif model is CitedDocument:
                    self.documents[obj.title] = obj.pk
        self.say(
            "entities: " + ", ".join(f"{count} {table}" for table, count in self.counts.items())
        )

    def replies(self) -> None:
        # The segmenter learns every restored name first, as ingest's dictionary would hold them.
        search.load_dictionary_from_db()
        resolver = AgencyResolver()
        resolver.load()
        total = self.manifest.get("counts", {}).get("replies") or 0
        started = time.monotonic()
        batch: list[tuple[Reply, dict[str, Any], str]] = []
        done = 0
        for number, row in _read_lines(self.directory, REPLIES_FILE):
            where = f"{REPLIES_FILE}: line {number}"
            batch.append((self._reply(row, where, resolver), row.get("links") or {}, where))
            if len(batch) >= REPLY_BATCH:
                done += self._save_replies(batch)
                batch = []
                rate = done / max(time.monotonic() - started, 1e-9)
                self.say(f"… {done}/{total} replies ({rate:.0f}/s)")
        done += self._save_replies(batch)
        self.counts["replies"] = done
        self.say(f"replies: {done}")

    def _reply(self, row: dict[str, Any], where: str, resolver: AgencyResolver) -> Reply:
        kwargs = self._model_kwargs(Reply, row, where, {"id", "links"})
        if set(kwargs) & REPLY_DERIVED:
            raise ArchiveError(f"{where}: search columns are recomputed, not imported")
        if not isinstance(row.get("id"), int):
            raise ArchiveError(f"{where}: a reply needs its integer id")
        links = row.get("links") or {}
        reply = Reply(pk=row["id"], **kwargs)
        if links.get("proposal"):
            proposal = links["proposal"]
            session_key = _natural(proposal.get("session"), where)
            reply.proposal_id = self._lookup(
                self.proposals, (session_key, proposal.get("number")), "proposal", where
            )
        if links.get("session"):
            reply.session_id = self._lookup(
                self.sessions, _natural(links["session"], where), "session", where
            )
        if links.get("lead_agency"):
            reply.lead_agency = self._lookup(self.agencies, links["lead_agency"], "agency", where)
        if links.get("sender_agency"):
            reply.sender_agency = self._lookup(
                self.agencies, links["sender_agency"], "agency", where
            )
        if links.get("genre"):
            reply.genre_entity_id = self._lookup(self.genres, links["genre"], "genre", where)
        vectors = stored_search_vectors(reply, resolver)
        reply.body_simplified = vectors.body_simplified
        # The matching vectors go to the reply's search entry, once its links are stored.
        self.vectors[reply.pk] = vectors
        if reply.pk in self.reply_ids:
            raise ArchiveError(f"{where}: reply id {reply.pk} appears twice")
        self.reply_ids.add(reply.pk)
        return reply

    def _save_replies(self, batch: list[tuple[Reply, dict[str, Any], str]]) -> int:
        if not batch:
            return 0
        Reply.objects.bulk_create([reply for reply, _, _ in batch])
        agency_links, member_links, theme_links, commitments, citations = [], [], [], [], []
        for reply, links, where in batch:
            for link in links.get("agencies", []):
                agency_links.append(
                    ReplyAgency(
                        reply_id=reply.pk,
                        agency=self._lookup(self.agencies, link.get("agency"), "agency", where),
                        role=link["role"],
                        position=link.get("position", 0),
                        name_as_written=link.get("name_as_written", ""),
                    )
                )
            for link in links.get("members", []):
                member_links.append(
                    ReplyMember(
                        reply_id=reply.pk,
                        member_id=self._lookup(
                            self.members, _natural(link, where), "member", where
                        ),
                        position=link.get("position", 0),
                    )
                )
            for name in links.get("themes", []):
                theme_links.append(
                    Reply.themes.through(
                        reply_id=reply.pk,
                        theme_id=self._lookup(self.themes, name, "theme", where),
                    )
                )
            for item in links.get("commitments", []):
                commitments.append(
                    Commitment(
                        reply_id=reply.pk,
                        position=item["position"],
                        heading=item.get("heading", ""),
                        text=item.get("text", ""),
                    )
                )
            for item in links.get("citations", []):
                citations.append(
                    Citation(
                        reply_id=reply.pk,
                        document_id=self._lookup(
                            self.documents, item.get("document"), "cited document", where
                        ),
                        position=item["position"],
                        doc_no_as_written=item.get("doc_no_as_written", ""),
                    )
                )
        ReplyAgency.objects.bulk_create(agency_links)
        ReplyMember.objects.bulk_create(member_links)
        Reply.themes.through.objects.bulk_create(theme_links)
        Commitment.objects.bulk_create(commitments)
        Citation.objects.bulk_create(citations)
        agencies_of: dict[int, list] = {}
        for link in agency_links:
            agencies_of.setdefault(link.reply_id, []).append((link.agency_id, link.role))
        themes_of: dict[int, list] = {}
        for link in theme_links:
            themes_of.setdefault(link.reply_id, []).append(link.theme_id)
        members_of: dict[int, list] = {}
        for link in member_links:
            members_of.setdefault(link.reply_id, []).append(link.member_id)
        vectors = {reply.pk: self.vectors.pop(reply.pk) for reply, _, _ in batch}
        SearchEntry.objects.bulk_create(
            [
                search_entry(
                    reply,
                    vectors[reply.pk],
                    agency_links=agencies_of.get(reply.pk, []),
                    theme_ids=themes_of.get(reply.pk, []),
                    member_ids=members_of.get(reply.pk, []),
                )
                for reply, _, _ in batch
            ]
        )
        RankEntry.objects.bulk_create(
            [rank_entry(reply, vectors[reply.pk]) for reply, _, _ in batch]
        )
        return len(batch)

    def sources(self) -> None:
        files = self.manifest["files"]
        batch: list[Source] = []
        batch_bytes = 0
        count = 0
        for number, row in _read_lines(self.directory, SOURCES_FILE):
            where = f"{SOURCES_FILE}: line {number}"
            kwargs = self._model_kwargs(Source, row, where, {"reply"})
            if row.get("reply") not in self.reply_ids:
                raise ArchiveError(f"{where}: reply {row.get('reply')!r} is not in the dump")
            relative = f"{SOURCES_DIR}/{row.get('sha256')}"
            if relative not in files:
                raise ArchiveError(f"{where}: {relative} is not in the manifest")
            content = (self.directory / relative).read_bytes()
            batch.append(Source(reply_id=row["reply"], content=content, **kwargs))
            batch_bytes += len(content)
            if batch_bytes >= SOURCE_BATCH_BYTES:
                count += self._save_sources(batch)
                batch, batch_bytes = [], 0
        count += self._save_sources(batch)
        self.counts["sources"] = count
        self.say(f"sources: {count}")

    def _save_sources(self, batch: list[Source]) -> int:
        for source in Source.objects.bulk_create(batch):
            self.source_ids[(source.reply_id, source.revision)] = source.pk
        return len(batch)

    def changes(self) -> None:
        batch: list[ChangeRecord] = []
        count = 0
        for number, row in _read_lines(self.directory, CHANGES_FILE):
            where = f"{CHANGES_FILE}: line {number}"
            kwargs = self._model_kwargs(ChangeRecord, row, where, {"reply", "source_revision"})
            reply_id = row.get("reply")
            if reply_id not in self.reply_ids:
                raise ArchiveError(f"{where}: reply {reply_id!r} is not in the dump")
            source_id = None
            if row.get("source_revision") is not None:
                source_id = self._lookup(
                    self.source_ids,
                    (reply_id, row["source_revision"]),
                    "source revision (reply, revision)",
                    where,
                )
            batch.append(ChangeRecord(reply_id=reply_id, source_id=source_id, **kwargs))
            if len(batch) >= CHANGE_BATCH:
                count += len(ChangeRecord.objects.bulk_create(batch))
                batch = []
        count += len(ChangeRecord.objects.bulk_create(batch))
        self.counts["changes"] = count
        self.say(f"changes: {count}")
