"""The SLA report in a real browser (the UI's Playwright set-up in tests/browser/conftest.py:
Debian's Chromium, the live server): Chart.js draws the chart from the page's JSON under the CSP.
The screenshot of the Chinese page is `reports-sla-zh.png` in the screenshot folder
(`UI_SCREENSHOTS=docs/screenshots` refreshes docs/screenshots/reports-sla-zh.png)."""

import pytest

from tests.support.report_factories import PERIOD, hand_built

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHART_STATE = """() => {
    const canvas = document.getElementById("chart-sla");
    const chart = window.Chart && window.Chart.getChart(canvas);
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
    return {
        chart: Boolean(chart),
        labels: chart ? chart.data.labels : [],
        data: chart ? chart.data.datasets[0].data : [],
        painted: painted,
    };
}"""


def test_sla_report_draws_its_chart(open_session, screenshots):
    data = hand_built()  # the clocks' times are fixed; only "now" is real here
    query = "&".join(f"{k}={v}" for k, v in {**PERIOD, "group_by": "queue"}.items())
    session = open_session(data.people.manager.username)  # zh-CN: the page in Chinese

    page = session.goto(f"/reports/?{query}")
    page.wait_for_selector("canvas#chart-sla[data-drawn='true']")
    state = page.evaluate(CHART_STATE)
    page.screenshot(path=str(screenshots / "reports-sla-zh.png"), full_page=True)

    assert page.locator("h1").inner_text() == "SLA 达成情况"
    assert state["chart"] is True
    assert state["labels"] == [
        "额度问题 Credit limit (credit)",
        "充值差错 Top-up errors (recharge)",
    ]
    assert state["data"] == [50.0, 83.3]
    assert state["painted"] > 1000  # the bars and axes are drawn, not an empty canvas
    table = page.locator("table.report-table").inner_text()
    assert "83.3" in table and "3,492.0" in table
    assert session.console_errors == []  # no CSP violation, no script error
    assert (screenshots / "reports-sla-zh.png").stat().st_size > 10_000
