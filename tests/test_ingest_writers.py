"""Two writers loading at once: the entities both create (members, sessions, documents)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from replies.ingest import _create_shared
from replies.models import CitedDocument, Member, Proposal, Session, regional_label


def _member(name: str, region: str = "重庆市") -> Member:
    return Member(name=name, region=region, label=regional_label(name, region))


@pytest.mark.django_db(transaction=True)
def test_second_writer_waits_for_the_first_and_takes_its_rows():
    first_created = threading.Event()
    second_started = threading.Event()
    keys: dict[str, dict[str, int]] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                members = [_member("王五")]
                _create_shared(Member, members)
                keys["first"] = {m.name: m.pk for m in members}
                first_created.set()
                second_started.wait(5)
                # Still uncommitted: the second writer's insert of 王五 is waiting for us.
                threading.Event().wait(0.3)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_created.wait(5)
            second_started.set()
            with transaction.atomic():
                members = [_member("赵六"), _member("王五")]
                _create_shared(Member, members)
                keys["second"] = {m.name: m.pk for m in members}
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert keys["second"]["王五"] == keys["first"]["王五"]
    assert Member.objects.count() == 2
    assert Member.objects.get(pk=keys["second"]["赵六"]).name == "赵六"


@pytest.mark.django_db
def test_shared_entities_get_keys_and_proposals_their_sessions():
    session = Session(
        name="市六届政协二次会议", region="重庆市", label="市六届政协二次会议（重庆市）"
    )
    _create_shared(Session, [session])
    assert session.pk == Session.objects.get(name="市六届政协二次会议").pk
    proposal = Proposal(session=session, number="0275", title="关于……的提案")
    stored_document = CitedDocument.objects.create(title="重庆市科技创新促进条例")
    documents = [CitedDocument(title="重庆市科技创新促进条例"), CitedDocument(title="新文件")]
    _create_shared(Proposal, [proposal])
    _create_shared(CitedDocument, documents)
    assert Proposal.objects.get(pk=proposal.pk).session_id == session.pk
    assert documents[0].pk == stored_document.pk and not documents[0]._state.adding
    assert CitedDocument.objects.count() == 2


@pytest.mark.django_db
def test_a_row_conflicting_on_another_unique_key_fails_the_batch():
    # Same label (the name already says where it is), different (name, region).
    Session.objects.create(name="北京市会议", region="北京市")
    other = Session(name="北京市会议", region="", label=regional_label("北京市会议", ""))
    with pytest.raises(IntegrityError, match="a stored row conflicts"):
        _create_shared(Session, [other])
