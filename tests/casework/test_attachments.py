"""Evidence attachments: what a file may be (sniffed from its bytes), where it is stored, who may
upload and open it, and how it is served (issue 24). Through the service, the API and the
workspace, on PostgreSQL; each control has a test that tries to get round it."""

import base64
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.test import APIClient

from backoffice.errors import Conflict, Forbidden, Invalid
from cases.choices import AttachmentSource, EventType, Status
from cases.models import Attachment, Case, CaseEvent
from casework.services import (
    IncomingFile,
    attach,
    case_claim,
    case_customer_message,
    case_reply,
    case_transition,
)
from tests.support.factories import open_case, staff

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + b"\x00" * 14
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEXT = "付款截图见附件。\nOrder R1\n".encode()
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
MALICIOUS_NAME = '../../etc/"pass\r\nSet-Cookie: x=1;\u202egnp.exe 截图.png'


def api(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def agent():
    return staff("agent", "recharge", username="agent")


@pytest.fixture
def other_agent():
    """An agent of another queue: the recharge cases are outside their scope."""
    return staff("agent", "credit", username="other")


@pytest.fixture
def intake():
    return staff("intake", username="app")


@pytest.fixture
def case(agent):
    case = open_case()
    assert case.queue.code == "recharge"
    return case


def upload(case, agent, name="截图.png", data=PNG, **kwargs):
    return attach(
        case=case,
        file=IncomingFile(name=name, data=data),
        source=AttachmentSource.WORKSPACE,
        actor=agent,
        **kwargs,
    )


# --- the service ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("截图.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("a.gif", GIF, "image/gif"),
        ("a.webp", WEBP, "image/webp"),
        ("回执.pdf", PDF, "application/pdf"),
        ("notes.txt", TEXT, "text/plain"),
        ("no-extension", PNG, "image/png"),
    ],
)
def test_accepted_files_are_stored_with_their_sniffed_type(case, agent, name, data, content_type):
    attachment = upload(case, agent, name=name, data=data)
    attachment.refresh_from_db()
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert attachment.uploaded_by == agent
    assert attachment.source == AttachmentSource.WORKSPACE
    assert attachment.original_name == name
    assert attachment.file.read() == data
    event = case.events.get(type=EventType.ATTACHMENT_ADDED)
    assert event.actor == agent
    assert event.payload["attachment_id"] == attachment.pk
    assert event.payload["size"] == len(data)


def test_the_storage_name_is_random_and_never_the_senders(case, agent):
    first = upload(case, agent, name=MALICIOUS_NAME)
    second = upload(case, agent, name=MALICIOUS_NAME)
    for attachment in (first, second):
        path = attachment.file.name
        assert path.startswith(f"attachments/{case.pk}/")
        leaf = path.rsplit("/", 1)[-1]
        assert len(leaf) == 32 and all(c in "0123456789abcdef" for c in leaf)
        assert Path(attachment.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT))
    assert first.file.name != second.file.name
    # The name kept for display has no folders, control or direction characters.
    assert first.original_name == '"passSet-Cookie: x=1;gnp.exe 截图.png'


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.png", b"", "file_empty"),
        ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "file_too_big"),
        ("page.png", HTML, "file_type_not_allowed"),
        ("page.txt", HTML, "file_type_not_allowed"),
        ("image.png", SVG, "file_type_not_allowed"),
        ("image.svg", SVG, "file_type_not_allowed"),
        ("setup.pdf", EXE, "file_type_not_allowed"),
        ("photo.jpg", PNG, "file_extension_mismatch"),
        ("report.png", PDF, "file_extension_mismatch"),
        ("notes.pdf", TEXT, "file_extension_mismatch"),
    ],
)
def test_bad_files_are_refused_naming_the_field_and_nothing_is_written(
    case, agent, name, data, code
):
    events = CaseEvent.objects.count()
    files_before = _stored_files()
    with pytest.raises(Invalid) as exc:
        upload(case, agent, name=name, data=data)
    assert exc.value.code == code
    assert list(exc.value.errors) == ["file"]
    assert Attachment.objects.count() == 0
    assert CaseEvent.objects.count() == events
    assert _stored_files() == files_before


def _stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p) for p in root.rglob("*") if p.is_file()}


def test_only_the_cases_agents_may_upload(case, other_agent, intake):
    for actor in (other_agent, intake, staff("finance", username="fin")):
        with pytest.raises(Forbidden):
            upload(case, actor)
    assert Attachment.objects.count() == 0


def test_a_closed_case_takes_no_more_uploads(case, agent):
    case_claim(actor=agent, case=case)
    case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause="user_error")
    case_transition(actor=agent, case=case, to=Status.CLOSED)
    with pytest.raises(Conflict):
        upload(case, agent)
    assert Attachment.objects.count() == 0


def test_customer_files_come_with_their_message(case, intake):
    message = case_customer_message(
        actor=intake,
        case=case,
        body="截图在附件",
        files=[IncomingFile("a.png", PNG), IncomingFile("回执.pdf", PDF)],
    )
    stored = list(Attachment.objects.order_by("id"))
    assert [(a.message_id, a.source, a.uploaded_by) for a in stored] == [
        (message.pk, AttachmentSource.INTAKE, intake)
    ] * 2
    assert case.events.filter(type=EventType.ATTACHMENT_ADDED).count() == 2


def test_one_bad_customer_file_refuses_the_message_and_stores_nothing(case, intake):
    files_before = _stored_files()
    with pytest.raises(Invalid) as exc:
        case_customer_message(
            actor=intake,
            case=case,
            body="截图在附件",
            files=[IncomingFile("a.png", PNG), IncomingFile("b.png", HTML)],
        )
    assert list(exc.value.errors) == ["attachments.1"]
    assert case.messages.count() == 0 and Attachment.objects.count() == 0
    assert _stored_files() == files_before


def test_intake_may_not_attach_to_staff_messages(case, agent, intake):
    note = case_reply(actor=agent, case=case, body="internal", internal=True)
    with pytest.raises(Forbidden):
        attach(
            case=case,
            file=IncomingFile("a.png", PNG),
            source=AttachmentSource.INTAKE,
            actor=intake,
            message=note,
        )


@pytest.mark.django_db(transaction=True)
def test_deleting_the_case_removes_its_files_once_committed(agent):
    case = open_case()
    attachment = upload(case, agent)
    path = Path(attachment.file.path)
    assert path.exists()
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).delete()
        assert path.exists()  # not before the deletion commits
    assert not path.exists()
    assert Attachment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_deletion_rolled_back_keeps_the_file(agent):
    case = open_case()
    attachment = upload(case, agent)
    path = Path(attachment.file.path)
    with pytest.raises(RuntimeError), transaction.atomic():
        Attachment.objects.filter(pk=attachment.pk).delete()
        raise RuntimeError
    assert path.exists() and Attachment.objects.filter(pk=attachment.pk).exists()


# --- serving ---------------------------------------------------------------------------------------


def file_url(attachment) -> str:
    return f"/cases/{attachment.case.reference}/files/{attachment.pk}/"


def test_an_image_is_served_inline_with_safe_headers(client, case, agent):
    attachment = upload(case, agent, name=MALICIOUS_NAME)
    client.force_login(agent)
    response = client.get(file_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; ")
    # One header line; the quoted fallback holds no quote, backslash, semicolon or non-ASCII.
    assert "\r" not in disposition and "\n" not in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == "_passSet-Cookie: x=1_gnp.exe __.png"
    assert disposition.endswith(
        "filename*=UTF-8''%22passSet-Cookie%3A%20x%3D1%3Bgnp.exe%20%E6%88%AA%E5%9B%BE.png"
    )
    assert "Set-Cookie" not in {k for k, _ in response.items()}
    download = client.get(file_url(attachment) + "?download=1")
    assert download["Content-Disposition"].startswith("attachment; ")


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("回执.pdf", PDF, "application/pdf"), ("notes.txt", TEXT, "text/plain; charset=utf-8")],
)
def test_other_files_are_downloads(client, case, agent, name, data, content_type):
    attachment = upload(case, agent, name=name, data=data)
    client.force_login(agent)
    response = client.get(file_url(attachment))
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data


def test_an_agent_of_another_queue_gets_404(client, case, agent, other_agent):
    attachment = upload(case, agent)
    client.force_login(other_agent)
    assert client.get(file_url(attachment)).status_code == 404
    # nor through a case they may see: the file id belongs to the case in the URL
    theirs = open_case(category="credit_limit_unusable", order=None)
    assert theirs.queue.code == "credit"
    response = client.get(f"/cases/{theirs.reference}/files/{attachment.pk}/")
    assert response.status_code == 404
    assert client.get(f"/cases/{case.reference}/files/999999/").status_code == 404


def test_managers_and_finance_may_open_files_intake_and_anonymous_may_not(client, case, agent):
    attachment = upload(case, agent)
    for role in ("manager", "finance"):
        client.force_login(staff(role, username=role))
        assert client.get(file_url(attachment)).status_code == 200
    client.force_login(staff("intake", username="app"))
    assert client.get(file_url(attachment)).status_code == 403
    client.logout()
    assert client.get(file_url(attachment)).status_code == 302  # to the login page


def test_a_file_gone_from_storage_is_a_404_not_a_500(client, case, agent):
    attachment = upload(case, agent)
    os.remove(attachment.file.path)
    client.force_login(agent)
    assert client.get(file_url(attachment)).status_code == 404


# --- the workspace -----------------------------------------------------------------------------------


def test_the_workspace_uploads_and_previews(client, case, agent):
    client.force_login(agent)
    url = f"/cases/{case.reference}/files/"
    response = client.post(url, {"file": SimpleUploadedFile("截图.png", PNG, "text/html")})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png"  # the declared type is ignored
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'src="{file_url(attachment)}"' in page
    assert 'loading="lazy"' in page
    assert "截图.png" in page


def test_the_workspace_refuses_a_bad_file_next_to_the_field(client, case, agent):
    client.force_login(agent)
    response = client.post(
        f"/cases/{case.reference}/files/",
        {"file": SimpleUploadedFile("evil.png", HTML, "image/png")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    form = response.context["attach_form"]
    assert list(form.errors) == ["file"]
    assert "不接受" in form.errors["file"][0]
    assert Attachment.objects.count() == 0


def test_another_queues_agent_cannot_upload_through_the_workspace(client, case, other_agent):
    client.force_login(other_agent)
    response = client.post(
        f"/cases/{case.reference}/files/", {"file": SimpleUploadedFile("a.png", PNG)}
    )
    assert response.status_code == 404
    assert Attachment.objects.count() == 0


# --- the API -------------------------------------------------------------------------------------------


def test_agents_upload_and_list_through_the_api(case, agent):
    client = api(agent)
    url = f"/api/v1/cases/{case.reference}/attachments/"
    response = client.post(url, {"name": "回执.pdf", "content": b64(PDF)}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["source"] == "api" and body["uploaded_by"] == "agent"
    assert body["size"] == len(PDF) and body["message"] is None
    listed = client.get(url).json()
    assert [a["id"] for a in listed] == [body["id"]]
    detail = client.get(f"/api/v1/cases/{case.reference}/").json()
    assert [a["id"] for a in detail["attachments"]] == [body["id"]]
    file = client.get(body["url"])
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == PDF
    assert file["Content-Disposition"].startswith("attachment; ")
    assert file["X-Content-Type-Options"] == "nosniff"
    # A client asking for the file's own type gets it too.
    assert client.get(body["url"], HTTP_ACCEPT="application/pdf").status_code == 200


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b64(b""), "a.png", "empty"),
        ("not base64!!", "a.png", "base64"),
        (b64(HTML), "a.png", "not accepted"),
        (b64(SVG), "a.svg", "not accepted"),
        (b64(PNG), "a.jpg", "ends in .jpg"),
        (b64(b"%PDF-" + b"0" * (5 * 1024 * 1024)), "a.pdf", "too big"),
    ],
)
def test_the_api_refuses_bad_files_naming_content(case, agent, content, name, message):
    response = api(agent).post(
        f"/api/v1/cases/{case.reference}/attachments/",
        {"name": name, "content": content},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["content"]
    assert message in response.json()["content"][0]
    assert Attachment.objects.count() == 0


def test_the_api_scopes_files_like_the_case(case, agent, other_agent, intake):
    attachment = upload(case, agent)
    url = f"/api/v1/cases/{case.reference}/attachments/"
    assert api(other_agent).get(url).status_code == 404
    assert api(other_agent).get(f"{url}{attachment.pk}/").status_code == 404
    response = api(other_agent).post(url, {"name": "a.png", "content": b64(PNG)}, format="json")
    assert response.status_code == 404
    assert api(intake).get(f"{url}{attachment.pk}/").status_code == 403
    assert Attachment.objects.count() == 1


def test_customer_messages_carry_files_from_intake(case, intake):
    url = f"/api/v1/cases/{case.reference}/messages/"
    body = {
        "body": "截图在附件",
        "customer": {"external_id": "U1001"},
        "attachments": [{"name": "截图.png", "content": b64(PNG)}],
    }
    response = api(intake).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    stored = Attachment.objects.get()
    assert stored.message_id == response.json()["id"]
    assert stored.source == AttachmentSource.INTAKE


def test_a_bad_customer_file_names_its_index_and_writes_nothing(case, intake):
    url = f"/api/v1/cases/{case.reference}/messages/"
    body = {
        "body": "截图在附件",
        "customer": {"external_id": "U1001"},
        "attachments": [
            {"name": "a.png", "content": b64(PNG)},
            {"name": "b.png", "content": b64(HTML)},
        ],
    }
    response = api(intake, "zh-hans").post(url, body, format="json")
    assert response.status_code == 400
    errors = response.json()["attachments"]
    assert list(errors) == ["1"] and list(errors["1"]) == ["content"]  # the second file's content
    assert "不接受" in errors["1"]["content"][0]
    assert case.messages.count() == 0 and Attachment.objects.count() == 0


def test_too_many_customer_files_are_refused(case, intake):
    body = {
        "body": "x",
        "customer": {"external_id": "U1001"},
        "attachments": [{"name": f"{n}.png", "content": b64(PNG)} for n in range(6)],
    }
    response = api(intake).post(f"/api/v1/cases/{case.reference}/messages/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["attachments"]


def test_a_body_over_the_request_limit_is_a_413(case, agent):
    content = "A" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = api(agent).post(
        f"/api/v1/cases/{case.reference}/attachments/",
        {"name": "a.png", "content": content},
        format="json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
