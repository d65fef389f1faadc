from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "replies"
SEED_FILE = "000_81af6d2964a35163.txt"
SEED_INDEX_NO = "11500000MB15895317/2024-00079"


def fixture_documents() -> list[Path]:
    from replies.uploads import DOCUMENT_SUFFIXES

    return sorted(p for p in FIXTURES.iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)


SHARED_SAMPLES = (SEED_FILE, "cq-jw-2024-00213.html", "most-2024-03105.txt")


def _ingest(paths: list[Path]) -> dict:
    from replies.ingest import Context, ingest_many

    items = [(path.name, path.read_bytes()) for path in paths]
    outcomes = {o.filename: o for o in ingest_many(items, Context(user_name="tests"))}
    failed = {name: o.reason for name, o in outcomes.items() if not o.ok}
    assert not failed, failed
    return outcomes


@pytest.fixture
def ingested(db):
    """Every fixture document ingested and published; {file name: outcome}."""
    return _ingest(fixture_documents())


@pytest.fixture
def samples(db):
    """Only the three shared samples: tests that count results need a fixed set."""
    return _ingest([FIXTURES / name for name in SHARED_SAMPLES])


@pytest.fixture
def seed_reply(samples):
    from replies.models import Reply

    return Reply.objects.get(index_no=SEED_INDEX_NO)


def pytest_collection_modifyitems(config, items):
    # Playwright's sync API leaves an event loop on the main thread until the session ends,
    # and Django then refuses database work from "async" code: browser tests go last.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
