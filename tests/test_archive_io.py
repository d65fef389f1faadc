"""Full backups: export_archive → delete everything → import_archive gives back the same archive."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.http import QueryDict

from replies.agencies import AgencyResolver
from replies.archive_io import (
    ARCHIVE_TABLES,
    MANIFEST_NAME,
    NOT_ARCHIVED,
    REPLY_DERIVED,
    ArchiveError,
    export_archive,
    import_archive,
)
from replies.ingest import Context, correct_reply, ingest_source, set_status, stored_search_vectors
from replies.models import (
    Agency,
    AgencyAlias,
    ChangeRecord,
    CitedDocument,
    Genre,
    Member,
    Proposal,
    Reply,
    Session,
    Source,
    Theme,
)
from replies.search import run_search
from tests.conftest import FIXTURES, SEED_INDEX_NO

MOST_FILE = "most-2024-03105.txt"
JW_INDEX_NO = "11500000009275780L/2024-00213"
CLERK_ALIAS = "重庆科技局"
QUERIES = ("孵化", "科技", "市科技局", "李洁", "渝科局函〔2024〕275号", "教育", "乡村振兴", "交通")


# --------------------------------------------------------------------------- building the state


@pytest.fixture
def lived_in_archive(ingested) -> dict[str, Any]:
    """Every fixture, plus what clerks do: a correction, a new revision, a withdrawal, an alias."""
    clerk = Context(user_name="clerk-wang")
    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    correct_reply(seed, {"signer": "明炬局长", "members": ["李洁", "王五"]}, clerk)

    original = (FIXTURES / MOST_FILE).read_bytes()
    revised = original.replace("科技".encode(), "科学技术".encode(), 1)
    assert revised != original
    outcome = ingest_source(revised, "most-2024-03105-v2.txt", clerk)
    assert outcome.status == "updated"

    set_status(Reply.objects.get(index_no=JW_INDEX_NO), Reply.Status.WITHDRAWN, clerk)
    AgencyAlias.objects.create(agency=seed.lead_agency, name=CLERK_ALIAS, region="")
    return {"revised_reply_id": outcome.reply_id}


# --------------------------------------------------------------------------- describing the state


def _columns(obj: models.Model, *, exclude: set[str] = frozenset()) -> dict[str, Any]:
    """Every concrete non-relation column but the id, read from the row."""
    return {
        f.name: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.is_relation and not f.primary_key and f.name not in exclude
    }


def _reply_key(reply: Reply) -> tuple:
    return (reply.index_no, reply.title, reply.sender, reply.role)


def describe_archive() -> dict[str, Any]:
    """The whole archive by natural keys (no ids), fine-grained enough to see any loss."""
    replies = {}
    for reply in Reply.objects.all():
        proposal = reply.proposal
        replies[_reply_key(reply)] = {
            "columns": _columns(reply, exclude=set(REPLY_DERIVED)),
            "proposal": proposal and (proposal.session.label, _columns(proposal)),
            "session": reply.session and _columns(reply.session),
            "lead_agency": reply.lead_agency and reply.lead_agency.name,
            "sender_agency": reply.sender_agency and reply.sender_agency.name,
            "genre": reply.genre_entity and reply.genre_entity.name,
            "themes": sorted(theme.name for theme in reply.themes.all()),
            "agencies": sorted(
                (link.agency.name, link.role, link.position, link.name_as_written)
                for link in reply.agency_links.all()
            ),
            "members": [
                (link.member.label, link.position)
                for link in reply.member_links.order_by("position")
            ],
            "commitments": [
                (c.position, c.heading, c.text) for c in reply.commitments.order_by("position")
            ],
            "citations": [
                (c.position, c.document.title, c.document.doc_no, c.doc_no_as_written)
                for c in reply.citations.order_by("position")
            ],
            "sources": [
                (_columns(source, exclude={"content"}), bytes(source.content))
                for source in reply.sources.order_by("revision")
            ],
            "changes": [
                (_columns(record), record.source and record.source.revision)
                for record in reply.changes.order_by("at", "id")
            ],
        }
    return {
        "replies": replies,
        "agencies": sorted(
            (
                tuple(_columns(agency).values()),
                sorted((alias.name, alias.region) for alias in agency.aliases.all()),
            )
            for agency in Agency.objects.all()
        ),
        "aliases": sorted(AgencyAlias.objects.values_list("name", "region", "agency__name")),
        "members": sorted(Member.objects.values_list("name", "region", "label")),
        "sessions": sorted(Session.objects.values_list("name", "region", "label", "kind")),
        "proposals": sorted(
            Proposal.objects.values_list("session__label", "number", "title", "kind")
        ),
        "themes": sorted(Theme.objects.values_list("name", flat=True)),
        "genres": sorted(Genre.objects.values_list("name", flat=True)),
        "documents": sorted(CitedDocument.objects.values_list("title", "doc_no")),
    }


def search_results() -> dict[str, list[tuple]]:
    results = {}
    for query in QUERIES:
        params = QueryDict(mutable=True)
        params["q"] = query
        results[query] = [_reply_key(hit.reply) for hit in run_search(params).hits]
    return results


def expected_vectors() -> dict[tuple, tuple[str, ...]]:
    """What ingest's code computes for each reply now. The segmenter learns every name in the
    database first, as import does: the stored vectors depend on the names it knew when each
    reply was ingested (agencies created on the way are only learnt by the next process)."""
    from replies import search

    search.load_dictionary_from_db()
    resolver = AgencyResolver()
    expected = {}
    for reply in Reply.objects.select_related("sender_agency"):
        vectors = stored_search_vectors(reply, resolver)
        expected[_reply_key(reply)] = (
            vectors.words,
            vectors.title,
            vectors.bigrams,
            vectors.title,
        )
    return expected


def stored_vectors() -> dict[tuple, tuple[str, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, k.words::text, k.title::text, e.bigrams::text, e.title::text "
            "FROM replies_reply r JOIN replies_searchentry e ON e.reply_id = r.id "
            "JOIN replies_rankentry k ON k.reply_id = r.id"
        )
        by_id = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    return {_reply_key(reply): by_id[reply.pk] for reply in Reply.objects.all()}


def canonical_tsvector(literal: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsvector::text", [literal])
        return cursor.fetchone()[0]


def delete_archive() -> None:
    """What losing the database looks like, inside the test's transaction."""
    ChangeRecord.objects.all().delete()
    Source.objects.all().delete()
    Reply.objects.all().delete()
    for model in (Proposal, Session, Member, Theme, Genre, CitedDocument, AgencyAlias, Agency):
        model.objects.all().delete()


# --------------------------------------------------------------------------- round trip


def test_round_trip_restores_everything(lived_in_archive, tmp_path):
    before = describe_archive()
    searches = search_results()
    vectors = {
        key: tuple(canonical_tsvector(v) for v in pair) for key, pair in expected_vectors().items()
    }
    ids = dict(Reply.objects.values_list("index_no", "id"))
    assert any(len(r["sources"]) == 2 for r in before["replies"].values())
    assert any(r["columns"]["status"] == "withdrawn" for r in before["replies"].values())
    assert any(r["columns"]["corrected_fields"] for r in before["replies"].values())

    dump = tmp_path / "dump"
    call_command("export_archive", str(dump))
    delete_archive()
    assert Reply.objects.count() == Agency.objects.count() == 0
    call_command("import_archive", str(dump))

    after = describe_archive()
    assert after.keys() == before.keys()
    assert after["replies"].keys() == before["replies"].keys()
    for key, reply in before["replies"].items():
        for part, value in reply.items():
            assert after["replies"][key][part] == value, (key, part)
    for table in before:
        assert after[table] == before[table], table
    assert ("重庆科技局", "", "重庆市科学技术局") in after["aliases"]

    # Search: vectors come from the ingest code path, and queries find the same replies.
    assert stored_vectors() == vectors
    assert search_results() == searches
    assert all(searches[q] for q in ("孵化", "李洁", "市科技局"))
    # Ids are reused so public URLs keep working.
    assert dict(Reply.objects.values_list("index_no", "id")) == ids


def test_restored_archive_keeps_working(lived_in_archive, tmp_path):
    """Sequences continue after the restored ids; ingest and re-ingest behave as before."""
    dump = tmp_path / "dump"
    export_archive(dump)
    delete_archive()
    import_archive(dump)
    top = Reply.objects.order_by("-id").first().pk
    original = (FIXTURES / "000_81af6d2964a35163.txt").read_bytes()
    assert ingest_source(original, "again.txt").status == "unchanged"
    fresh = original.replace(b"2024-00079", b"2024-99999")
    outcome = ingest_source(fresh, "new.txt")
    assert outcome.status == "created"
    assert outcome.reply_id > top
    theme = Theme.objects.create(name="新主题")
    assert theme.pk > 0


def test_dump_files_are_plain_and_complete(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    result = export_archive(dump)
    manifest = json.loads((dump / MANIFEST_NAME).read_text())
    assert manifest["format_version"] == 1
    assert manifest["counts"]["replies"] == Reply.objects.count()
    assert manifest["counts"]["sources"] == Source.objects.count()
    assert manifest["counts"]["changes"] == ChangeRecord.objects.count()
    assert manifest["counts"]["agency_aliases"] == AgencyAlias.objects.count()
    on_disk = {str(p.relative_to(dump)) for p in dump.rglob("*") if p.is_file()}
    assert on_disk == set(manifest["files"]) | {MANIFEST_NAME}
    assert result.counts == manifest["counts"]
    # Source files are the original bytes under their sha256.
    for source in Source.objects.all():
        assert (dump / "sources" / source.sha256).read_bytes() == bytes(source.content)
    # Lines are readable JSON with Chinese as Chinese, links by natural key.
    first = (dump / "replies.jsonl").read_text(encoding="utf-8").splitlines()[0]
    row = json.loads(first)
    assert "\\u" not in first
    assert not REPLY_DERIVED & set(row)
    assert set(row["links"]) >= {"proposal", "agencies", "members", "themes", "citations"}


def test_every_reply_column_and_link_is_in_the_dump(lived_in_archive, tmp_path):
    """A column or relation added to the models later must be added to the dump format too."""
    dump = tmp_path / "dump"
    export_archive(dump)
    row = json.loads((dump / "replies.jsonl").read_text(encoding="utf-8").splitlines()[0])
    columns = {
        f.name for f in Reply._meta.concrete_fields if not f.is_relation and not f.primary_key
    }
    assert set(row) - {"id", "links"} == columns - REPLY_DERIVED
    forward = {f.name for f in Reply._meta.get_fields() if f.is_relation and not f.auto_created}
    assert forward == {
        "proposal",
        "session",
        "lead_agency",
        "sender_agency",
        "agencies",
        "members",
        "themes",
        "genre_entity",
    }
    reverse = {rel.get_accessor_name() for rel in Reply._meta.related_objects}
    assert reverse == {
        "agency_links",
        "member_links",
        "commitments",
        "citations",
        "sources",
        "changes",
        "search_entry",  # derived: rebuilt by import, compared in the round trip above
        "rank_entry",  # derived, as the search entry
    }
    archived = {model for model in ARCHIVE_TABLES if not model._meta.auto_created}
    assert set(apps.get_app_config("replies").get_models()) == archived | set(NOT_ARCHIVED)


# --------------------------------------------------------------------------- refusals


def test_tampered_file_is_refused_and_nothing_is_imported(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    export_archive(dump)
    delete_archive()
    replies_file = dump / "replies.jsonl"
    replies_file.write_bytes(replies_file.read_bytes().replace("孵化".encode(), "孵育".encode(), 1))
    with pytest.raises(CommandError, match=r"replies\.jsonl: does not match the manifest"):
        call_command("import_archive", str(dump))
    assert Reply.objects.count() == 0


def test_changed_or_missing_source_file_is_refused(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    export_archive(dump)
    delete_archive()
    source_files = sorted((dump / "sources").iterdir())
    original = source_files[0].read_bytes()
    source_files[0].write_bytes(original + b" ")
    with pytest.raises(ArchiveError, match=f"sources/{source_files[0].name}: does not match"):
        import_archive(dump)
    source_files[0].write_bytes(original)
    source_files[1].unlink()
    with pytest.raises(ArchiveError, match=f"sources/{source_files[1].name}: .*missing"):
        import_archive(dump)
    assert Reply.objects.count() == 0


def test_unfinished_export_is_refused(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    export_archive(dump)
    delete_archive()
    (dump / MANIFEST_NAME).unlink()
    with pytest.raises(ArchiveError, match=r"manifest\.json: missing"):
        import_archive(dump)


def test_non_empty_target_is_refused_unless_replace(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    export_archive(dump)
    before = describe_archive()
    with pytest.raises(CommandError, match="already holds archive data"):
        call_command("import_archive", str(dump))
    assert describe_archive() == before
    # --replace deletes and restores in one transaction: the result is the dump.
    Reply.objects.filter(index_no=SEED_INDEX_NO).update(title="changed after the dump")
    call_command("import_archive", str(dump), "--replace")
    assert describe_archive() == before


def rewrite_in_dump(dump: Path, name: str, change) -> None:
    """Edit a dump file and update its manifest entry, as a careless hand edit would."""
    path = dump / name
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")
    manifest = json.loads((dump / MANIFEST_NAME).read_text())
    data = path.read_bytes()
    manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (dump / MANIFEST_NAME).write_text(json.dumps(manifest))


def test_failed_import_leaves_the_target_as_it_was(lived_in_archive, tmp_path):
    """A dump that verifies but cannot be restored (a link to nothing) changes nothing."""
    dump = tmp_path / "dump"
    export_archive(dump)
    before = describe_archive()

    def link_to_nothing(lines: list[str]) -> list[str]:
        row = json.loads(lines[-1])
        row["links"]["themes"] = ["没有这个主题"]
        return [*lines[:-1], json.dumps(row, ensure_ascii=False)]

    rewrite_in_dump(dump, "replies.jsonl", link_to_nothing)
    with pytest.raises(ArchiveError, match=r"replies\.jsonl: line \d+: theme '没有这个主题'"):
        import_archive(dump, replace=True)
    assert describe_archive() == before


def test_dump_the_database_refuses_is_rolled_back(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    export_archive(dump)
    before = describe_archive()

    def duplicate_index_no(lines: list[str]) -> list[str]:
        row = json.loads(lines[0])
        row["id"] = 999_999
        return [*lines, json.dumps(row, ensure_ascii=False)]

    rewrite_in_dump(dump, "replies.jsonl", duplicate_index_no)
    with pytest.raises(ArchiveError, match="database refused the dump, nothing was changed"):
        import_archive(dump, replace=True)
    assert describe_archive() == before


def test_export_refuses_a_non_empty_directory_unless_forced(lived_in_archive, tmp_path):
    dump = tmp_path / "dump"
    dump.mkdir()
    (dump / "notes.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_archive", str(dump))
    call_command("export_archive", str(dump), "--force")
    call_command("export_archive", str(dump), "--force")
    assert (dump / "notes.txt").read_text() == "keep me"
    manifest = json.loads((dump / MANIFEST_NAME).read_text())
    assert "notes.txt" not in manifest["files"]
    delete_archive()
    result = import_archive(dump)
    assert result.warnings == ["notes.txt: not in the manifest; ignored"]


def test_commands_print_progress_and_summary(lived_in_archive, tmp_path, capsys):
    dump = tmp_path / "dump"
    call_command("export_archive", str(dump))
    out = capsys.readouterr().out
    count = Reply.objects.count()
    assert f"exported {count} replies" in out
    assert "manifest.json sha256 " in out
    delete_archive()
    call_command("import_archive", str(dump))
    out = capsys.readouterr().out
    assert "dump verified" in out
    assert f"imported {count} replies" in out


def test_dump_path_is_what_the_manifest_says(tmp_path, db):
    """An empty archive round-trips too (a new installation's first backup)."""
    delete_archive()
    dump = tmp_path / "empty"
    export_archive(dump)
    result = import_archive(dump)
    assert result.counts["replies"] == 0
    assert Path(dump / "sources").is_dir()
