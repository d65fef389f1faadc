"""The public research snapshot: CSV tables, datapackage.json, README, zip, and /datasets/."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from replies.dataset import TABLES, dump_dataset, list_snapshots
from replies.ingest import Context, set_status
from replies.models import Reply
from tests.conftest import SEED_INDEX_NO

JW_INDEX_NO = "11500000009275780L/2024-00213"  # cq-jw-2024-00213.html prints a phone number
MOST_INDEX_NO = "000014349/2024-00317"
PHONE = "023-12345678"
SNAPSHOT = "reply-archive-test"
EXPECTED_FILES = {
    "replies.csv",
    "agencies.csv",
    "agency_aliases.csv",
    "members.csv",
    "sessions.csv",
    "proposals.csv",
    "reply_agencies.csv",
    "reply_members.csv",
    "themes.csv",
    "reply_themes.csv",
    "commitments.csv",
    "citations.csv",
    "cited_documents.csv",
}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def snapshot(ingested, tmp_path) -> Path:
    """A snapshot with one reply withdrawn (it must not be published)."""
    set_status(Reply.objects.get(index_no=MOST_INDEX_NO), Reply.Status.WITHDRAWN, Context())
    dump_dataset(tmp_path, name=SNAPSHOT)
    return tmp_path / SNAPSHOT


def test_replies_csv_holds_the_published_replies_in_chinese(snapshot):
    raw = (snapshot / "replies.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = read_csv(snapshot / "replies.csv")
    published = Reply.objects.published()
    assert len(rows) == published.count() == Reply.objects.count() - 1
    assert {int(row["id"]) for row in rows} == set(published.values_list("id", flat=True))
    assert MOST_INDEX_NO not in {row["index_no"] for row in rows}
    seed = next(row for row in rows if row["index_no"] == SEED_INDEX_NO)
    assert seed["title"] == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    assert json.loads(seed["member_names"]) == ["李洁"]
    assert seed["page_path"] == f"/r/{SEED_INDEX_NO}"
    assert "孵化" in seed["body_text"]
    assert list(rows[0]) == [column.name for column in TABLES[0].columns]


def test_every_csv_has_a_bom(snapshot):
    for name in EXPECTED_FILES:
        assert (snapshot / name).read_bytes().startswith(b"\xef\xbb\xbf"), name


def test_no_contact_details_anywhere_in_the_snapshot(snapshot, tmp_path):
    jw = next(r for r in read_csv(snapshot / "replies.csv") if r["index_no"] == JW_INDEX_NO)
    assert "联系人：［已隐去］" in jw["body_text"]
    assert PHONE in Reply.objects.get(index_no=JW_INDEX_NO).body_text  # the original has it
    texts = [path.read_bytes() for path in snapshot.iterdir()]
    with zipfile.ZipFile(tmp_path / f"{SNAPSHOT}.zip") as archive:
        texts += [archive.read(name) for name in archive.namelist()]
    for data in texts:
        assert PHONE.encode() not in data
        assert b"12345678" not in data
        assert "刘老师".encode() not in data


def test_contact_details_are_redacted_even_when_the_site_shows_them(ingested, tmp_path):
    """An archive run with ARCHIVE_REDACT_CONTACTS off shows the body as it is (it stores no
    separate public copy); the open dataset still never carries the contact details."""
    jw = Reply.objects.get(index_no=JW_INDEX_NO)
    Reply.objects.filter(pk=jw.pk).update(public_body_text="")
    assert PHONE in Reply.objects.get(pk=jw.pk).public_text
    dump_dataset(tmp_path, name=SNAPSHOT)
    assert PHONE not in (tmp_path / SNAPSHOT / "replies.csv").read_text(encoding="utf-8-sig")


def test_datapackage_describes_every_csv(snapshot):
    package = json.loads((snapshot / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    resources = {resource["path"]: resource for resource in package["resources"]}
    on_disk = {path.name for path in snapshot.glob("*.csv")}
    assert set(resources) == on_disk == EXPECTED_FILES
    tables = {
        resource["name"]: read_csv(snapshot / resource["path"]) for resource in resources.values()
    }
    for path, resource in resources.items():
        data = (snapshot / path).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
        schema = resource["schema"]
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert [f["name"] for f in schema["fields"]] == header, path
        assert all(f["description"] for f in schema["fields"])
        assert set(schema["primaryKey"]) <= set(header)
        rows = tables[resource["name"]]
        keys = [tuple(row[k] for k in schema["primaryKey"]) for row in rows]
        assert len(keys) == len(set(keys)), f"{path}: duplicate primary key"
        for foreign in schema["foreignKeys"]:
            target = foreign["reference"]
            known = {tuple(row[k] for k in target["fields"]) for row in tables[target["resource"]]}
            for row in rows:
                value = tuple(row[k] for k in foreign["fields"])
                assert value in known or value == ("",), (path, foreign, value)


def test_readme_is_citable_and_points_to_the_backup_commands(snapshot):
    readme = (snapshot / "README.md").read_text(encoding="utf-8")
    published = Reply.objects.published().count()
    for needed in (
        "答复档案库",
        "**Version:**",
        "CC BY 4.0",
        "confirm this licence",
        "How to cite",
        f"**Replies:** {published} published",
        "［已隐去］",
        "export_archive",
        "import_archive",
        "`body_text`",
        "`role`",
    ):
        assert needed in readme, needed


def test_zip_holds_the_snapshot(snapshot, tmp_path):
    with zipfile.ZipFile(tmp_path / f"{SNAPSHOT}.zip") as archive:
        names = set(archive.namelist())
        assert names == {f"{SNAPSHOT}/{p.name}" for p in snapshot.iterdir()}
        assert archive.read(f"{SNAPSHOT}/replies.csv") == (snapshot / "replies.csv").read_bytes()


def test_existing_snapshot_is_kept_unless_forced(ingested, tmp_path, capsys):
    call_command("dump_dataset", str(tmp_path), "--name", SNAPSHOT)
    assert f"snapshot {SNAPSHOT}" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already exists"):
        call_command("dump_dataset", str(tmp_path), "--name", SNAPSHOT)
    call_command("dump_dataset", str(tmp_path), "--name", SNAPSHOT, "--force")
    assert [s.filename for s in list_snapshots(tmp_path)] == [f"{SNAPSHOT}.zip"]
    assert not list(tmp_path.glob(".*"))  # no partial files left behind


# --------------------------------------------------------------------------- /datasets/


@pytest.fixture
def dataset_dir(tmp_path, settings) -> Path:
    directory = tmp_path / "datasets"
    directory.mkdir()
    settings.ARCHIVE_DATASET_DIR = directory
    (tmp_path / "secret.txt").write_text("outside the datasets directory")
    return directory


def test_datasets_page_lists_and_serves_snapshots(samples, dataset_dir, client):
    empty = client.get("/datasets/").content.decode()
    assert "reply-archive" not in empty
    dump_dataset(dataset_dir, name=SNAPSHOT)
    page = client.get("/datasets/")
    assert page.status_code == 200
    assert f'href="/datasets/{SNAPSHOT}.zip"' in page.content.decode()
    response = client.get(f"/datasets/{SNAPSHOT}.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == (dataset_dir / f"{SNAPSHOT}.zip").read_bytes()


def test_footer_links_the_latest_snapshot(samples, dataset_dir, client):
    assert "/datasets/" not in client.get("/").content.decode()
    dump_dataset(dataset_dir, name="reply-archive-2024-01-01")
    html = client.get("/").content.decode()
    assert 'href="/datasets/reply-archive-2024-01-01.zip"' in html
    assert 'href="/datasets/"' in html
    client.cookies["django_language"] = "en"
    english = client.get("/datasets/").content.decode()
    assert "Download the open data (reply-archive-2024-01-01)" in english
    assert "Each snapshot is a ZIP file" in english


@pytest.mark.parametrize(
    "path",
    [
        "/datasets/../secret.txt",
        "/datasets/..%2Fsecret.txt",
        "/datasets/%2E%2E%2Fsecret.txt",
        "/datasets/..%5Csecret.txt",
        "/datasets/..",
        "/datasets/.hidden.zip",
        "/datasets/link.zip",
        "/datasets/missing.zip",
        "/datasets/secret.txt",
    ],
)
def test_datasets_view_serves_nothing_outside_the_listing(dataset_dir, client, path, db):
    (dataset_dir / ".hidden.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (dataset_dir / "link.zip").symlink_to(dataset_dir.parent / "secret.txt")
    (dataset_dir / "secret.txt").write_text("not a snapshot")
    response = client.get(path)
    assert response.status_code == 404
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"outside the datasets directory" not in body
