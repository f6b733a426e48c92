"""The code tables: seeded, mapped onto every case at intake, refreshed with the root cause, and
versioned (a set that classified a case is not edited in place; a new version is)."""

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.admin.utils import quote
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from backoffice.audit.models import AuditEntry
from cases.choices import Category, Channel, RootCause, Status
from casework.services import case_transition
from regulatory.models import CaseCoding, Code, CodeMapping, CodeSet, CodingSource
from regulatory.regions import region_of, split_region
from tests.support.factories import open_case, order_data

pytestmark = pytest.mark.django_db


def codes(case) -> tuple:
    coding = CaseCoding.objects.select_related("a", "b", "c").get(case=case)
    return tuple(getattr(coding, axis).code if getattr(coding, axis) else None for axis in "abc")


def test_the_seed_has_one_active_set_with_the_standards_level_one_codes():
    active = CodeSet.objects.get(active=True)
    level_one = set(Code.objects.filter(code_set=active, level=1).values_list("code", flat=True))
    assert {"A01", "A02", "A03", "A04", "A05", "A99"} <= level_one
    assert {"B01", "B02", "B03", "B04", "B99"} <= level_one
    assert {f"C{n:02d}" for n in range(1, 11)} | {"C99"} <= level_one
    app = Code.objects.get(code_set=active, code="A0303")
    assert (app.name, app.level, app.parent.code) == ("手机APP", 2, "A03")


def test_every_category_channel_and_root_cause_has_a_mapping():
    def mapped(source, axis):
        return set(
            CodeMapping.objects.filter(source=source, axis=axis).values_list("value", flat=True)
        )

    assert mapped("channel", "A") == set(Channel.values)
    assert mapped("category", "B") == set(Category.values)
    assert mapped("category", "C") == set(Category.values)
    assert mapped("root_cause", "C") == set(RootCause.values)
    active = CodeSet.objects.get(active=True)
    known = set(Code.objects.filter(code_set=active).values_list("code", flat=True))
    assert set(CodeMapping.objects.values_list("code", flat=True)) <= known


def test_intake_codes_the_case_and_keeps_the_phones_region(people):
    case = open_case(channel="hotline")  # customer phone +86 139 1234 5678: 江苏省常州市
    assert codes(case) == ("A0302", "B0301", "C02")
    coding = CaseCoding.objects.get(case=case)
    assert (coding.province, coding.city, coding.source) == ("江苏省", "常州市", "default")
    credit = open_case(customer_id="U9", order=None, category="credit_limit_unusable")
    assert codes(credit) == ("A0303", "B0101", "C03")


def test_the_root_cause_refreshes_the_default_cause(people):
    case = open_case()
    case_transition(actor=people.agent, case=case, to=Status.RESOLVED, root_cause=RootCause.FRAUD)
    assert codes(case) == ("A0303", "B0301", "C09")


@pytest.mark.parametrize(
    "phone, region",
    [
        ("+8613800138000", ("北京市", "北京市")),
        ("+8613600000000", ("广东省", "广州市")),
        ("+8613310000000", ("上海市", "上海市")),
        ("+8615012345678", ("云南省", "昭通市")),
        ("", ("", "")),
        ("not a phone", ("", "")),
    ],
)
def test_region_of_a_phone_number_in_chinese(phone, region):
    assert region_of(phone) == region


def test_split_region_of_an_autonomous_region():
    assert split_region("广西壮族自治区南宁市") == ("广西壮族自治区", "南宁市")
    assert split_region("香港") == ("香港", "")


def _admin_change(admin_client, model, obj):
    return reverse(f"admin:regulatory_{model._meta.model_name}_change", args=[quote(obj.pk)])


def test_a_used_code_set_is_read_only_and_a_new_version_copies_it(admin_client, people):
    v1 = CodeSet.objects.get(active=True)
    case = open_case()
    code = Code.objects.get(code_set=v1, code="B0301")
    page = admin_client.get(_admin_change(admin_client, Code, code))
    assert page.status_code == 200
    admin_client.post(
        _admin_change(admin_client, Code, code),
        {"axis": "B", "code": "B0302", "name": "改过", "level": 2},
    )
    code.refresh_from_db()
    assert (code.code, code.name) == ("B0301", "网络支付")  # history unchanged
    delete = reverse("admin:regulatory_code_delete", args=[code.pk])
    assert admin_client.get(delete).status_code == 403

    changelist = reverse("admin:regulatory_codeset_changelist")
    admin_client.post(changelist, {"action": "new_version", "_selected_action": [v1.pk]})
    v2 = CodeSet.objects.exclude(pk=v1.pk).get()
    assert (v2.version, v2.active) == ("2", False)
    assert v2.codes.count() == v1.codes.count()
    assert Code.objects.get(code_set=v2, code="A0303").parent.code_set == v2
    # the draft is editable: rename a code, then activate it
    draft = Code.objects.get(code_set=v2, code="B0301")
    admin_client.post(
        _admin_change(admin_client, Code, draft),
        {
            "code_set": v2.pk,
            "axis": "B",
            "code": "B0301",
            "name": "网络支付（新）",
            "level": 2,
            "parent": draft.parent_id,
        },
    )
    draft.refresh_from_db()
    assert draft.name == "网络支付（新）"
    admin_client.post(changelist, {"action": "activate", "_selected_action": [v2.pk]})
    assert list(CodeSet.objects.filter(active=True)) == [v2]
    assert AuditEntry.objects.filter(action="regulatory.codeset_activate").count() == 1

    later = open_case(customer_id="U2", order=order_data(order_id="R-2"))
    assert CaseCoding.objects.get(case=later).b == draft
    old = CaseCoding.objects.get(case=case)
    assert (old.code_set, old.b) == (v1, code)  # the first case keeps its history
    assert old.source == CodingSource.DEFAULT


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_the_migrations_code_and_count_the_cases_opened_before_them(people):
    """Cases of before the classification (no coding) get the mapped defaults (0003); coded ones
    keep theirs; then every case gets its regulatory facts (0004), a case with no coding row a row
    without codes."""
    migration = importlib.import_module("regulatory.migrations.0003_h5_backfill_codings")
    old = open_case()
    case_transition(actor=people.agent, case=old, to=Status.RESOLVED, root_cause="fraud")
    kept = open_case(customer_id="U5", order=order_data(order_id="R-5"))
    coding = CaseCoding.objects.get(case=kept)
    coding.province = "测试"
    coding.save()
    before = [("regulatory", "0003_h5_backfill_codings")]
    latest = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    executor = _migrate(before)
    try:
        state = executor.loader.project_state(before[0]).apps
        state.get_model("regulatory", "CaseCoding").objects.filter(case_id=old.pk).delete()
        migration.backfill(None, SimpleNamespace(connection=connection))  # 0003, as it ran
        assert state.get_model("regulatory", "CaseCoding").objects.count() == 2
        with connection.cursor() as cursor:  # a case 0003 could not code: no active set then
            cursor.execute("DELETE FROM regulatory_casecoding WHERE case_id = %s", [kept.pk])
    finally:
        _migrate(latest)

    assert codes(old) == ("A0303", "B0301", "C09")
    assert CaseCoding.objects.get(case=old).province == ""
    old.refresh_from_db()
    facts = CaseCoding.objects.values(
        "received_at", "handled_at", "outcome", "late", "extended", "referral", "counted"
    )
    assert facts.get(case=old) == {
        "received_at": old.received_at,
        "handled_at": old.resolved_at,
        "outcome": "fraud",
        "late": False,
        "extended": False,
        "referral": False,
        "counted": True,
    }
    uncoded = CaseCoding.objects.get(case=kept)
    assert (uncoded.code_set_id, uncoded.a_id, uncoded.handled_at) == (None, None, None)
    assert uncoded.received_at == kept.received_at
