import pytest
from django.db import connection
from django.urls import reverse


@pytest.mark.django_db
def test_home_renders_chinese(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode("utf-8")
    assert "答复档案库" in html
    assert 'lang="zh-CN"' in html


@pytest.mark.django_db
def test_runs_on_real_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000
