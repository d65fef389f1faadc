"""The search cache (`search_cache_key`): repeats are served from memory, and a commit anywhere
makes the next search read the database again, so a cached answer is never stale."""

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from replies.ingest import Context, set_status
from replies.models import Reply
from replies.search import search_cache_key
from tests.conftest import FIXTURES, SEED_FILE, SEED_INDEX_NO, _ingest


@pytest.fixture
def committed_seed(transactional_db):
    _ingest([FIXTURES / SEED_FILE])
    return Reply.objects.get(index_no=SEED_INDEX_NO)


def test_key_changes_with_a_commit_and_not_without(committed_seed):
    params = QueryDict("q=孵化")
    key = search_cache_key(params)
    assert key is not None and search_cache_key(QueryDict("q=孵化")) == key
    set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
    assert search_cache_key(params) not in (None, key)


def test_parameters_language_and_scope_are_part_of_the_key(committed_seed):
    from django.utils import translation

    key = search_cache_key(QueryDict("q=孵化&year=2024"))
    # The order parameters come in is not.
    assert search_cache_key(QueryDict("year=2024&q=孵化")) == key
    assert search_cache_key(QueryDict("q=孵化&year=1999")) != key
    assert search_cache_key(QueryDict("q=孵化&year=2024"), scope=("api",)) != key
    with translation.override("en"):
        english = search_cache_key(QueryDict("q=孵化&year=2024"))
    with translation.override("zh-hans"):
        chinese = search_cache_key(QueryDict("q=孵化&year=2024"))
    assert english != chinese


def test_a_transaction_that_wrote_has_no_key(committed_seed):
    params = QueryDict("q=孵化")
    assert search_cache_key(params) is not None
    with transaction.atomic():
        set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
        assert search_cache_key(params) is None
        transaction.set_rollback(True)
    assert search_cache_key(params) is not None


def test_cache_off_has_no_key_and_runs_every_search(committed_seed, client, settings):
    settings.ARCHIVE_SEARCH_CACHE_SECONDS = 0
    assert search_cache_key(QueryDict("q=孵化")) is None
    client.get("/api/search", {"q": "孵化"})
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/search", {"q": "孵化"})
    assert any("replies_searchentry" in query["sql"] for query in queries.captured_queries)


def test_entity_page_repeats_its_rendered_results(committed_seed, client):
    agency = committed_seed.lead_agency
    first = client.get(agency.get_absolute_url())
    assert first.status_code == 200 and SEED_INDEX_NO in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(agency.get_absolute_url())
    assert not any("replies_searchentry" in q["sql"] for q in queries.captured_queries)
    assert SEED_INDEX_NO in again.content.decode()


def test_api_repeats_its_rendered_answer_until_a_commit(committed_seed, client):
    from django.test.utils import CaptureQueriesContext

    first = client.get("/api/search", {"q": "孵化"})
    assert first.status_code == 200 and first.json()["count"] == 1
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/search", {"q": "孵化"})
    # Only the snapshot is read, and the bytes are the first answer's.
    assert len(queries.captured_queries) == 1
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert again.json()["results"][0]["index_no"] == SEED_INDEX_NO

    # Links are absolute: another host gets its own answer, not this one's.
    other = client.get("/api/search", {"q": "孵化"}, HTTP_HOST="localhost")
    assert other.json()["results"][0]["url"].startswith("http://localhost/")
    assert first.json()["results"][0]["url"].startswith("http://testserver/")

    set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
    assert client.get("/api/search", {"q": "孵化"}).json()["count"] == 0


def test_api_answer_is_the_same_with_the_cache_off(committed_seed, client, settings):
    cached = client.get("/api/search", {"q": "孵化", "agency": "市国资委"})
    settings.ARCHIVE_SEARCH_CACHE_SECONDS = 0
    assert client.get("/api/search", {"q": "孵化", "agency": "市国资委"}).content == cached.content
    assert cached.json()["results"][0]["published_date"] == "2024-10-12"


def test_search_page_repeats_its_rendered_results_until_a_commit(committed_seed, client):
    from django.test.utils import CaptureQueriesContext

    first = client.get("/search/", {"q": "孵化"})
    assert first.status_code == 200
    assert SEED_INDEX_NO in first.content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/search/", {"q": "孵化"})
    # The snapshot is read; the results are not searched for again.
    assert not any("replies_searchentry" in q["sql"] for q in queries.captured_queries)
    assert SEED_INDEX_NO in again.content.decode()
    assert "<mark>孵化</mark>" in again.content.decode()

    set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
    assert SEED_INDEX_NO not in client.get("/search/", {"q": "孵化"}).content.decode()


def test_search_page_redirect_by_index_number_is_remembered_too(committed_seed, client):
    for _ in range(2):
        response = client.get("/search/", {"q": SEED_INDEX_NO})
        assert response.status_code == 302
        assert response["Location"] == committed_seed.get_absolute_url()
