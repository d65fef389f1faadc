from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "replies"
SEED_FILE = "000_81af6d2964a35163.txt"
SEED_INDEX_NO = "11500000MB15895317/2024-00079"


def fixture_documents() -> list[Path]:
    from replies.uploads import DOCUMENT_SUFFIXES

    return sorted(p for p in FIXTURES.iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)


@pytest.fixture
def ingested(db):
    """Every fixture document ingested and published; {file name: outcome}."""
    from replies.ingest import Context, ingest_many

    items = [(path.name, path.read_bytes()) for path in fixture_documents()]
    outcomes = {o.filename: o for o in ingest_many(items, Context(user_name="tests"))}
    failed = {name: o.reason for name, o in outcomes.items() if not o.ok}
    assert not failed, failed
    return outcomes


@pytest.fixture
def seed_reply(ingested):
    from replies.models import Reply

    return Reply.objects.get(index_no=SEED_INDEX_NO)
