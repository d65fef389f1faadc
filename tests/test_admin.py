"""The clerks' admin: permissions, upload, review, publish, corrections, history."""

import datetime as dt
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from replies.clerks import CLERK_GROUP, clerk_codenames
from replies.ingest import reparse_reply
from replies.models import (
    Agency,
    ChangeRecord,
    Member,
    PendingUpload,
    Proposal,
    Reply,
    ReplyAgency,
    Session,
    Source,
)
from tests.conftest import FIXTURES, SEED_FILE, SEED_INDEX_NO, SHARED_SAMPLES

UPLOAD_URL = "/admin/replies/reply/upload/"
CQ_JW_INDEX_NO = "11500000009275780L/2024-00213"


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def samples_zip() -> bytes:
    return make_zip({name: (FIXTURES / name).read_bytes() for name in SHARED_SAMPLES})


def upload(client, *files: tuple[str, bytes]):
    return client.post(
        UPLOAD_URL, {"files": [SimpleUploadedFile(name, data) for name, data in files]}
    )


def row_counts() -> dict[str, int]:
    models = (Reply, Source, ChangeRecord, PendingUpload, Member, Session, Proposal, ReplyAgency)
    return {model.__name__: model.objects.count() for model in models}


def review_url(pending: PendingUpload) -> str:
    return reverse("admin:replies_reply_review", args=[pending.pk])


def review_post(client, pending: PendingUpload, action: str, **changes):
    """Submit the review form as the page prefilled it, with `changes` typed over it."""
    response = client.get(review_url(pending))
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    for name, value in list(data.items()):
        field = form.fields[name]
        data[name] = field.prepare_value(value) if value is not None else ""
        if isinstance(data[name], dt.date):
            data[name] = data[name].isoformat()
    data.update(changes)
    data["action"] = action
    return client.post(review_url(pending), data)


@pytest.fixture
def clerk(db):
    call_command(
        "createclerk", "clerk1", "--password-from-stdin", stdin=io.StringIO("Wenjian-2024!\n")
    )
    return get_user_model().objects.get(username="clerk1")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


# --------------------------------------------------------------------------- the clerk group


def test_clerk_group_has_exactly_the_clerk_permissions(db):
    group = Group.objects.get(name=CLERK_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == set(clerk_codenames())
    assert {"view_reply", "add_reply", "change_reply", "delete_agencyalias"} <= codenames
    assert "delete_reply" not in codenames
    assert not group.permissions.filter(content_type__app_label="auth").exists()


def test_createclerk_makes_a_staff_user_in_the_group_who_can_log_in(clerk, client):
    assert clerk.is_staff and not clerk.is_superuser
    assert list(clerk.groups.values_list("name", flat=True)) == [CLERK_GROUP]
    # Through the real login form: django-axes (login throttling) authenticates requests.
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "clerk1", "password": "Wenjian-2024!"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_createclerk_refuses_a_weak_password(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="密码不符合要求"):
        call_command("createclerk", "weak", "--password-from-stdin", stdin=io.StringIO("123\n"))
    assert not get_user_model().objects.filter(username="weak").exists()


def test_clerk_cannot_reach_user_management(clerk_client):
    assert clerk_client.get("/admin/auth/user/").status_code == 403
    assert clerk_client.get("/admin/auth/group/").status_code == 403
    assert clerk_client.get("/admin/auth/user/add/").status_code == 403
    index = clerk_client.get("/admin/").content.decode()
    assert "/admin/auth/" not in index


def test_clerk_cannot_delete_a_reply(clerk_client, clerk, seed_reply):
    assert not clerk.has_perm("replies.delete_reply")
    delete_url = reverse("admin:replies_reply_delete", args=[seed_reply.pk])
    assert clerk_client.get(delete_url).status_code == 403
    assert clerk_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = clerk_client.get("/admin/replies/reply/")
    assert "delete_selected" not in changelist.content.decode()
    response = clerk_client.post(
        "/admin/replies/reply/",
        {"action": "delete_selected", "_selected_action": [seed_reply.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Reply.objects.filter(pk=seed_reply.pk).exists()


def test_admin_speaks_chinese(clerk_client, seed_reply):
    page = clerk_client.get("/admin/").content.decode()
    assert '<html lang="zh-hans"' in page
    assert "答复档案库 · 管理后台" in page and "档案管理" in page
    assert "待审核文件" in page
    changelist = clerk_client.get("/admin/replies/reply/").content.decode()
    for text in ("首页", "上传答复", "主办单位", "状态", "年份", "发布所选答复", "撤回所选答复"):
        assert text in changelist
    assert "Search" not in changelist  # Django's untranslated image label is replaced


# --------------------------------------------------------------------------- upload


def test_upload_one_file_waits_for_review_and_stores_no_reply(clerk_client):
    before = row_counts()
    response = upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    assert response.status_code == 200
    page = response.content.decode()
    assert "待审核" in page
    pending = PendingUpload.objects.get()
    assert pending.filename == SEED_FILE
    assert bytes(pending.content) == (FIXTURES / SEED_FILE).read_bytes()
    assert pending.uploaded_by.username == "clerk1"
    assert review_url(pending) in page
    assert row_counts() == before | {"PendingUpload": 1}


def test_upload_zip_of_three_samples_then_again_is_unchanged(clerk_client):
    response = upload(clerk_client, ("samples.zip", samples_zip()))
    assert response.status_code == 200
    pending = list(PendingUpload.objects.order_by("id"))
    assert [p.filename for p in pending] == [f"samples.zip/{name}" for name in SHARED_SAMPLES]
    assert len({p.batch for p in pending}) == 1

    # The same ZIP while its files still wait: nothing new waits.
    again = upload(clerk_client, ("samples.zip", samples_zip()))
    assert [r.status for r in again.context["report"].results] == ["waiting"] * 3
    assert PendingUpload.objects.count() == 3

    for item in pending:
        assert review_post(clerk_client, item, "publish").status_code == 302
    assert Reply.objects.count() == 3
    before = row_counts()

    # The same ZIP once stored: reported unchanged, nothing stored, nothing pending.
    third = upload(clerk_client, ("samples.zip", samples_zip()))
    results = third.context["report"].results
    assert [r.status for r in results] == ["unchanged"] * 3
    assert {r.reply.index_no for r in results} == set(
        Reply.objects.values_list("index_no", flat=True)
    )
    assert row_counts() == before
    assert "3 个未变化" in third.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", b"%PDF-1.7 binary", "不支持的文件类型"),
        ("table.xlsx", make_zip({"xl/workbook.xml": b"<x/>"}), "不支持的文件类型"),
        ("empty.txt", b"", "文件为空"),
        ("blank.txt", b"   \n\n  ", "文件为空"),
        ("garbage.txt", bytes(range(256)) * 40, "无法识别文字编码"),
        ("photo.html", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG"),
        ("notes.txt", "今天天气很好。\n我们去公园散步。\n".encode(), "未识别出标题"),
        (
            "letter.txt",
            "关于周末安排的通知\n\n各位同事：周六开会。\n".encode(),
            "不像一份提案/建议答复",
        ),
        ("nothing.html", b"<html><body><p>hello world</p></body></html>", "无法解析"),
        ("old.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 200, ".docx"),
        ("bad.zip", b"PK\x03\x04 this is not really a zip", "损坏"),
        ("empty.zip", make_zip({"__MACOSX/._a.txt": b"x"}), "压缩包里没有文件"),
    ],
)
def test_broken_files_get_a_chinese_reason_and_nothing_is_stored(clerk_client, name, data, message):
    before = row_counts()
    response = upload(clerk_client, (name, data))
    assert response.status_code == 200
    page = response.content.decode()
    assert "无法接收" in page
    assert message in page
    assert "此文件未保存" in page
    assert row_counts() == before


def test_oversize_file_is_refused_before_parsing(clerk_client, settings):
    settings.UPLOAD_MAX_BYTES = 2000
    before = row_counts()
    big = (FIXTURES / SEED_FILE).read_bytes()
    assert len(big) > 2000
    page = upload(clerk_client, (SEED_FILE, big)).content.decode()
    assert "文件过大" in page
    assert row_counts() == before
    # Inside a ZIP the same limit applies per document.
    page = upload(clerk_client, ("one.zip", make_zip({SEED_FILE: big}))).content.decode()
    assert "文件过大" in page
    assert row_counts() == before


def test_default_limit_is_20_mb(clerk_client):
    before = row_counts()
    big = b"<html>" + b" " * (20 * 1024 * 1024)
    page = upload(clerk_client, ("huge.html", big)).content.decode()
    assert "文件过大：20.0 MB，上限 20 MB" in page
    assert row_counts() == before


def test_several_files_in_one_upload_are_handled_one_by_one(clerk_client):
    docx = FIXTURES / "moa-2023-minjin-proposal.docx"
    response = upload(
        clerk_client,
        (docx.name, docx.read_bytes()),
        ("broken.txt", b""),
        (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()),
    )
    statuses = [(r.filename, r.status) for r in response.context["report"].results]
    assert statuses == [(docx.name, "pending"), ("broken.txt", "failed"), (SEED_FILE, "pending")]
    assert PendingUpload.objects.count() == 2
    # A Word file is reviewed as its paragraphs.
    pending = PendingUpload.objects.get(filename=docx.name)
    review_page = clerk_client.get(review_url(pending))
    assert review_page.status_code == 200
    source_text = review_page.context["info"].source_text
    assert "提案" in source_text and "word/document.xml" not in source_text


def test_zip_escaping_paths_is_refused_whole(clerk_client):
    before = row_counts()
    evil = make_zip(
        {SEED_FILE: (FIXTURES / SEED_FILE).read_bytes(), "../../etc/cron.d/x.txt": b"x"}
    )
    page = upload(clerk_client, ("evil.zip", evil)).content.decode()
    assert "越出压缩包" in page
    assert row_counts() == before


def test_zip_with_too_many_files_is_refused(clerk_client, settings):
    settings.ARCHIVE_ZIP_MAX_FILES = 2
    before = row_counts()
    page = upload(clerk_client, ("samples.zip", samples_zip())).content.decode()
    assert "ZIP 内文件过多" in page
    assert row_counts() == before


def test_zip_that_unpacks_too_large_is_refused(clerk_client, settings):
    settings.ARCHIVE_ZIP_MAX_TOTAL_BYTES = 2 * 1024 * 1024
    bomb = make_zip({f"{n}.txt": b" " * 1024 * 1024 for n in range(3)}, zipfile.ZIP_DEFLATED)
    assert len(bomb) < 100_000  # small to upload, large to unpack
    before = row_counts()
    page = upload(clerk_client, ("bomb.zip", bomb)).content.decode()
    assert "ZIP 解压后过大" in page
    assert row_counts() == before


def test_nested_zip_and_unsupported_members_are_refused_one_by_one(clerk_client):
    data = make_zip(
        {
            SEED_FILE: (FIXTURES / SEED_FILE).read_bytes(),
            "inner.zip": make_zip({"a.txt": b"x"}),
            "image.png": b"\x89PNG\r\n\x1a\n",
        }
    )
    page = upload(clerk_client, ("mixed.zip", data)).content.decode()
    assert "嵌套" in page
    assert "PNG" in page
    assert PendingUpload.objects.get().filename == f"mixed.zip/{SEED_FILE}"


def test_upload_without_files_asks_for_them(clerk_client):
    response = clerk_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.content.decode()


def test_upload_page_lists_what_waits_and_forgets_old_uploads(clerk_client, settings):
    upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    pending = PendingUpload.objects.get()
    page = clerk_client.get(UPLOAD_URL).content.decode()
    assert "待审核的文件" in page and SEED_FILE in page
    PendingUpload.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - dt.timedelta(days=settings.ARCHIVE_PENDING_UPLOAD_DAYS + 1)
    )
    page = clerk_client.get(UPLOAD_URL).content.decode()
    assert not PendingUpload.objects.exists()
    assert "没有待审核的文件" in page


def test_clearpending_command_deletes_only_old_uploads(clerk_client):
    upload(clerk_client, ("samples.zip", samples_zip()))
    first = PendingUpload.objects.order_by("id").first()
    PendingUpload.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    call_command("clearpending", "--days", "7", stdout=io.StringIO())
    assert PendingUpload.objects.count() == 2


def test_anonymous_and_plain_staff_cannot_upload(client, db):
    assert client.get(UPLOAD_URL).status_code == 302  # to the login page
    staff = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(UPLOAD_URL).status_code == 403
    assert upload(client, (SEED_FILE, b"x")).status_code == 403
    assert not PendingUpload.objects.exists()


# --------------------------------------------------------------------------- review


def test_review_page_shows_fields_beside_escaped_source_text(clerk_client):
    html = (FIXTURES / "cq-jw-2024-00213.html").read_bytes()
    hostile = html.replace(b"</body>", b"<script>alert('x')</script></body>")
    upload(clerk_client, ("cq.html", hostile))
    pending = PendingUpload.objects.get()
    response = clerk_client.get(review_url(pending))
    assert response.status_code == 200
    page = response.content.decode()
    form = response.context["form"]
    assert (
        form["title"].value()
        == "重庆市教育委员会关于市六届人大二次会议第0387号建议办理情况的答复函"
    )
    assert form["index_no"].value() == CQ_JW_INDEX_NO
    assert form["member_names"].value() == "王建国"
    assert 'value="王建国"' in page
    assert 'value="市财政局、市人力社保局"' in page
    assert 'value="2024-06-28"' in page  # written_date in a date input
    assert "原文" in page and 'class="source-text"' in page
    assert "<script>alert" not in page  # never rendered as markup
    for label in ("发布", "存为草稿", "放弃（不保存）"):
        assert label in page
    assert row_counts()["Reply"] == 0


def test_review_highlights_parser_warnings(clerk_client):
    # A reply without the date under the signature: the parser says so.
    text = (FIXTURES / SEED_FILE).read_text()
    without_date = text.replace("2024年5月16日", "")
    upload(clerk_client, ("nodate.txt", without_date.encode()))
    response = clerk_client.get(review_url(PendingUpload.objects.get()))
    page = response.content.decode()
    warnings = response.context["preview"].parsed.warnings
    assert any(w.startswith("signed_date") for w in warnings), warnings
    assert "解析提示" in page
    assert 'class="form-row field-signed_date has-warning' in page
    assert 'aria-describedby="id_signed_date_warning1"' in page


def test_review_of_a_changed_file_shows_the_stored_reply_and_a_diff(clerk_client, seed_reply):
    text = (FIXTURES / SEED_FILE).read_text()
    changed = text.replace("渝科局函〔2024〕275号", "渝科局函〔2024〕276号")
    upload(clerk_client, ("seed-v2.txt", changed.encode()))
    pending = PendingUpload.objects.get()
    response = clerk_client.get(review_url(pending))
    page = response.content.decode()
    assert "档案中已有这份答复" in page
    assert "索引号相同" in page
    rows = {row["key"]: row for row in response.context["diff_rows"]}
    assert rows["doc_no"]["stored"] == "渝科局函〔2024〕275号"
    assert rows["doc_no"]["parsed"] == "渝科局函〔2024〕276号"
    assert "逐字段比较" in page

    assert review_post(clerk_client, pending, "publish").status_code == 302
    seed_reply.refresh_from_db()
    assert seed_reply.doc_no == "渝科局函〔2024〕276号"
    assert [s.revision for s in seed_reply.sources.all()] == [2, 1]
    assert Reply.objects.count() == 3


def test_publish_with_a_correction_records_who_what_and_which_file(clerk_client, clerk):
    upload(clerk_client, ("samples.zip", samples_zip()))
    pending = PendingUpload.objects.get(filename=f"samples.zip/{SEED_FILE}")
    response = review_post(clerk_client, pending, "publish", signer="明炬同志")
    assert response.status_code == 302

    reply = Reply.objects.get(index_no=SEED_INDEX_NO)
    assert reply.status == Reply.Status.PUBLISHED
    assert reply.signer == "明炬同志"
    assert reply.corrected_fields == ["signer"]  # only the field the clerk changed
    source = reply.sources.get()
    assert source.channel == Source.Channel.ADMIN
    assert source.uploaded_by == clerk
    correction = reply.changes.get(action=ChangeRecord.Action.CORRECTED)
    assert correction.changes == {"signer": ["明炬", "明炬同志"]}
    assert correction.user == clerk
    assert correction.user_name == "clerk1"
    assert correction.source == source
    published = reply.changes.get(action=ChangeRecord.Action.STATUS)
    assert published.changes == {"status": ["draft", "published"]}
    assert not PendingUpload.objects.filter(pk=pending.pk).exists()
    # The next file of the batch comes up for review.
    following = PendingUpload.objects.filter(batch=pending.batch).order_by("created_at", "id")
    assert response["Location"] == review_url(following.first())

    # Public search finds it, and a reparse keeps the correction.
    found = clerk_client.get("/api/search", {"q": "孵化"}).json()
    assert [hit["index_no"] for hit in found["results"]] == [SEED_INDEX_NO]
    reparse_reply(reply)
    reply.refresh_from_db()
    assert reply.signer == "明炬同志"


def test_dates_may_be_typed_as_the_documents_write_them(clerk_client):
    upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    pending = PendingUpload.objects.get()
    response = review_post(clerk_client, pending, "draft", signed_date="二〇二四年五月十七日")
    assert response.status_code == 302
    reply = Reply.objects.get()
    assert reply.signed_date == dt.date(2024, 5, 17)
    assert reply.corrected_fields == ["signed_date"]
    assert reply.changes.get(action="corrected").changes == {
        "signed_date": ["2024-05-16", "2024-05-17"]
    }


def test_a_bad_date_is_refused_with_nothing_stored(clerk_client):
    upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    pending = PendingUpload.objects.get()
    response = review_post(clerk_client, pending, "publish", written_date="去年")
    assert response.status_code == 400
    assert "日期" in response.content.decode()
    assert not Reply.objects.exists()


def test_save_as_draft_keeps_it_out_of_public_search(clerk_client, client):
    upload(clerk_client, ("samples.zip", samples_zip()))
    pending = PendingUpload.objects.get(filename="samples.zip/cq-jw-2024-00213.html")
    assert review_post(clerk_client, pending, "draft").status_code == 302
    reply = Reply.objects.get(index_no=CQ_JW_INDEX_NO)
    assert reply.status == Reply.Status.DRAFT
    assert reply.corrected_fields == []
    client.logout()
    assert client.get("/api/search", {"q": "科学教育"}).json()["count"] == 0
    assert client.get(reply.get_absolute_url()).status_code == 404


def test_discard_stores_nothing(clerk_client):
    upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    pending = PendingUpload.objects.get()
    before = row_counts()
    response = clerk_client.post(review_url(pending), {"action": "discard"})
    assert response.status_code == 302
    assert response["Location"] == UPLOAD_URL
    assert row_counts() == before | {"PendingUpload": 0}
    # Reviewing it again says so instead of failing.
    again = clerk_client.get(review_url(pending), follow=True)
    assert "已经处理过或已被放弃" in again.content.decode()


def test_review_refuses_an_index_no_that_belongs_to_another_reply(clerk_client, seed_reply):
    other = FIXTURES / "gz-jtj-2024-suggestion-labels.html"
    upload(clerk_client, (other.name, other.read_bytes()))
    pending = PendingUpload.objects.get()
    before = row_counts()
    response = review_post(clerk_client, pending, "publish", index_no=SEED_INDEX_NO)
    assert response.status_code == 400
    assert "已属于另一份答复" in response.content.decode()
    assert row_counts() == before


def test_a_collision_the_form_could_not_see_rolls_everything_back(clerk_client, clerk, seed_reply):
    from replies.review import store_pending

    other = FIXTURES / "gz-jtj-2024-suggestion-labels.html"
    upload(clerk_client, (other.name, other.read_bytes()))
    pending = PendingUpload.objects.get()
    before = row_counts()
    # As if another clerk had taken this 索引号 between the form's check and the save.
    outcome = store_pending(pending.pk, {"index_no": SEED_INDEX_NO}, "published", clerk)
    assert outcome.status == "failed"
    assert "冲突" in outcome.reason
    assert row_counts() == before
    assert PendingUpload.objects.filter(pk=pending.pk).exists()


def test_review_requires_a_title(clerk_client):
    upload(clerk_client, (SEED_FILE, (FIXTURES / SEED_FILE).read_bytes()))
    pending = PendingUpload.objects.get()
    response = review_post(clerk_client, pending, "publish", title="  ")
    assert response.status_code == 400
    assert not Reply.objects.exists()
    assert PendingUpload.objects.filter(pk=pending.pk).exists()


# --------------------------------------------------------------------------- the reply page


def change_form_data(client, reply: Reply, **changes) -> dict:
    response = client.get(reverse("admin:replies_reply_change", args=[reply.pk]))
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        value = field.prepare_value(value) if value is not None else ""
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    data.update(changes)
    return data


def test_change_form_edit_goes_through_correct_reply(clerk_client, clerk, seed_reply):
    url = reverse("admin:replies_reply_change", args=[seed_reply.pk])
    data = change_form_data(clerk_client, seed_reply, proposal_title="关于孵化体系的建议（更正）")
    response = clerk_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    seed_reply.refresh_from_db()
    assert seed_reply.proposal_title == "关于孵化体系的建议（更正）"
    assert seed_reply.corrected_fields == ["proposal_title"]
    record = seed_reply.changes.get(action=ChangeRecord.Action.CORRECTED)
    assert record.user == clerk
    assert record.changes == {
        "proposal_title": ["关于推动构建高水平科技企业孵化体系的建议", "关于孵化体系的建议（更正）"]
    }
    assert record.source == seed_reply.sources.get()
    reparse_reply(seed_reply)
    seed_reply.refresh_from_db()
    assert seed_reply.proposal_title == "关于孵化体系的建议（更正）"


def test_change_form_lists_and_status_go_through_the_service(clerk_client, clerk, seed_reply):
    url = reverse("admin:replies_reply_change", args=[seed_reply.pk])
    data = change_form_data(
        clerk_client,
        seed_reply,
        co_agency_names="市人力社保局、市经济信息委",
        status="withdrawn",
    )
    assert clerk_client.post(url, data).status_code == 302
    seed_reply.refresh_from_db()
    assert seed_reply.co_agency_names == ["市人力社保局", "市经济信息委"]
    assert seed_reply.status == Reply.Status.WITHDRAWN
    assert seed_reply.agency_links.filter(role="co").count() == 2
    actions = set(seed_reply.changes.values_list("action", flat=True))
    assert {"corrected", "status"} <= actions


def test_unchanged_change_form_records_nothing(clerk_client, seed_reply):
    url = reverse("admin:replies_reply_change", args=[seed_reply.pk])
    before = ChangeRecord.objects.count()
    assert clerk_client.post(url, change_form_data(clerk_client, seed_reply)).status_code == 302
    assert ChangeRecord.objects.count() == before
    seed_reply.refresh_from_db()
    assert seed_reply.corrected_fields == []


def test_history_and_sources_are_shown_on_the_reply_page(clerk_client, seed_reply):
    url = reverse("admin:replies_reply_change", args=[seed_reply.pk])
    clerk_client.post(url, change_form_data(clerk_client, seed_reply, signer="明炬局长"))
    page = clerk_client.get(url).content.decode()
    assert "变更记录" in page
    assert "人工更正" in page and "clerk1" in page
    assert "签发人" in page and "明炬" in page and "明炬局长" in page
    assert SEED_FILE in page  # which source file
    download = reverse("reply_source", args=[seed_reply.pk, 1])
    assert download in page
    assert clerk_client.get(download).status_code == 200
    assert "重新解析时保留" in page


def test_add_reply_means_upload(clerk_client):
    response = clerk_client.get("/admin/replies/reply/add/")
    assert response.status_code == 302
    assert response["Location"] == UPLOAD_URL


# --------------------------------------------------------------------------- list and actions


def test_bulk_publish_and_withdraw_keep_everything(clerk_client, clerk, samples, client):
    Reply.objects.update(status=Reply.Status.DRAFT)
    ids = list(Reply.objects.values_list("pk", flat=True))
    response = clerk_client.post(
        "/admin/replies/reply/", {"action": "publish_selected", "_selected_action": ids}
    )
    assert response.status_code == 302
    assert set(Reply.objects.values_list("status", flat=True)) == {"published"}
    assert ChangeRecord.objects.filter(action="status", user=clerk).count() == 3
    assert client.get("/api/search").json()["count"] == 3

    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    sources_before = Source.objects.count()
    clerk_client.post(
        "/admin/replies/reply/", {"action": "withdraw_selected", "_selected_action": [seed.pk]}
    )
    seed.refresh_from_db()
    assert seed.status == Reply.Status.WITHDRAWN
    assert Source.objects.count() == sources_before
    assert seed.sources.exists() and seed.commitments.exists()
    assert client.get("/api/search").json()["count"] == 2
    assert client.get(seed.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "published"}, 3),
        ({"kind__exact": "suggestion"}, 1),
        ({"year": "2024"}, 3),
        ({"q": "李洁"}, 1),  # member
        ({"q": "渝教函〔2024〕88号"}, 1),  # 文号
        ({"q": SEED_INDEX_NO}, 1),  # 索引号
        ({"q": "孵化体系"}, 0),  # the proposal title is not a search field
        ({"q": "第03105号"}, 1),  # title
    ],
)
def test_list_filters_and_search(clerk_client, samples, params, expected):
    response = clerk_client.get("/admin/replies/reply/", params)
    assert response.status_code == 200
    assert response.context["cl"].result_count == expected


def test_list_filters_by_agency_theme_and_session(clerk_client, samples, seed_reply):
    lead = seed_reply.lead_agency
    co = Agency.objects.get(name="重庆市人民政府国有资产监督管理委员会")
    theme = seed_reply.themes.get()
    science = set(theme.replies.values_list("pk", flat=True))
    assert len(science) == 2  # the ministry's reply is filed under 科技 too
    for params, expected in (
        ({"lead_agency__id__exact": lead.pk}, {seed_reply.pk}),
        ({"agencies__id__exact": co.pk}, {seed_reply.pk}),
        ({"themes__id__exact": theme.pk}, science),
        ({"session__id__exact": seed_reply.session_id}, {seed_reply.pk}),
    ):
        response = clerk_client.get("/admin/replies/reply/", params)
        assert {r.pk for r in response.context["cl"].result_list} == expected, params
    page = clerk_client.get("/admin/replies/reply/").content.decode()
    for title in ("主办单位", "涉及机构", "主题", "会议", "类型", "年份"):
        assert title in page


def test_clerk_manages_agency_aliases(clerk_client, seed_reply):
    agency = seed_reply.lead_agency
    response = clerk_client.post(
        "/admin/replies/agencyalias/add/",
        {"agency": agency.pk, "name": "重庆科技局", "region": "重庆市"},
    )
    assert response.status_code == 302
    alias = agency.aliases.get(name="重庆科技局")
    assert (
        clerk_client.post(
            f"/admin/replies/agencyalias/{alias.pk}/delete/", {"post": "yes"}
        ).status_code
        == 302
    )
    assert not agency.aliases.filter(name="重庆科技局").exists()


def test_sources_and_history_are_read_only(clerk_client, seed_reply):
    source = seed_reply.sources.get()
    assert clerk_client.get(f"/admin/replies/source/{source.pk}/change/").status_code == 200
    assert clerk_client.get(f"/admin/replies/source/{source.pk}/delete/").status_code == 403
    record = seed_reply.changes.first()
    assert clerk_client.get(f"/admin/replies/changerecord/{record.pk}/delete/").status_code == 403
