"""Evidence in a real browser (zh-hans): an agent uploads a screenshot in the workspace and sees
its preview (loaded lazily through the scoped file view); a page renamed .png is refused next to
the field; an agent of another queue who has the file's URL gets a 404."""

import pytest
from playwright.sync_api import expect

from cases.models import Attachment
from tests.browser.data import Team, seed_queue
from tests.support.factories import staff

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def test_agent_uploads_a_screenshot_and_another_queue_cannot_open_it(
    open_session, screenshots, transactional_db
):
    team = Team()
    case = seed_queue(team)[1]
    assert case.queue.code == "recharge"
    staff("agent", "credit", username="zhao.lei")  # another queue only

    agent = open_session("li.na")
    page = agent.goto(f"/cases/{case.reference}/")
    expect(page.locator("#files-h")).to_contain_text("文件")
    expect(page.locator("#files")).to_contain_text("暂无文件")
    shot = page.screenshot()  # a real screenshot, as an agent would attach one
    page.reload()  # Playwright leaves style="" where it measured; htmx would move it (CSP)

    page.set_input_files(
        "#attach-file", files=[{"name": "付款截图.png", "mimeType": "image/png", "buffer": shot}]
    )
    page.click("#files button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("已上传文件 付款截图.png")
    thumb = page.locator("#files img.thumb")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("loading", "lazy")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#files img.thumb').naturalWidth > 0")
    expect(page.locator("#files")).to_contain_text("PNG")
    expect(page.locator(".timeline")).to_contain_text("付款截图.png")

    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and attachment.size == len(shot)
    url = f"/cases/{case.reference}/files/{attachment.pk}/"
    served = page.request.get(f"{agent.base_url}{url}")
    assert served.status == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline;")
    assert served.body() == shot

    # A web page disguised as a PNG is refused next to the field, in Chinese.
    page.set_input_files(
        "#attach-file", files=[{"name": "发票.png", "mimeType": "image/png", "buffer": HTML}]
    )
    page.click("#files button[type=submit]")
    expect(page.locator("#files")).to_contain_text("不接受此类文件")
    assert Attachment.objects.count() == 1
    page.screenshot(path=screenshots / "workspace-files-zh.png", full_page=True)

    other = open_session("zhao.lei")
    response = other.page.goto(f"{other.base_url}{url}")
    assert response is not None and response.status == 404
    assert other.page.request.get(f"{other.base_url}{url}?download=1").status == 404
