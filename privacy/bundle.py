"""The customer's rights (PIPL art. 45): everything the product holds about one customer, as JSON
and as a readable HTML page in Chinese (`manage.py customer_bundle`, the customer admin's action).

One section per model that holds rows about the customer, each row with every stored field (binary
payloads and claim tokens aside). Models of the apps above privacy (refunds, portal, inbound) are
reached by label, not imported; a model missing from this deployment is left out. Risk flags (the
fraud screening's findings) and the audit trail (staff actions, references only) are not part of
the bundle.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from backoffice.audit.services import audit_record
from cases.models import Customer

# (model label, the lookup from the model to the customer). Order: as the HTML page shows them.
SECTIONS = (
    ("cases.Customer", "pk"),
    ("cases.ContactChange", "customer"),
    ("cases.Case", "customer"),
    ("cases.Message", "case__customer"),
    ("cases.Attachment", "case__customer"),
    ("cases.CaseEvent", "case__customer"),
    ("cases.RechargeOrder", None),  # their own, and those without a customer their cases are about
    ("cases.CreditAccountSnapshot", "case__customer"),
    ("refunds.Refund", "case__customer"),
    ("notifications.Notification", "case__customer"),
    ("portal.Satisfaction", "case__customer"),
    ("inbound.InboundMessage", "case__customer"),
    # TODO(lead): h6's access records; listed when the model exists on the merged branch.
    ("privacy.AccessRecord", "customer"),
    ("privacy.Anonymisation", "customer"),
)
LEFT_OUT = frozenset({"lease_token", "lease_expires_at", "raw"})


@dataclass(frozen=True)
class Section:
    label: str
    title: str
    columns: list  # (attname, verbose name)
    rows: list  # dicts attname → JSON-ready value


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _queryset(model, lookup, customer: Customer):
    if lookup is None:  # recharge orders
        return model.objects.filter(
            Q(customer=customer) | Q(customer__isnull=True, cases__customer=customer)
        ).distinct()
    value = customer.pk if lookup == "pk" else customer
    return model.objects.filter(**{lookup: value})


def _fields(model) -> list:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in LEFT_OUT and not isinstance(f, models.BinaryField)
    ]


def _row(obj, fields) -> dict:
    row = {}
    for f in fields:
        value = getattr(obj, f.attname)
        if isinstance(f, models.FileField):
            value = value.name if value else ""
        row[f.attname] = value
    return json.loads(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))


def sections(customer: Customer) -> list[Section]:
    found = []
    for label, lookup in SECTIONS:
        model = _model(label)
        if model is None:
            continue
        try:
            rows = list(_queryset(model, lookup, customer).order_by("pk"))
        except FieldError:
            continue  # a model of that name that is not about a customer
        fields = _fields(model)
        found.append(
            Section(
                label=model._meta.label_lower,
                title=str(model._meta.verbose_name_plural),
                columns=[(f.attname, str(f.verbose_name)) for f in fields],
                rows=[_row(obj, fields) for obj in rows],
            )
        )
    return found


def bundle_data(customer: Customer) -> dict:
    with translation.override("zh-hans"):
        found = sections(customer)
    return {
        "customer": customer.external_id,
        "generated_at": timezone.now().isoformat(),
        "sections": {s.label: s.rows for s in found},
    }


def bundle_html(customer: Customer) -> str:
    with translation.override("zh-hans"):
        found = sections(customer)
        tables = [
            {
                "title": s.title,
                "label": s.label,
                "headers": [name for _attname, name in s.columns],
                "rows": [[_cell(row[a]) for a, _name in s.columns] for row in s.rows],
            }
            for s in found
        ]
        return render_to_string(
            "privacy/customer_bundle.html",
            {"customer": customer, "tables": tables, "generated_at": timezone.now()},
        )


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def safe_name(external_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", external_id)[:64] or "customer"


@dataclass(frozen=True)
class Bundle:
    json: str
    html: str
    rows: int


@transaction.atomic
def customer_bundle(*, actor, customer: Customer) -> Bundle:
    """The bundle of one customer; its production is recorded in the audit chain (counts only)."""
    data = bundle_data(customer)
    rows = sum(len(r) for r in data["sections"].values())
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    html = bundle_html(customer)
    audit_record(
        actor=actor,
        action="privacy.bundle",
        object_type="cases.customer",
        object_id=customer.external_id,
        payload={"rows": rows, "sections": {k: len(v) for k, v in data["sections"].items()}},
    )
    return Bundle(json=text, html=html, rows=rows)


def write_bundle(*, actor, customer: Customer, out: Path) -> tuple[Path, Path]:
    bundle = customer_bundle(actor=actor, customer=customer)
    out.mkdir(parents=True, exist_ok=True)
    name = safe_name(customer.external_id)
    json_path, html_path = out / f"{name}.json", out / f"{name}.html"
    json_path.write_text(bundle.json, encoding="utf-8")
    html_path.write_text(bundle.html, encoding="utf-8")
    return json_path, html_path
