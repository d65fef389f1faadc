import json

import pytest

from replies.models import Reply
from tests.conftest import SEED_INDEX_NO

pytestmark = pytest.mark.usefixtures("samples")


def test_search_api_shape_and_values(client):
    response = client.get("/api/search", {"q": "孵化", "agency": "市国资委"})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    hit = data["results"][0]
    assert hit["index_no"] == SEED_INDEX_NO
    assert hit["title"] == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    assert hit["url"].endswith(f"/r/{SEED_INDEX_NO}")
    assert "<mark>孵化</mark>" in hit["snippet"]
    assert hit["lead_agency"] == "重庆市科学技术局"
    assert hit["members"] == ["李洁"]
    assert hit["kind"] == "proposal"
    assert hit["session"] == "市政协六届二次会议"
    assert hit["published_date"] == "2024-10-12"
    agency_facet = {v["value"]: v for v in data["facets"]["agency"]}
    assert agency_facet["重庆市人民政府国有资产监督管理委员会"]["count"] == 1
    assert set(data["facets"]) >= {"agency", "theme", "kind", "session", "year", "member"}


def test_search_api_repeated_facet_parameters(client):
    response = client.get("/api/search?kind=proposal&kind=suggestion")
    assert response.json()["count"] == 3


def test_search_api_bad_parameter_is_400_naming_it(client):
    response = client.get("/api/search", {"year": "twenty"})
    assert response.status_code == 400
    assert "year" in response.json()["detail"]
    response = client.get("/api/search", {"page": "x"})
    assert response.status_code == 400
    assert "page" in response.json()["detail"]


def test_reply_api_has_every_field_and_link(client):
    response = client.get(f"/api/replies/{SEED_INDEX_NO}")
    assert response.status_code == 200
    data = response.json()
    assert data["index_no"] == SEED_INDEX_NO
    assert data["doc_no"] == "渝科局函〔2024〕275号"
    assert data["members"][0]["name"] == "李洁"
    assert data["proposal"]["number"] == "1005"
    assert data["session"]["name"] == "市政协六届二次会议"
    assert data["lead_agency"]["name"] == "重庆市科学技术局"
    assert [a["name"] for a in data["co_agencies"]] == [
        "重庆市人力资源和社会保障局",
        "重庆市经济和信息化委员会",
        "重庆市人民政府国有资产监督管理委员会",
    ]
    assert [a["as_written"] for a in data["co_agencies"]] == [
        "市人力社保局",
        "市经济信息委",
        "市国资委",
    ]
    assert len(data["commitments"]) == 4
    assert {"title", "doc_no", "cited_by"} <= set(data["citations"][0])
    assert data["signed_date"] == "2024-05-16"
    assert data["sources"][0]["revision"] == 1
    # Sections as the parser gave them, whatever form the row stores them in.
    reply = Reply.objects.get(index_no=SEED_INDEX_NO)
    assert data["sections"] == reply.section_list
    assert data["sections"][0]["text"] and data["sections"][0]["text"] in data["body_text"]


def test_drafts_are_invisible_to_the_api(client):
    Reply.objects.filter(index_no=SEED_INDEX_NO).update(status=Reply.Status.DRAFT)
    assert client.get(f"/api/replies/{SEED_INDEX_NO}").status_code == 404
    data = client.get("/api/search", {"q": "孵化"}).json()
    assert SEED_INDEX_NO not in [hit["index_no"] for hit in data["results"]]


def test_entity_endpoints(client):
    agencies = client.get("/api/agencies").json()
    names = {a["name"]: a for a in agencies["results"]}
    assert names["重庆市人民政府国有资产监督管理委员会"]["co_count"] == 1
    assert "市国资委" in names["重庆市人民政府国有资产监督管理委员会"]["aliases"]
    members = client.get("/api/members").json()
    assert "李洁" in [m["name"] for m in members["results"]]
    proposal_url = client.get(f"/api/replies/{SEED_INDEX_NO}").json()["proposal"]["url"]
    proposal_id = proposal_url.rstrip("/").rsplit("/", 1)[-1]
    proposal = client.get(f"/api/proposals/{proposal_id}").json()
    assert proposal["number"] == "1005"
    assert [r["index_no"] for r in proposal["replies"]] == [SEED_INDEX_NO]


def test_openapi_schema_documents_every_endpoint(client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {"/api/search", "/api/replies/{index_no}", "/api/agencies", "/api/members"} <= paths


def test_phrase_counts_are_flagged_approximate_in_api_and_page(client):
    phrase = client.get("/api/search", {"q": '"科技企业孵化"'}).json()
    assert phrase["count"] == 1 and phrase["count_approximate"] is True
    words = client.get("/api/search", {"q": "科技企业孵化"}).json()
    assert words["count_approximate"] is False
    # One bigram is matched exactly: nothing to confirm.
    assert client.get("/api/search", {"q": '"孵化"'}).json()["count_approximate"] is False
    page = client.get("/search/", {"q": '"科技企业孵化"'}).content.decode()
    assert "共 约 1 件" in page
    assert "共 1 件" in client.get("/search/", {"q": '"孵化"'}).content.decode()
