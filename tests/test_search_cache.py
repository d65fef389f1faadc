"""The search cache (`cached_search`): repeats are served from memory, and a commit anywhere
makes the next search read the database again, so a cached answer is never stale."""

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from replies.ingest import Context, set_status
from replies.models import Reply
from replies.search import cached_search
from tests.conftest import FIXTURES, SEED_FILE, SEED_INDEX_NO, _ingest


@pytest.fixture
def committed_seed(transactional_db):
    _ingest([FIXTURES / SEED_FILE])
    return Reply.objects.get(index_no=SEED_INDEX_NO)


def test_repeat_is_served_from_cache_until_a_commit(committed_seed, django_assert_num_queries):
    params = QueryDict("q=孵化")
    first = cached_search(params)
    assert first.count == 1
    # The snapshot is read; nothing else.
    with django_assert_num_queries(1):
        again = cached_search(QueryDict("q=孵化"))
    assert again.count == 1
    assert [hit.reply.index_no for hit in again.hits] == [SEED_INDEX_NO]

    set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
    assert cached_search(params).count == 0
    set_status(committed_seed, Reply.Status.PUBLISHED, Context(user_name="tests"))
    assert cached_search(params).count == 1


def test_parameters_and_language_are_part_of_the_key(committed_seed):
    from django.utils import translation

    assert cached_search(QueryDict("q=孵化")).count == 1
    assert cached_search(QueryDict("q=孵化&year=1999")).count == 0
    with translation.override("en"):
        english = cached_search(QueryDict("q=孵化")).facets["kind"]
    with translation.override("zh-hans"):
        chinese = cached_search(QueryDict("q=孵化")).facets["kind"]
    assert english[0].label != chinese[0].label


def test_a_transaction_that_wrote_sees_its_own_change(committed_seed):
    params = QueryDict("q=孵化")
    assert cached_search(params).count == 1
    with transaction.atomic():
        set_status(committed_seed, Reply.Status.WITHDRAWN, Context(user_name="tests"))
        assert cached_search(params).count == 0
        transaction.set_rollback(True)
    assert cached_search(params).count == 1


def test_cache_off_runs_every_search(committed_seed, settings):
    settings.ARCHIVE_SEARCH_CACHE_SECONDS = 0
    cached_search(QueryDict("q=孵化"))
    with CaptureQueriesContext(connection) as queries:
        cached_search(QueryDict("q=孵化"))
    assert any("replies_searchentry" in query["sql"] for query in queries.captured_queries)


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
