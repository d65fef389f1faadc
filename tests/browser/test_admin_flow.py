"""A clerk's afternoon, in a real browser: upload the three shared samples in one ZIP,
correct a field, publish two and keep one as draft, check the public search, upload the same
ZIP again, and upload a broken file."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.management import call_command

from replies.models import ChangeRecord, PendingUpload, Reply, Source
from tests.conftest import FIXTURES, SEED_FILE, SEED_INDEX_NO, SHARED_SAMPLES

pytestmark = pytest.mark.browser

PASSWORD = "Dangan-Kezhang-2024"


def samples_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in SHARED_SAMPLES:
            archive.writestr(name, (FIXTURES / name).read_bytes())
    return buffer.getvalue()


def counts() -> dict[str, int]:
    return {
        "replies": Reply.objects.count(),
        "sources": Source.objects.count(),
        "pending": PendingUpload.objects.count(),
        "changes": ChangeRecord.objects.count(),
    }


def public_search(page, query: str) -> dict:
    response = page.request.get("/api/search", params={"q": query})
    assert response.ok
    return response.json()


def assert_accessible(page, *, allow_minor: bool = False) -> None:
    """No axe-core violations on the page. `allow_minor` tolerates Django's own minor ones
    (its inline tables have empty header cells for the row caption and delete columns)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if not (allow_minor and v["impact"] == "minor")
    ]
    assert violations == [], violations


def upload_files(page, files: list[dict]) -> None:
    """Choose files and submit with the keyboard: Tab from the file chooser to the button."""
    chooser = page.get_by_label("文件", exact=True)
    chooser.set_input_files(files)
    chooser.focus()
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="上传并解析")
    assert button.evaluate("el => el === document.activeElement")
    # Focus is visible: the archive's outline, not the browser default or nothing.
    assert button.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_clerk_uploads_reviews_and_publishes(page, screenshot_dir):
    call_command(
        "createclerk",
        "clerk",
        "--password-from-stdin",
        stdin=io.StringIO(PASSWORD + "\n"),
        stdout=io.StringIO(),
    )

    # Log in.
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="答复档案库 · 管理后台").wait_for()

    # To the upload page from the replies list.
    page.goto("/admin/replies/reply/")
    page.get_by_role("link", name="上传答复").click()
    page.get_by_role("heading", name="上传答复").wait_for()

    upload_files(
        page, [{"name": "samples.zip", "mimeType": "application/zip", "buffer": samples_zip()}]
    )
    results = page.locator(".upload-results tbody tr")
    assert results.count() == 3
    assert page.locator(".upload-results .status-pending").count() == 3
    assert counts()["pending"] == 3 and counts()["replies"] == 0
    page.screenshot(path=str(screenshot_dir / "admin-upload.png"), full_page=True)
    assert_accessible(page)

    # Review the first file: the seed reply. Correct the signer.
    page.get_by_role("link", name="开始审核本批文件").click()
    page.get_by_role("heading", name="审核上传的文件").wait_for()
    assert SEED_FILE in page.locator(".review-meta").inner_text()
    title = page.get_by_label("标题:", exact=True)
    assert title.input_value() == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    source_text = page.locator("pre.source-text").inner_text()
    assert "李洁委员" in source_text
    signer = page.get_by_label("签发人:", exact=True)
    assert signer.input_value() == "明炬"
    signer.fill("明炬同志")
    # Enter in a text box must not publish by accident.
    signer.press("Enter")
    page.wait_for_timeout(300)
    assert "/review/" in page.url and counts()["replies"] == 0
    # What the clerk sees on arrival: fields, source text and the action bar in one screen.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "admin-review.png"))
    assert_accessible(page)
    page.get_by_role("button", name="发布", exact=True).click()

    # The second file comes up by itself: keep it as a draft.
    page.get_by_text(
        "已发布“重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函”"
    ).wait_for()
    assert "cq-jw-2024-00213.html" in page.locator(".review-meta").inner_text()
    page.get_by_role("button", name="存为草稿").click()

    # The third: publish unchanged.
    page.get_by_text("存为草稿（公众看不到）").wait_for()
    assert "most-2024-03105.txt" in page.locator(".review-meta").inner_text()
    page.get_by_role("button", name="发布", exact=True).click()
    page.get_by_text("没有待审核的文件。").wait_for()
    assert re.search(r"/admin/replies/reply/upload/$", page.url)

    seed = Reply.objects.get(index_no=SEED_INDEX_NO)
    assert seed.status == "published"
    assert seed.signer == "明炬同志" and seed.corrected_fields == ["signer"]
    assert seed.changes.get(action="corrected").user_name == "clerk"
    statuses = dict(Reply.objects.values_list("index_no", "status"))
    assert sorted(statuses.values()) == ["draft", "published", "published"]

    # The reply's page shows the correction in its history; the list and it pass axe too.
    page.goto(f"/admin/replies/reply/{seed.pk}/change/")
    history = page.locator(".readonly-record").last
    assert "人工更正" in history.inner_text() and "明炬同志" in history.inner_text()
    assert_accessible(page, allow_minor=True)
    page.goto("/admin/replies/reply/")
    assert_accessible(page)

    # The public sees the two published replies and not the draft.
    assert public_search(page, "")["count"] == 2
    assert [hit["index_no"] for hit in public_search(page, "孵化")["results"]] == [SEED_INDEX_NO]
    assert public_search(page, "科学教育")["count"] == 0  # the draft
    assert public_search(page, "科技型中小企业")["count"] == 1
    page.goto("/search/?q=孵化")
    assert page.get_by_role("link", name=re.compile("第1005号提案")).count() >= 1
    page.goto("/search/?q=科学教育")
    assert page.get_by_role("link", name=re.compile("第0387号建议")).count() == 0

    # The same ZIP again: reported unchanged, nothing new.
    before = counts()
    page.goto("/admin/replies/reply/upload/")
    upload_files(
        page, [{"name": "samples.zip", "mimeType": "application/zip", "buffer": samples_zip()}]
    )
    assert page.locator(".upload-results .status-unchanged").count() == 3
    assert page.get_by_text("3 个未变化").count() == 1
    assert counts() == before

    # A broken file: a clear reason, nothing stored.
    upload_files(
        page,
        [
            {
                "name": "答复.docx",
                "mimeType": "application/octet-stream",
                "buffer": b"PK\x03\x04oops",
            }
        ],
    )
    failure = page.locator(".upload-results .failure-reason")
    assert failure.count() == 1
    assert "损坏" in failure.inner_text()
    assert page.get_by_text("此文件未保存。").count() == 1
    assert counts() == before
