"""The customer's status page through HTTP: the second factor, the lockout, the per-address limit,
expiry and revocation, one link one case, what the page says, writing with evidence, the survey."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.choices import AttachmentSource, MessageKind, Status
from cases.models import Attachment, Case, Customer, Message
from casework.services import case_extend_deadline, case_reply, case_transition
from portal.models import CustomerLink, Satisfaction
from portal.services import token_hash
from tests.portal.conftest import EXE, PNG, new_link
from tests.support.factories import open_case

pytestmark = pytest.mark.django_db


def link_of(path: str) -> CustomerLink:
    return CustomerLink.objects.get(token_hash=token_hash(path.split("/")[2]))


def test_nothing_personal_before_the_check(people, customer_client):
    case = open_case(customer_id="U1")
    path = new_link(case)
    page = customer_client.get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="last4"' in text and 'name="viewport"' in text
    for personal in (case.reference, case.subject, "张三", "5678", "充值"):
        assert personal not in text
    assert page["Cache-Control"] == "no-store"


def test_the_check_passes_with_the_last_four_digits_only(people, customer_client):
    case = open_case(customer_id="U1")
    path = new_link(case)
    wrong = customer_client.post(path, {"last4": "1234"})
    assert wrong.status_code == 400
    assert 'id="last4-error"' in wrong.content.decode()
    assert case.reference not in wrong.content.decode()
    assert customer_client.post(path, {}).status_code == 400  # nothing sent: the field named
    right = customer_client.post(path, {"last4": "5678"})
    assert (right.status_code, right["Location"]) == (302, path)
    cookie = next(iter(right.cookies.values()))
    assert (cookie["path"], cookie["httponly"]) == (path, True)
    page = customer_client.get(path)
    assert page.status_code == 200 and case.reference in page.content.decode()
    assert link_of(path).last_used_at is not None


def test_five_wrong_tries_lock_the_link_for_15_minutes(people, customer_client):
    case = open_case(customer_id="U1")
    path = new_link(case)
    for _ in range(4):
        assert customer_client.post(path, {"last4": "0000"}).status_code == 400
    locked = customer_client.post(path, {"last4": "0000"})
    assert locked.status_code == 429
    assert 840 < int(locked["Retry-After"]) <= 900
    link = link_of(path)
    assert timedelta(minutes=14) < link.locked_until - timezone.now() <= timedelta(minutes=15)
    assert customer_client.post(path, {"last4": "5678"}).status_code == 429
    assert not customer_client.cookies.get(f"portal_{link.pk}")
    CustomerLink.objects.filter(pk=link.pk).update(locked_until=timezone.now())
    assert customer_client.post(path, {"last4": "5678"}).status_code == 302


def test_the_address_limit_spans_links(people, settings, customer_client, client):
    settings.PORTAL_IP_LIMIT = 3
    case = open_case(customer_id="U1")
    paths = [new_link(case) for _ in range(4)]
    for path in paths[:3]:
        assert customer_client.post(path, {"last4": "0000"}).status_code == 400
    refused = customer_client.post(paths[3], {"last4": "5678"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert customer_client.get(paths[3]).status_code == 429
    assert link_of(paths[3]).last_used_at is None  # not even checked
    other = client.post(paths[3], {"last4": "5678"}, REMOTE_ADDR="192.0.2.44")
    assert other.status_code == 302


def test_expired_revoked_and_unknown_links(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    assert customer_client.get(path).status_code == 200
    CustomerLink.objects.filter(pk=link_of(path).pk).update(
        revoked_at=timezone.now(), revoke_reason="x"
    )
    gone = customer_client.get(path)
    assert gone.status_code == 410 and case.reference not in gone.content.decode()
    path2 = opened(case)
    CustomerLink.objects.filter(pk=link_of(path2).pk).update(expires_at=timezone.now())
    assert customer_client.get(path2).status_code == 410
    assert customer_client.post(path2 + "write/", {"body": "x"}).status_code == 410
    assert customer_client.get("/c/AAAAAAAAAAAAAAAAAAAAAA/").status_code == 404


def test_a_session_opens_only_its_own_link(people, opened, customer_client):
    case = open_case(customer_id="U1")
    other = open_case(customer_id="U2", order=None, subject="另一个人的投诉")
    opened(case)
    foreign = new_link(other)
    page = customer_client.get(foreign)
    assert page.status_code == 200
    assert 'name="last4"' in page.content.decode()
    assert other.reference not in page.content.decode()
    # writing to the other case without its check goes back to the check
    assert customer_client.post(foreign + "write/", {"body": "x"}).status_code == 302
    assert Message.objects.filter(case=other, kind=MessageKind.CUSTOMER).count() == 0


def test_a_case_moved_to_another_customer_closes_the_link(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    stranger = Customer.objects.create(external_id="U3", phone="+8613700005678")
    Case.objects.filter(pk=case.pk).update(customer=stranger)
    assert customer_client.get(path).status_code == 410


def test_the_page_states_the_deadline_and_its_basis(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    text = customer_client.get(path).content.decode()
    assert re.search(
        r"根据《银行保险机构消费投诉处理管理办法》规定，我们将于 2\d{3}年\d{1,2}月\d{1,2}日 "
        r"\d\d:\d\d 前给予答复",
        text,
    ), text
    assert "根据《客户服务承诺》规定" in text
    case_extend_deadline(actor=people.supervisor, case=case, reason="需要运营商协查")
    text = customer_client.get(path).content.decode()
    assert "处理期限已延长至" in text and "原因：需要运营商协查" in text


def test_the_page_in_english_for_an_english_customer(people, opened, customer_client):
    case = open_case(customer_id="U1")
    Customer.objects.filter(pk=case.customer_id).update(language="en")
    path = opened(case)
    text = customer_client.get(path).content.decode()
    assert '<html lang="en">' in text
    assert "Under the Measures for Handling Consumer Complaints" in text


def test_the_customer_writes_and_sends_a_screenshot(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    response = customer_client.post(
        path + "write/",
        {"body": "这是付款截图", "files": [SimpleUploadedFile("截图.png", PNG, "image/png")]},
    )
    assert (response.status_code, response["Location"]) == (302, path + "?done=message")
    message = Message.objects.get(case=case, kind=MessageKind.CUSTOMER)
    assert message.body == "这是付款截图"
    attachment = Attachment.objects.get(case=case)
    assert (attachment.message_id, attachment.source) == (message.pk, AttachmentSource.PORTAL)
    text = customer_client.get(path + "?done=message").content.decode()
    assert "这是付款截图" in text and "已收到您的留言" in text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "见附件", "files": [SimpleUploadedFile("a.png", EXE, "image/png")]}, "files"),
        ({"body": "见附件", "files": [SimpleUploadedFile("a.png", b"", "image/png")]}, "files"),
        ({"body": "", "files": [SimpleUploadedFile("a.png", PNG, "image/png")]}, "body"),
        ({"body": "x" * 20001}, "body"),
        ({"body": "a\x00b"}, "body"),
    ],
)
def test_bad_writes_name_the_field_and_save_nothing(people, opened, customer_client, data, field):
    case = open_case(customer_id="U1")
    path = opened(case)
    response = customer_client.post(path + "write/", data)
    assert response.status_code == 400
    assert f'data-error="{field}"' in response.content.decode()
    assert Message.objects.filter(case=case, kind=MessageKind.CUSTOMER).count() == 0
    assert Attachment.objects.filter(case=case).count() == 0


def test_too_big_a_file_is_refused(people, opened, customer_client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    case = open_case(customer_id="U1")
    path = opened(case)
    big = PNG + b"\x00" * 2048
    response = customer_client.post(
        path + "write/", {"body": "大图", "files": [SimpleUploadedFile("b.png", big, "image/png")]}
    )
    assert response.status_code == 400 and 'data-error="files"' in response.content.decode()
    assert Attachment.objects.filter(case=case).count() == 0


def survey_for(case) -> Satisfaction:
    case.refresh_from_db()
    return Satisfaction.objects.get(case=case, cycle=case.cycle)  # offered on resolution


def test_the_survey_after_resolution(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    assert 'name="score"' not in customer_client.get(path).content.decode()
    case_transition(actor=people.agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    survey = survey_for(case)
    assert 'name="score"' in customer_client.get(path).content.decode()
    bad = customer_client.post(path + "survey/", {"score": "9", "comment": "x"})
    assert bad.status_code == 400 and 'id="score-error"' in bad.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None
    ok = customer_client.post(path + "survey/", {"score": "4", "comment": "处理很快"})
    assert (ok.status_code, ok["Location"]) == (302, path + "?done=survey")
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "处理很快")
    again = customer_client.post(path + "survey/", {"score": "1"})
    assert again.status_code == 409
    survey.refresh_from_db()
    assert survey.score == 4
    assert "您的评分为 4 分" in customer_client.get(path).content.decode()


def test_no_survey_no_answer(people, opened, customer_client):
    case = open_case(customer_id="U1")
    path = opened(case)
    response = customer_client.post(path + "survey/", {"score": "5"})
    assert response.status_code == 409
    assert Satisfaction.objects.count() == 0


def test_the_customer_sees_public_replies_not_notes(people, opened, customer_client):
    case = open_case(customer_id="U1")
    case_reply(actor=people.agent, case=case, body="已联系运营商核实")
    case_reply(actor=people.agent, case=case, body="内部：疑似羊毛党", internal=True)
    path = opened(case)
    text = customer_client.get(path).content.decode()
    assert "已联系运营商核实" in text and "疑似羊毛党" not in text


def test_writing_on_a_closed_case_opens_a_follow_up(people, opened, customer_client):
    case = open_case(customer_id="U1")
    case_transition(actor=people.agent, case=case, to=Status.RESOLVED, root_cause="carrier_fault")
    case.refresh_from_db()
    case_transition(actor=people.agent, case=case, to=Status.CLOSED)
    path = opened(case)
    response = customer_client.post(path + "write/", {"body": "又充错了"})
    assert (response.status_code, response["Location"]) == (302, path + "?done=followup")
    new = Case.objects.get(follows=case)
    assert Message.objects.get(case=new, kind=MessageKind.CUSTOMER).body == "又充错了"
    text = customer_client.get(response["Location"]).content.decode()
    assert f"已作为新投诉 {new.reference} 受理" in text
