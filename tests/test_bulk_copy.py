import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from replies.bulk_copy import copy_insert, reserve_ids
from replies.models import Commitment, RankEntry, Reply, Session, Source


def _reply(**fields) -> Reply:
    values = {
        "status": Reply.Status.PUBLISHED,
        "doc_no": "渝科局函〔2024〕276号",
        "title": "关于「创新」的答复 'quoted' \\ back\tslash",
        "member_names": ["李洁", 'O"Neil'],
        "co_agency_names": [],
        "sections": [{"heading": "一、", "text": "正文\n第二段"}],
        "body_text": "第一行\n第二行\\N 不是空值",
        "public_body_text": "第一行",
        "warnings": [],
        "written_date": dt.date(2024, 5, 16),
        "year": 2024,
        "body_simplified": True,
    }
    return Reply(**{**values, **fields})


def _stored(reply: Reply) -> dict:
    row = Reply.objects.filter(pk=reply.pk).values().get()
    return {k: v for k, v in row.items() if k not in ("id", "created_at", "updated_at")}


@pytest.mark.django_db
def test_copied_row_is_the_row_bulk_create_stores():
    session = Session.objects.create(name="市政协五届二次会议", region="重庆市")
    by_insert = Reply.objects.bulk_create([_reply(session=session)])[0]
    by_copy = _reply(index_no="11500000MB15895317/2024-00079", session=session)
    (by_copy.pk,) = reserve_ids(Reply, 1)
    copy_insert([by_copy])

    assert by_copy.pk > by_insert.pk and not by_copy._state.adding
    copied = _stored(by_copy)
    assert copied.pop("index_no") == "11500000MB15895317/2024-00079"
    inserted = _stored(by_insert)
    inserted.pop("index_no")
    assert copied == inserted
    assert copied["session_id"] == session.pk  # a related object's key, as bulk_create sets it
    assert copied["body_text"] == "第一行\n第二行\\N 不是空值"
    stored = Reply.objects.get(pk=by_copy.pk)
    assert stored.created_at is not None and stored.member_names == ["李洁", 'O"Neil']

    # Bytes survive whole, NUL and backslashes included; the next reserved key follows on.
    content = b"\x00\\x\xff" + "正文".encode("gb18030")
    source = Source(
        reply=stored,
        revision=1,
        content=content,
        filename="a.txt",
        encoding="gb18030",
        sha256="0" * 64,
        size=len(content),
        parsed={"title": "标题"},
        channel="command",
    )
    (source.pk,) = reserve_ids(Source, 1)
    copy_insert([source])
    assert bytes(Source.objects.get(pk=source.pk).content) == content
    assert Source.objects.get(pk=source.pk).parsed == {"title": "标题"}

    # Vector literals, quotes and positions in them, are read alike either way.
    vectors = {"words": "'创新':1A 'o''neil':2B,9C", "title": "'创新':1A '新的':2A"}
    RankEntry.objects.bulk_create([RankEntry(reply=by_insert, **vectors)])
    copy_insert([RankEntry(reply=stored, **vectors)])
    copied_vectors, inserted_vectors = (
        RankEntry.objects.filter(reply=reply).values("words", "title").get()
        for reply in (stored, by_insert)
    )
    assert copied_vectors == inserted_vectors
    assert "'o''neil':2B,9C" in copied_vectors["words"]


@pytest.mark.django_db
def test_copy_needs_keys_and_reports_a_duplicate_as_integrity_error():
    with pytest.raises(ValueError, match="primary key"):
        copy_insert([_reply()])
    first = _reply(index_no="X-1")
    (first.pk,) = reserve_ids(Reply, 1)
    copy_insert([first])
    again = _reply(index_no="X-1")
    (again.pk,) = reserve_ids(Reply, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_insert([again])
    assert Reply.objects.filter(index_no="X-1").count() == 1
    assert reserve_ids(Reply, 0) == []


@pytest.mark.django_db
def test_rows_without_keys_are_numbered_by_the_table():
    reply = _reply(index_no="X-2")
    (reply.pk,) = reserve_ids(Reply, 1)
    copy_insert([reply])
    by_insert = Commitment.objects.bulk_create(
        [Commitment(reply=reply, position=1, heading="一、", text="年内出台 'O\\Neil'")]
    )[0]
    copy_insert(
        [
            Commitment(reply=reply, position=2, heading="一、", text="年内出台 'O\\Neil'"),
            Commitment(reply=reply, position=3, heading="", text="第二项\n换行"),
        ],
        table_keys=True,
    )
    stored = list(Commitment.objects.filter(reply=reply).order_by("position").values())
    assert [row["position"] for row in stored] == [1, 2, 3]
    # The table numbered them after the row it numbered before.
    assert stored[0]["id"] == by_insert.pk < stored[1]["id"] < stored[2]["id"]
    assert {k: v for k, v in stored[1].items() if k not in ("id", "position")} == {
        k: v for k, v in stored[0].items() if k not in ("id", "position")
    }
    assert stored[2]["text"] == "第二项\n换行" and stored[2]["heading"] == ""

    with pytest.raises(ValueError, match="under table_keys"):
        copy_insert([Commitment(pk=10**9, reply=reply, position=4)], table_keys=True)
    with pytest.raises(ValueError, match="without a primary key"):
        copy_insert([Commitment(reply=reply, position=4)])
    assert Commitment.objects.filter(reply=reply).count() == 3


@pytest.mark.django_db
def test_values_not_of_the_columns_type_are_converted_as_bulk_create_converts_them():
    # The fast path passes a str or an int as it is; anything else (a choices member, a
    # number given as text) goes through the field, as bulk_create sends it.
    reply = _reply(status=Reply.Status.PUBLISHED, year="2024", proposal_number=275)
    (reply.pk,) = reserve_ids(Reply, 1)
    copy_insert([reply])
    stored = Reply.objects.filter(pk=reply.pk).values("status", "year", "proposal_number").get()
    assert stored == {"status": "published", "year": 2024, "proposal_number": "275"}
    copy_insert([Commitment(reply=reply, position="3", text="下一步")], table_keys=True)
    assert Commitment.objects.get(reply=reply).position == 3
    with pytest.raises(ValueError):
        copy_insert([Commitment(reply=reply, position="三", text="x")], table_keys=True)
