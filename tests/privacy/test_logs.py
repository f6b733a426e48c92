"""Issue 26: no personal data at INFO, over the journeys this branch adds or reaches.

Extends tests/backoffice/test_log_scrubbing.py (which proves, at DEBUG, that no phone number,
token or password reaches a log line) to the rest of the personal data — names, e-mail addresses
and what the customer wrote — for every record at INFO and above: an intake over the API, a
customer's message, a staff reply, the customer writing again on their own channel (SMS) after
the case closed, a contact correction in the admin, the customer's bundle (admin action and
command), and the retention task anonymising them; and the customer's own channels: the status
page, an e-mail read from the mailbox, an SMS reply through the gateway's webhook.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.choices import Channel
from cases.models import Case, Customer, Message
from casework.services import CustomerData, case_open, case_transition, customer_writes
from casework.services.channel_actor import channel_actor
from inbound.services import receive_email
from portal.services import issue_link
from privacy.tasks import retention
from tests.backoffice.test_log_scrubbing import Capture
from tests.support.factories import staff

NAME, NEW_NAME = "欧阳娜娜", "欧阳菲菲"
PHONE = "+8613712345678"
EMAIL, NEW_EMAIL = "ouyang.nana@example.cn", "feifei.ouyang@example.cn"
BODY = "我叫欧阳娜娜，身份证110101199003070000，充值没到账"
REPLY = "欧阳娜娜您好，已经为您核实"
SMS = "欧阳娜娜又写信：还是没到账"
PORTAL = "欧阳娜娜在进度页补充：截图见附件"
MAIL = "欧阳娜娜的邮件：请尽快处理"
RATING = "欧阳娜娜评价：太慢了"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def info_log():
    """Every record at INFO and above from every logger, formatted as the configured handler."""
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    disabled = {logger: logger.disabled for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.disabled = False
    capture = Capture(scrub=True)
    capture.setLevel(logging.INFO)
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        for logger in loggers:
            logger.setLevel(levels[logger])
            logger.disabled = disabled[logger]


@pytest.mark.django_db
def test_the_privacy_journeys_log_no_personal_data_at_info(
    info_log, admin_client, tmp_path, django_capture_on_commit_callbacks, settings
):
    intake = APIClient()
    bot = staff("intake", username="intake-bot")
    intake.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=bot).key}")
    agent = staff("agent", "general", username="agent")
    body = {
        "channel": "app",
        "category": "other",
        "subject": "充值问题",
        "description": BODY,
        "customer": {"external_id": "U-log", "name": NAME, "phone": PHONE, "email": EMAIL},
    }
    response = intake.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    message = {"body": BODY, "customer": {"external_id": "U-log"}}
    assert (
        intake.post(f"/api/v1/cases/{reference}/messages/", message, format="json").status_code
        == 201
    )
    page = Client()
    page.force_login(agent)
    assert page.get(f"/cases/{reference}/").status_code == 200
    assert page.post(f"/cases/{reference}/reply/", {"body": REPLY}).status_code in (200, 302)
    case = Case.objects.get(reference=reference)
    case_transition(actor=agent, case=case, to="resolved", root_cause="system_fault", note=BODY)
    case_transition(actor=agent, case=case, to="closed")
    written = customer_writes(
        actor=channel_actor(Channel.SMS), case=case, body=SMS, channel=Channel.SMS
    )
    assert written.opened

    customer = Customer.objects.get(external_id="U-log")
    form = {
        "name": NEW_NAME,
        "phone": PHONE,
        "email": NEW_EMAIL,
        "language": customer.language,
        "preferred_channel": customer.preferred_channel,
    }
    assert (
        admin_client.post(f"/admin/cases/customer/{customer.pk}/change/", form).status_code == 302
    )
    changelist = reverse("admin:cases_customer_changelist")
    action = {"action": "download_bundle", "_selected_action": [customer.pk]}
    assert admin_client.post(changelist, action).status_code == 200
    call_command("customer_bundle", "U-log", "--out", str(tmp_path))

    followup = written.case
    case_transition(actor=agent, case=followup, to="resolved", root_cause="system_fault")
    case_transition(actor=agent, case=followup, to="closed")
    long_ago = timezone.now() - timedelta(days=settings.PRIVACY_RETENTION_DAYS + 1)
    Case.objects.filter(customer=customer).update(closed_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        retention.apply().get()
    customer.refresh_from_db()
    assert customer.email == ""  # the journey reached the anonymisation

    personal = {
        "name": NAME,
        "new name": NEW_NAME,
        "phone": PHONE,
        "phone (national)": PHONE[3:],
        "e-mail": EMAIL,
        "new e-mail": NEW_EMAIL,
        "id number": "110101199003070000",
        "message": BODY,
        "reply": REPLY,
        "sms": SMS,
    }
    leaked = {k: v for k, v in personal.items() if v in info_log.text}
    assert leaked == {}, [
        line for line in info_log.lines if any(v in line for v in leaked.values())
    ]
    # The capture saw the journey (the retention run logs its count at INFO).
    assert "customers anonymised" in info_log.text


@pytest.mark.django_db
def test_the_customer_channels_log_no_personal_data_at_info(info_log, settings):
    """The status page (check, writing with a file, the survey), an e-mail in and a reply by SMS:
    nothing the customer is or wrote reaches a log line at INFO."""
    settings.SMS_WEBHOOK_SECRET = ["log-secret"]
    agent = staff("agent", "general", username="agent")
    case = case_open(
        actor=None,
        channel="app",
        category="other",
        subject="充值问题",
        description=BODY,
        customer=CustomerData(external_id="U-ch", name=NAME, phone=PHONE, email=EMAIL),
    )
    phone = Client(REMOTE_ADDR="198.51.100.9")
    path = urlparse(issue_link(case=case)).path
    assert phone.post(path, {"last4": PHONE[-4:]}).status_code == 302
    assert case.reference in phone.get(path).content.decode()
    wrote = phone.post(path + "write/", {"body": PORTAL, "files": [png("欧阳娜娜的截图.png")]})
    assert wrote.status_code == 302, wrote.content[:300]

    mail = EmailMessage()
    mail["From"], mail["To"] = f"{NAME} <{EMAIL}>", f"cs+{case.reference}@service.example.com"
    mail["Subject"], mail["Message-ID"] = f"[{case.reference}] {NAME}的补充", "<log-1@example.cn>"
    mail.set_content(MAIL)
    assert receive_email(mail.as_bytes(), external_id="<log-1@example.cn>").status == "threaded"

    body = json.dumps(
        {
            "type": "reply",
            "id": "log-sms-1",
            "from": PHONE,
            "text": SMS,
            "at": "2026-12-07T10:00:00+08:00",
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(b"log-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    webhook = Client().post(
        "/api/v1/sms/events/",
        data=body,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature,
        HTTP_X_TIMESTAMP=stamp,
    )
    assert webhook.status_code == 200, webhook.content

    case_transition(actor=agent, case=case, to="resolved", root_cause="system_fault")
    survey = phone.post(path + "survey/", {"score": "1", "comment": RATING})
    assert survey.status_code == 302, survey.content[:300]
    assert Message.objects.filter(case=case, kind="customer").count() == 3

    personal = {
        "name": NAME,
        "phone": PHONE,
        "phone (national)": PHONE[3:],
        "e-mail": EMAIL,
        "description": BODY,
        "status page message": PORTAL,
        "mail": MAIL,
        "sms": SMS,
        "rating comment": RATING,
        "file name": "欧阳娜娜的截图",
    }
    leaked = {k: v for k, v in personal.items() if v in info_log.text}
    assert leaked == {}, [
        line for line in info_log.lines if any(v in line for v in leaked.values())
    ]
