"""Every page keeps to the CSP (`script-src 'self'`, `style-src 'self'`): no inline `<script>`, no
`<style>` element, no `style=` attribute, no inline event handler; and every form control has a
label (or an aria-label), every id is unique."""

from collections import Counter
from html.parser import HTMLParser

import pytest

from casework.services import incident_link, incident_open
from tests.support.refund_factories import request_refund

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


class Audit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.ids: Counter = Counter()
        self.labels: set[str] = set()
        self.controls: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in attrs:
            self.problems.append(f"style= on <{tag}>")
        self.problems += [f"{name}= on <{tag}>" for name in attrs if name.startswith("on")]
        self.problems += [f"{name}= on <{tag}>" for name in attrs if name.startswith("hx-on")]
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append((tag, attrs))

    def report(self) -> list[str]:
        problems = list(self.problems)
        problems += [f"duplicate id {i}" for i, n in self.ids.items() if n > 1]
        for tag, attrs in self.controls:
            labelled = attrs.get("id") in self.labels or attrs.get("aria-label")
            if not labelled:
                problems.append(f"unlabelled <{tag} name={attrs.get('name')}>")
        return problems


def audit(html: str) -> list[str]:
    parser = Audit()
    parser.feed(html)
    return parser.report()


@pytest.fixture
def pages(people, case, credit_case):
    refund = request_refund(people.agent, case, "20.00")
    incident = incident_open(actor=people.supervisor, code="cm-9", title="故障")
    incident_link(actor=people.supervisor, incident=incident, cases=[case])
    detail = f"/cases/{case.reference}/"
    return {
        "agent": ["/cases/mine/", "/queues/", "/queues/recharge/", detail, "/approvals/"],
        "supervisor": [
            "/queues/recharge/?status=new&flag=duplicate&q=x",
            "/cases/",
            detail,
            "/approvals/",
            "/incidents/",
            "/incidents/new/",
            f"/incidents/{incident.code}/",
        ],
        "credit_agent": [f"/cases/{credit_case.reference}/"],
        "finance": ["/approvals/", "/cases/", detail],
        "manager": ["/queues/", "/incidents/"],
        "intake": ["/"],
        "_refund": refund,
    }


def test_no_inline_script_or_style_and_every_control_labelled(login, people, pages, client):
    assert audit(client.get("/login/").content.decode()) == []
    for who, urls in pages.items():
        if who.startswith("_"):
            continue
        user_client = login(getattr(people, who))
        for url in urls:
            for extra in ({}, HX):
                response = user_client.get(url, **extra)
                assert response.status_code == 200, (who, url)
                assert audit(response.content.decode()) == [], (who, url, extra)


def test_error_pages_and_fragments_keep_to_the_rules(login, people, case):
    client = login(people.agent)
    for extra in ({}, HX):
        response = client.post(f"/cases/{case.reference}/status/", {"to": "resolved"}, **extra)
        assert response.status_code == 400
        assert audit(response.content.decode()) == []
        response = client.post(f"/cases/{case.reference}/refunds/", {"amount": "x"}, **extra)
        assert response.status_code == 400
        assert audit(response.content.decode()) == []


def test_scripts_are_served_from_static(login, people):
    html = login(people.agent).get("/queues/").content.decode()
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html
    assert '<script src="/static/js/app.js" defer></script>' in html
    assert "cdn" not in html.lower()
