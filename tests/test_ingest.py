import io
import zipfile

import pytest
from django.core.management import call_command
from django.db.models import F

from replies.agencies import AgencyResolver
from replies.ingest import Context, correct_reply, ingest_many, ingest_source, reparse_reply
from replies.models import (
    Agency,
    ChangeRecord,
    Citation,
    Commitment,
    Member,
    Proposal,
    Reply,
    ReplyAgency,
    Session,
    Source,
    Theme,
)
from replies.parsing import parse_document
from replies.redaction import redact
from tests.conftest import FIXTURES, SEED_FILE, fixture_documents

ALL_MODELS = (Reply, Source, Agency, Member, Session, Proposal, Commitment, Citation, Theme)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ALL_MODELS} | {
        "ReplyAgency": ReplyAgency.objects.count(),
        "ChangeRecord": ChangeRecord.objects.count(),
    }


def test_seed_reply_is_linked_to_everything_it_names(seed_reply):
    reply = seed_reply
    assert [link.member.name for link in reply.member_links.all()] == ["李洁"]
    assert reply.proposal.number == "1005"
    assert reply.proposal.session.name == "市政协六届二次会议"
    assert reply.session.name == "市政协六届二次会议"
    assert reply.lead_agency.name == "重庆市科学技术局"
    assert AgencyResolver().find("市科技局", "重庆市") == reply.lead_agency
    co = reply.agency_links.filter(role="co").order_by("position")
    assert [link.agency.name for link in co] == [
        "重庆市人力资源和社会保障局",
        "重庆市经济和信息化委员会",
        "重庆市人民政府国有资产监督管理委员会",
    ]
    assert [link.name_as_written for link in co] == ["市人力社保局", "市经济信息委", "市国资委"]
    headings = [c.heading for c in reply.commitments.order_by("position")]
    assert len(headings) == 4
    assert headings[0] == "打造孵化集群，树立示范标杆"
    assert headings[-1] == "创新工作机制，激发孵化活力"
    assert any(c.document.doc_no == "渝府办发〔2021〕142号" for c in reply.citations.all())
    assert [t.name for t in reply.themes.all()] == ["科技"]
    assert reply.signed_date.isoformat() == "2024-05-16"
    assert reply.written_date.isoformat() == "2024-10-12"
    assert reply.year == 2024


def test_source_is_kept_verbatim(seed_reply):
    source = seed_reply.sources.get()
    original = (FIXTURES / SEED_FILE).read_bytes()
    assert bytes(source.content) == original
    assert source.filename == SEED_FILE
    assert source.encoding == "utf-8"
    assert source.revision == 1
    assert len(source.sha256) == 64
    assert source.parsed["index_no"] == seed_reply.index_no
    assert source.uploaded_by_name == "tests"


def test_source_parse_record_leaves_the_body_to_the_reply(seed_reply):
    parsed = seed_reply.sources.get().parsed
    assert "body_text" not in parsed and "sections" not in parsed
    assert parsed["title"] == seed_reply.title
    assert parsed["commitments"] and parsed["members"] == seed_reply.member_names
    assert "创新孵化模式" in seed_reply.body_text


def test_ingesting_fixtures_twice_changes_nothing(ingested):
    before = row_counts()
    items = [(path.name, path.read_bytes()) for path in fixture_documents()]
    outcomes = list(ingest_many(items, Context()))
    assert {o.status for o in outcomes} == {"unchanged"}
    assert len(outcomes) == len(ingested)
    assert row_counts() == before


def test_changed_document_becomes_a_new_revision(seed_reply):
    original = (FIXTURES / SEED_FILE).read_bytes()
    changed = original.replace("孵化体系构建工作".encode(), "孵化体系建设工作".encode())
    assert changed != original
    outcome = ingest_source(changed, "corrected.txt", Context(user_name="clerk"))
    assert outcome.status == "updated"
    assert outcome.reply_id == seed_reply.pk
    assert Reply.objects.filter(index_no=seed_reply.index_no).count() == 1
    revisions = list(seed_reply.sources.order_by("revision").values_list("revision", "filename"))
    assert revisions == [(1, SEED_FILE), (2, "corrected.txt")]
    assert bytes(seed_reply.sources.get(revision=1).content) == original
    record = seed_reply.changes.filter(action="revised").get()
    assert "body_text" in record.changes
    assert record.source.revision == 2


def test_document_without_index_no_is_matched_by_sender_session_number_role(db):
    text = (FIXTURES / SEED_FILE).read_text()
    lines = [line for line in text.splitlines() if "索引号" not in line]
    first = "\n".join(lines).encode()
    second = first.replace("激发全市创新创业活力".encode(), "激发创新创业活力".encode())
    a = ingest_source(first, "a.txt")
    b = ingest_source(second, "b.txt")
    assert (a.status, b.status) == ("created", "updated")
    assert a.reply_id == b.reply_id
    assert Reply.objects.get().index_no is None


def test_failed_file_leaves_nothing_and_the_batch_goes_on(db):
    good = (FIXTURES / SEED_FILE).read_bytes()
    items = [
        ("broken.html", b"\xff\xfe\x00garbage\x00" * 10),
        ("not-a-reply.html", "<html><body><p>今天天气很好。</p></body></html>".encode()),
        ("empty.txt", b""),
        (SEED_FILE, good),
    ]
    outcomes = {o.filename: o for o in ingest_many(items, Context())}
    assert outcomes["broken.html"].status == "failed"
    assert outcomes["not-a-reply.html"].status == "failed"
    assert "empty" in outcomes["empty.txt"].reason
    assert outcomes[SEED_FILE].status == "created"
    assert Reply.objects.count() == 1
    assert Source.objects.count() == 1


def test_failure_inside_the_transaction_rolls_back_everything(db, monkeypatch):
    import replies.ingest as ingest_module

    def explode(*args, **kwargs):
        raise ingest_module.IngestError("disk on fire")

    monkeypatch.setattr(ingest_module, "_store_source", explode)
    outcome = ingest_source((FIXTURES / SEED_FILE).read_bytes(), SEED_FILE)
    assert outcome.status == "failed"
    assert Reply.objects.count() == 0
    assert Member.objects.count() == 0
    assert Proposal.objects.count() == 0


def test_clerk_correction_survives_reparse(seed_reply):
    ctx = Context(user_name="clerk")
    changes = correct_reply(seed_reply, {"signer": "明炬同志", "members": ["李洁", "张三"]}, ctx)
    assert set(changes) == {"signer", "members"}
    seed_reply.refresh_from_db()
    assert seed_reply.corrected_fields == ["members", "signer"]
    assert [link.member.name for link in seed_reply.member_links.order_by("position")] == [
        "李洁",
        "张三",
    ]
    seed_reply.title = "tampered"
    seed_reply.save()
    reparse_reply(seed_reply, Context(user_name="reparse"))
    seed_reply.refresh_from_db()
    assert seed_reply.signer == "明炬同志"
    assert seed_reply.member_names == ["李洁", "张三"]
    assert seed_reply.title == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    actions = list(seed_reply.changes.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["created", "corrected", "reparsed"]


def test_multi_valued_theme_becomes_several_themes(db):
    from replies.ingest import split_themes

    assert split_themes("财政、金融、审计") == ["财政", "金融", "审计"]
    assert split_themes("科技、教育\\科技") == ["科技", "教育"]


def test_ingest_command_reports_each_file_and_exits_nonzero_on_failure(db, tmp_path, capsys):
    (tmp_path / "bad.html").write_bytes(b"\x00\x01\x02" * 50)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / SEED_FILE, arcname=SEED_FILE)
    (tmp_path / "batch.zip").write_bytes(archive.getvalue())
    with pytest.raises(SystemExit) as exit_info:
        call_command("ingest", str(tmp_path))
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    assert f"created    {tmp_path / 'batch.zip'}/{SEED_FILE}" in out
    assert "failed" in err and "bad.html" in err
    assert "2 files" in out and "1 created" in out and "1 failed" in out
    assert Reply.objects.count() == 1


def test_preview_writes_nothing_and_diffs_against_the_stored_reply(seed_reply):
    from replies.ingest import preview_source

    original = (FIXTURES / SEED_FILE).read_bytes()
    before = row_counts()
    same = preview_source(original, "again.txt")
    assert same.unchanged and same.existing == seed_reply
    changed = preview_source(original.replace("明炬".encode(), "明亮".encode()), "v2.txt")
    assert not changed.unchanged
    assert changed.existing == seed_reply
    assert changed.diff["signer"] == ["明炬", "明亮"]
    broken = preview_source(b"", "empty.txt")
    assert broken.parsed is None and "empty" in broken.error
    assert row_counts() == before


def test_ingest_with_corrections_and_status_in_one_transaction(db):
    outcome = ingest_source(
        (FIXTURES / SEED_FILE).read_bytes(),
        SEED_FILE,
        Context(user_name="clerk", new_status=Reply.Status.DRAFT),
        corrections={"signer": "明炬局长"},
        status=Reply.Status.PUBLISHED,
    )
    reply = Reply.objects.get(pk=outcome.reply_id)
    assert reply.signer == "明炬局长"
    assert reply.corrected_fields == ["signer"]
    assert reply.status == Reply.Status.PUBLISHED
    actions = list(reply.changes.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "corrected", "status"]


def test_sessions_and_members_are_regional(ingested):
    from replies.ingest import session_region

    # 市十六届人大二次会议 is held in Beijing and in Shanghai: two sessions, one name.
    labels = set(
        Session.objects.filter(name="市十六届人大二次会议").values_list("label", flat=True)
    )
    assert labels == {"市十六届人大二次会议（北京市）", "市十六届人大二次会议（上海市）"}
    assert session_region("区十七届人大三次会议", "北京市朝阳区") == "北京市朝阳区"
    assert session_region("省政协十三届一次会议", "广东省") == "广东省"
    assert session_region("市十六届人大三次会议", "广东省广州市") == "广东省广州市"
    assert session_region("政协十四届全国委员会第二次会议", "") == ""
    assert session_region("十四届全国人大二次会议", "重庆市") == ""
    li_jie = Member.objects.get(name="李洁")
    assert (li_jie.region, li_jie.label) == ("重庆市", "李洁（重庆市）")


def test_over_long_values_are_cut_with_a_warning_not_a_failed_batch(db):
    text = (FIXTURES / SEED_FILE).read_text()
    long_doc_no = "渝科局函〔2024〕" + "一" * 150 + "号"
    first = text.replace("渝科局函〔2024〕275号", long_doc_no).encode()
    outcomes = list(
        ingest_many(
            [
                ("long.txt", first),
                ("cq-jw.html", (FIXTURES / "cq-jw-2024-00213.html").read_bytes()),
            ],
            Context(),
        )
    )
    assert [o.status for o in outcomes] == ["created", "created"]
    reply = Reply.objects.get(pk=outcomes[0].reply_id)
    assert len(reply.doc_no) == 100
    assert any(w.startswith("doc_no:") and "cut to 100" in w for w in reply.warnings)
    assert bytes(reply.sources.get().content) == first  # the source keeps the whole value


def test_parser_warnings_are_kept_on_the_reply(seed_reply):
    source = seed_reply.sources.get()
    assert seed_reply.warnings == source.parsed["warnings"]


def test_reindex_rebuilds_vectors_without_reparsing(seed_reply):
    from replies.models import RankEntry, SearchEntry

    SearchEntry.objects.filter(reply=seed_reply).delete()
    RankEntry.objects.filter(reply=seed_reply).delete()
    Reply.objects.filter(pk=seed_reply.pk).update(title="人工改过的标题")
    call_command("reindex")
    reply = Reply.objects.get(pk=seed_reply.pk)
    assert reply.title == "人工改过的标题"  # fields untouched
    ranking = RankEntry.objects.get(reply=reply)
    assert "人工" in ranking.title and "人工" in ranking.words and ":1A" in ranking.words
    entry = SearchEntry.objects.get(reply=reply)
    assert entry.title == ranking.title
    assert "人工" in entry.title and "明月" in entry.bigrams
    assert entry.published and entry.year == 2024
    assert len(entry.co_agency_ids) == 3 and entry.lead_agency_id == reply.lead_agency_id


def _entry_by_name(reply) -> tuple:
    """The reply's search entry with ids replaced by names (ids differ between runs)."""
    from replies.models import Agency, Member, SearchEntry, Theme

    entry = SearchEntry.objects.get(reply=reply)
    agency = dict(Agency.objects.values_list("id", "name"))
    member = dict(Member.objects.values_list("id", "label"))
    theme = dict(Theme.objects.values_list("id", "name"))
    return (
        entry.published,
        entry.sort_date,
        entry.year,
        entry.kind,
        entry.reply_category,
        agency.get(entry.lead_agency_id),
        sorted(agency[i] for i in entry.agency_ids),
        [agency[i] for i in entry.co_agency_ids],
        sorted(theme[i] for i in entry.theme_ids),
        [member[i] for i in entry.member_ids],
        entry.bigrams,
        entry.title,
    )


def _stored_archive() -> dict:
    """Every reply's values and links by title, as the archive holds them."""
    from replies.ingest import current_values

    archive = {}
    for reply in Reply.objects.all():
        archive[reply.title] = {
            "values": current_values(reply),
            "agencies": list(
                reply.agency_links.order_by("role", "position").values_list(
                    "agency__name", "role", "position", "name_as_written"
                )
            ),
            "members": list(reply.member_links.order_by("position").values_list("member__label")),
            "themes": sorted(reply.themes.values_list("name", flat=True)),
            "proposal": (reply.proposal.session.label, reply.proposal.number)
            if reply.proposal
            else None,
            "genre": reply.genre_entity.name if reply.genre_entity else None,
            "sources": list(reply.sources.values_list("revision", "sha256", "encoding")),
            "history": list(reply.changes.values_list("action", "user_name")),
            # Not search_words: segmentation learns names as the archive grows, so the words
            # depend on what the process met before; the entry's vectors and links do not.
            "entry": _entry_by_name(reply),
            "public": reply.public_body_text,
        }
    return archive


def test_batched_and_one_by_one_ingest_store_the_same_archive(db):
    items = [(path.name, path.read_bytes()) for path in fixture_documents()]
    bulk = list(ingest_many(items, Context(user_name="tests"), batch_size=50))
    assert {o.status for o in bulk} == {"created"}
    batched = _stored_archive()
    for model in (ChangeRecord, Source, Citation, Commitment, Reply, Proposal, Member, Session):
        model.objects.all().delete()
    one_by_one = list(ingest_many(items, Context(user_name="tests"), batch_size=1))
    assert {o.status for o in one_by_one} == {"created"}
    assert _stored_archive() == batched
    for model in (ChangeRecord, Source, Citation, Commitment, Reply, Proposal, Member, Session):
        model.objects.all().delete()
    # With a parse worker, which also folds the bodies and builds their bigrams.
    in_workers = list(ingest_many(items, Context(user_name="tests"), batch_size=50, workers=1))
    assert {o.status for o in in_workers} == {"created"}
    assert _stored_archive() == batched


def test_a_batch_binds_on_the_server_and_gives_the_connection_back_as_it_was(db, monkeypatch):
    import hashlib

    from django.db import IntegrityError, connection

    import replies.ingest as ingest_module

    connection.ensure_connection()
    default_factory = connection.connection.cursor_factory
    factories = []
    write_new = ingest_module._write_new

    def spy(*args, **kwargs):
        factories.append(connection.connection.cursor_factory)
        return write_new(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_write_new", spy)
    items = [(path.name, path.read_bytes()) for path in fixture_documents()[:4]]
    assert {o.status for o in ingest_many(items, Context(), batch_size=10)} == {"created"}
    assert factories and factories[0] is not default_factory
    assert connection.connection.cursor_factory is default_factory
    # The original bytes come back exactly, bound as binary rather than quoted.
    for source in Source.objects.all():
        assert hashlib.sha256(bytes(source.content)).hexdigest() == source.sha256

    def broken(*args, **kwargs):
        raise IntegrityError("a name another writer just created")

    monkeypatch.setattr(ingest_module, "_write_new", broken)
    others = [(path.name, path.read_bytes()) for path in fixture_documents()[4:8]]
    # The batch write fails; the files are then stored one by one, with Django's binding.
    assert {o.status for o in ingest_many(others, Context(), batch_size=10)} == {"created"}
    assert connection.connection.cursor_factory is default_factory


def test_a_batch_with_a_revision_and_a_repeat_stores_each_once(db):
    seed = (FIXTURES / SEED_FILE).read_bytes()
    revised = seed.replace("明炬".encode(), "明亮".encode())
    items = [("a.txt", seed), ("b.txt", seed), ("c.txt", revised)]
    outcomes = list(ingest_many(items, Context(), batch_size=10))
    assert [o.status for o in outcomes] == ["created", "unchanged", "updated"]
    reply = Reply.objects.get()
    assert reply.signer == "明亮"
    assert list(reply.sources.order_by("revision").values_list("filename", flat=True)) == [
        "a.txt",
        "c.txt",
    ]


def test_parse_workers_give_the_same_outcomes(db, tmp_path, monkeypatch):
    from replies import search

    items = [(path.name, path.read_bytes()) for path in fixture_documents()[:6]]
    items.append(("empty.txt", b""))
    items.append(("garbage.html", b"\x00\x01" * 40))
    # The workers fold the bodies and build their bigrams: the writer does not do it again.
    prepared_here = []
    prepare_body = search.prepare_body
    monkeypatch.setattr(
        search, "prepare_body", lambda body: prepared_here.append(body) or prepare_body(body)
    )
    # Nor does it redact the bodies again: the workers did.
    import replies.ingest as ingest_module

    redacted_here = []
    redact = ingest_module.redact
    monkeypatch.setattr(
        ingest_module, "redact", lambda text: redacted_here.append(text) or redact(text)
    )
    outcomes = list(ingest_many(items, Context(), workers=1, batch_size=4))
    assert prepared_here == [] and redacted_here == []
    assert [o.status for o in outcomes] == ["created"] * 6 + ["failed", "failed"]
    assert "empty" in outcomes[6].reason
    assert Reply.objects.count() == 6


def _deadlock():
    """What Django raises when PostgreSQL breaks a deadlock by failing this transaction."""
    import psycopg
    from django.db import OperationalError

    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def _failing_on_call(number: int, error: Exception, real):
    """`real`, except that its `number`th call raises `error`; `.calls` counts the calls."""

    def fake(*args, **kwargs):
        fake.calls += 1
        if fake.calls == number:
            raise error
        return real(*args, **kwargs)

    fake.calls = 0
    return fake


def test_a_deadlocked_batch_is_done_again(db, monkeypatch):
    import replies.ingest as ingest_module

    bulk = _failing_on_call(1, _deadlock(), ingest_module._bulk_store)
    monkeypatch.setattr(ingest_module, "_bulk_store", bulk)
    items = [(path.name, path.read_bytes()) for path in fixture_documents()[:4]]
    outcomes = list(ingest_many(items, Context(), batch_size=10))
    assert [o.status for o in outcomes] == ["created"] * 4
    assert bulk.calls == 2
    assert Reply.objects.count() == 4


def test_a_deadlock_in_the_file_by_file_write_is_done_again(db, monkeypatch):
    # The batch write fails on a name another writer created; the file-by-file write that
    # follows then deadlocks with that writer: the batch is done again, nothing is lost.
    from django.db import IntegrityError

    import replies.ingest as ingest_module

    conflict = IntegrityError("duplicate key value violates unique constraint")
    bulk = _failing_on_call(1, conflict, ingest_module._bulk_store)
    one_by_one = _failing_on_call(2, _deadlock(), ingest_module.ingest_source)
    monkeypatch.setattr(ingest_module, "_bulk_store", bulk)
    monkeypatch.setattr(ingest_module, "ingest_source", one_by_one)
    items = [(path.name, path.read_bytes()) for path in fixture_documents()[:4]]
    outcomes = list(ingest_many(items, Context(), batch_size=10))
    assert [o.status for o in outcomes] == ["created"] * 4
    assert Reply.objects.count() == 4
    assert one_by_one.calls > 4  # the file-by-file write was begun again after the deadlock


def test_a_name_created_meanwhile_by_another_writer_is_retried_not_failed(db, monkeypatch):
    """Two writers (two ingest processes, an upload during an import) may both find a new
    member missing and both insert it; the second insert fails on the unique constraint once
    the first commits. The file is then done again and finds the name."""
    from django.db import IntegrityError

    import replies.ingest as service

    real_ingest = service._ingest
    calls = []

    def first_attempt_races(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError(
                'duplicate key value violates unique constraint "member_unique_in_region"'
            )
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(service, "_ingest", first_attempt_races)
    seed = FIXTURES / SEED_FILE
    outcome = ingest_source(seed.read_bytes(), seed.name, Context(user_name="tests"))
    assert outcome.status == "created" and len(calls) == 2
    assert Reply.objects.count() == 1


def test_a_real_conflict_still_fails_with_its_reason(db, monkeypatch):
    from django.db import IntegrityError

    import replies.ingest as service

    def always_conflicts(*args, **kwargs):
        raise IntegrityError(
            'duplicate key value violates unique constraint "reply_unique_index_no"'
        )

    monkeypatch.setattr(service, "_ingest", always_conflicts)
    seed = FIXTURES / SEED_FILE
    outcome = ingest_source(seed.read_bytes(), seed.name, Context(user_name="tests"))
    assert outcome.status == "failed"
    assert "reply_unique_index_no" in outcome.reason
    assert Reply.objects.count() == 0


PHONE = "023-12345678"  # printed in cq-jw-2024-00213.html


def test_public_copy_is_stored_only_where_redaction_changes_the_body(samples):
    seed = Reply.objects.get(index_no="11500000MB15895317/2024-00079")
    assert redact(seed.body_text) == seed.body_text  # nothing to redact in it
    assert seed.public_body_text == "" and seed.public_text == seed.body_text

    jw = Reply.objects.get(index_no="11500000009275780L/2024-00213")
    assert PHONE in jw.body_text
    assert PHONE not in jw.public_body_text and jw.public_text == jw.public_body_text
    assert jw.public_body_text == redact(jw.body_text)


def test_correcting_the_body_keeps_the_public_copy_in_step(samples):
    reply = Reply.objects.get(index_no="11500000MB15895317/2024-00079")
    ctx = Context(user_name="clerk")
    correct_reply(reply, {"body_text": reply.body_text + f"\n联系电话：{PHONE}"}, ctx)
    reply.refresh_from_db()
    assert PHONE in reply.body_text and PHONE not in reply.public_text
    assert reply.public_body_text == reply.public_text

    correct_reply(reply, {"body_text": reply.body_text.split("\n联系电话")[0]}, ctx)
    reply.refresh_from_db()
    assert reply.public_body_text == "" and PHONE not in reply.public_text


def test_migration_empties_only_public_copies_equal_to_the_body(samples):
    from importlib import import_module

    from django.db import connection

    migration = import_module("replies.migrations.0009_public_body_only_when_redacted")
    Reply.objects.update(public_body_text=F("body_text"))  # as rows stored before it read
    redacted = Reply.objects.filter(body_text__contains=PHONE).values_list("pk", flat=True)
    Reply.objects.filter(pk__in=list(redacted)).update(public_body_text="电话已隐去")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)
    kept = dict(Reply.objects.exclude(public_body_text="").values_list("pk", "public_body_text"))
    assert kept == {pk: "电话已隐去" for pk in redacted} and kept


def test_sections_are_stored_as_spans_of_the_body_and_read_back_as_parsed(samples):
    reply = Reply.objects.get(index_no="11500000MB15895317/2024-00079")
    content = bytes(reply.sources.get().content)
    expected = parse_document(content, SEED_FILE).to_contract()["sections"]
    assert expected and all("at" in item and "text" not in item for item in reply.sections)
    assert reply.section_list == expected


def test_sections_stay_readable_when_the_body_is_corrected_away(samples):
    reply = Reply.objects.get(index_no="11500000MB15895317/2024-00079")
    before = reply.section_list
    correct_reply(reply, {"body_text": "正文已由办理人员改写。"}, Context(user_name="clerk"))
    reply.refresh_from_db()
    assert reply.section_list == before
    assert all("text" in item for item in reply.sections)  # no longer in the body


def test_sections_migration_packs_stored_texts(samples):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("replies.migrations.0010_sections_as_spans")
    expected = {r.pk: r.section_list for r in Reply.objects.all()}
    for reply in Reply.objects.all():  # as rows stored before it read
        Reply.objects.filter(pk=reply.pk).update(sections=reply.section_list)
    migration.pack(apps, None)
    for reply in Reply.objects.all():
        assert reply.section_list == expected[reply.pk]
        assert all("text" not in item for item in reply.sections)
    migration.unpack(apps, None)  # and back, for a downgrade
    for reply in Reply.objects.all():
        assert reply.sections == expected[reply.pk]


def _plans_without_seq_scans(queries: list[dict]) -> list[str]:
    """EXPLAIN each captured statement with sequential scans priced out: what is left is the
    plan an index makes possible."""
    from django.db import connection, transaction

    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_letters_without_index_number_are_found_by_index(db):
    """A letter without 索引号 is matched by session and number (one by one, and once a
    batch in the bulk ingest); without the reply_letter index both read the whole table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from replies.ingest import _without_revisions, find_existing
    from replies.models import Reply

    # Plans are chosen by the table's statistics: an empty table makes any index as good as
    # another. An archive holds mostly replies with 索引号 and letters of many sessions.
    Reply.objects.bulk_create(
        [Reply(index_no=f"11500000MB15895317/2024-{n:05d}", title="答复") for n in range(400)]
        + [
            Reply(session_name=f"市十六届人大{n % 7}次会议", proposal_number=str(n), title="答复")
            for n in range(100)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE replies_reply")
    letter = {"index_no": None, "session": "市十六届人大二次会议", "proposal_number": "57"}
    with CaptureQueriesContext(connection) as captured:
        find_existing({**letter, "role": "", "sender": ""})
        _without_revisions({0: ("a.html", b"", "", None, letter)})
    plans = _plans_without_seq_scans(
        [q for q in captured.captured_queries if 'FROM "replies_reply"' in q["sql"]]
    )
    assert len(plans) == 2
    for plan in plans:
        assert "reply_letter" in plan, plan


def test_shared_keys_are_looked_up_as_pairs(db):
    """Proposals are read back by (session, number) pairs, not by every session times every
    number: the cross product made PostgreSQL read the whole table at scale."""
    from replies.ingest import _keys_lookup

    first = Session.objects.create(name="市十六届人大二次会议", region="重庆市")
    second = Session.objects.create(name="市政协五届二次会议", region="重庆市")
    for session in (first, second):
        for number in ("1", "2"):
            Proposal.objects.create(session=session, number=number)
    wanted = {(first.pk, "1"), (second.pk, "2")}
    found = Proposal.objects.filter(_keys_lookup(("session_id", "number"), wanted))
    assert {(p.session_id, p.number) for p in found} == wanted
    themes = Theme.objects.filter(_keys_lookup(("name",), {("科技",)}))
    assert "IN" in str(themes.query)
