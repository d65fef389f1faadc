"""A researcher's path through the archive in a real browser, with accessibility checks and
the screenshots the README shows."""

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SHARED_SAMPLES

# serialized_rollback: the flush after a transactional test would also wipe the agencies and
# aliases that a data migration seeds.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SEED_TITLE = "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"


@pytest.fixture
def archive_server(live_server):
    from replies.ingest import Context, ingest_many

    items = [(name, (FIXTURES / name).read_bytes()) for name in SHARED_SAMPLES]
    assert all(o.ok for o in ingest_many(items, Context(user_name="browser-tests")))
    return live_server


def assert_accessible(page):
    """axe-core: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    serious = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious


def assert_cjk_glyphs_render(page):
    """Chinese text renders with a CJK font, not as tofu: a CJK string and a Latin string of
    the same length must differ in width, and the CJK one must be wider."""
    widths = page.evaluate(
        """() => {
            const probe = document.createElement('span');
            probe.style.fontSize = '20px';
            document.body.appendChild(probe);
            probe.textContent = '答复档案库检索';
            const cjk = probe.getBoundingClientRect().width;
            probe.textContent = 'iiiiiii';
            const latin = probe.getBoundingClientRect().width;
            probe.remove();
            return [cjk, latin, document.fonts.check('20px "Noto Sans CJK SC"')];
        }"""
    )
    cjk, latin, noto = widths
    assert cjk > latin * 2, widths
    assert noto, "Noto Sans CJK SC is not available to the browser"


def test_search_facet_detail_member_and_back(archive_server, page):
    base = archive_server.url
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "答复档案库"
    assert_cjk_glyphs_render(page)
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)

    page.get_by_label("检索词").first.fill("孵化")
    page.get_by_label("检索词").first.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert "共 1 件" in page.locator("#results-heading").inner_text()
    assert page.locator("mark").first.inner_text() == "孵化"

    # Narrow by a co-handling agency from the facet sidebar.
    page.locator(".facet a", has_text="市国资委").first.click()
    page.wait_for_url("**agency=*")
    assert "agency=" in page.url
    assert page.locator(".facet a.selected").count() >= 1
    assert page.locator(".result-title a").all_inner_texts() == [SEED_TITLE]
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "results.png"), full_page=True)
    results_url = page.url

    page.get_by_role("link", name=SEED_TITLE).click()
    page.wait_for_url("**/r/11500000MB15895317/2024-00079")
    assert page.locator("h1").inner_text() == SEED_TITLE
    assert page.locator(".commitments li").count() == 4
    assert "渝府办发〔2021〕142号" in page.locator(".citations").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "detail.png"), full_page=False)

    page.locator(".parties").get_by_role("link", name="李洁").click()
    page.wait_for_url("**/members/**")
    assert "李洁" in page.locator("h1").inner_text()
    assert page.locator(".result-title a").all_inner_texts() == [SEED_TITLE]
    assert_accessible(page)

    page.go_back()
    page.go_back()
    assert page.url == results_url
    assert page.locator(".result-title a").all_inner_texts() == [SEED_TITLE]


def test_language_switch(archive_server, page):
    page.goto(archive_server.url + "/search/?q=孵化")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Results for" in page.locator("#results-heading").inner_text()
    # The reply's own text stays Chinese.
    assert page.locator(".result-title a").first.inner_text() == SEED_TITLE
    assert_accessible(page)
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_keyboard_only_search(archive_server, page):
    page.goto(archive_server.url + "/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.get_by_label("检索词").first.focus()
    page.keyboard.type("明月湖")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator(".result-title a").all_inner_texts() == [SEED_TITLE]


def test_phone_layout_has_no_horizontal_scroll(archive_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    for path in ("/", "/search/?q=科技", "/r/11500000MB15895317/2024-00079"):
        page.goto(archive_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    page.goto(archive_server.url + "/search/?q=科技")
    page.screenshot(path=str(SCREENSHOTS / "results-phone.png"))
    context.close()
