"""Input serializers validate shapes; output serializers render what selectors loaded. No workflow."""

import base64
import binascii
from datetime import timedelta
from functools import cached_property

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backoffice.api.fields import DateTimeField, StrictBooleanField, StrictCharField
from backoffice.api.serializers import ModelOutput
from backoffice.api.timefields import OFFSET_MESSAGE, offset_in_range, parse_datetime_or_none
from backoffice.errors import Invalid
from cases import files, policy
from cases.choices import (
    Carrier,
    Category,
    Channel,
    FlagCode,
    Language,
    OrderStatus,
    Priority,
    RootCause,
    Status,
)
from cases.models import NO_DUE, Attachment, Case, CaseEvent, Message, RechargeOrder
from cases.phones import InvalidPhone, mask_phone, normalize_phone
from casework.api.sections import detail_section
from casework.filtersets import SLA_STATES
from casework.services import CreditAccountData, CustomerData, IncomingFile, OrderData
from privacy.masking import masked
from risk.texts import detail_text
from sla import policy as sla_policy

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}
# The oldest complaint intake accepts: the regulators' longest clock is 60 days; a year covers a
# backlog imported late and keeps the SLA arithmetic within the calendar's years.
MAX_RECEIVED_AGE = timedelta(days=366)


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset; a time without one is refused, not guessed."""

    default_error_messages = {
        "naive": "Give a time zone offset, e.g. 2026-09-30T10:00:00+08:00.",
        "offset": str(OFFSET_MESSAGE),
    }

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if isinstance(value, str) and not any(c in value[10:] for c in "+-Zz"):
            self.fail("naive")
        if isinstance(value, str) and not offset_in_range(parse_datetime_or_none(value)):
            self.fail("offset")  # checked on the text: DRF has converted `result` to our zone
        return result


# --- input ----------------------------------------------------------------------------------------


class CustomerInput(serializers.Serializer):
    external_id = StrictCharField(max_length=64)
    name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    phone = StrictCharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=Language.choices, required=False, default="")


class OrderInput(serializers.Serializer):
    order_id = StrictCharField(max_length=64)
    phone = StrictCharField(max_length=32)
    # The optional fields have no default: one left out keeps the known order's value (a new
    # order takes the service's default), so an upsert never resets what it did not send.
    intended_phone = StrictCharField(max_length=32, required=False, allow_blank=True)
    carrier = serializers.ChoiceField(choices=Carrier.choices, required=False, allow_blank=True)
    face_value = serializers.DecimalField(**MONEY)
    amount_paid = serializers.DecimalField(**MONEY)
    currency = serializers.ChoiceField(choices=[("CNY", "CNY")], required=False)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    paid_at = OffsetDateTimeField(required=False, allow_null=True)
    client_ip = serializers.IPAddressField(required=False, allow_null=True)
    amount_edits = serializers.IntegerField(
        min_value=0, max_value=10_000, required=False, allow_null=True
    )

    def validate_phone(self, value):
        return _mobile(value)

    def validate_intended_phone(self, value):
        return _mobile(value) if value else value


def _mobile(value: str) -> str:
    try:
        return normalize_phone(value, mobile_only=True)
    except InvalidPhone as exc:
        raise serializers.ValidationError(str(exc)) from exc


class CreditAccountInput(serializers.Serializer):
    limit = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)
    frozen = serializers.BooleanField(required=False, default=False)
    overdue_days = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, default=0
    )
    recent_login_failures = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, default=0
    )


class CaseIntakeInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    subject = StrictCharField(max_length=policy.MAX_SUBJECT)
    description = StrictCharField(
        max_length=policy.MAX_MESSAGE, required=False, allow_blank=True, default=""
    )
    received_at = OffsetDateTimeField(required=False, allow_null=True, default=None)
    customer = CustomerInput()
    recharge_order = OrderInput(required=False, allow_null=True, default=None)
    credit_account = CreditAccountInput(required=False, allow_null=True, default=None)

    def validate_received_at(self, value):
        if value is None:
            return value
        now = timezone.now()
        if value > now + timedelta(minutes=5):
            raise serializers.ValidationError(_("A complaint cannot be received in the future."))
        if value < now - MAX_RECEIVED_AGE:
            raise serializers.ValidationError(
                _(
                    "A complaint received more than a year ago cannot be opened: every deadline it "
                    "had has long passed. Record it with a supervisor instead."
                )
            )
        return value

    def to_kwargs(self) -> dict:
        return self.kwargs_of(self.validated_data)

    @staticmethod
    def kwargs_of(validated: dict) -> dict:
        """`case_intake`'s arguments from one complaint's validated data."""
        data = dict(validated)
        data["customer"] = CustomerData(**data["customer"])
        if data["recharge_order"] is not None:
            data["recharge_order"] = OrderData(**data["recharge_order"])
        if data["credit_account"] is not None:
            data["credit_account"] = CreditAccountData(**data["credit_account"])
        return data


class AssignInput(serializers.Serializer):
    assignee = StrictCharField(max_length=150, allow_null=True, required=False, default=None)


class ReplyInput(serializers.Serializer):
    body = StrictCharField(max_length=policy.MAX_MESSAGE)
    internal = serializers.BooleanField(required=False, default=False)


class CustomerRefInput(serializers.Serializer):
    external_id = StrictCharField(max_length=64)


class AttachmentInput(serializers.Serializer):
    """A file in a JSON body: its name and its bytes as base64. What it is, is read from the bytes
    (`cases.files`): the name only has to agree with it."""

    name = StrictCharField(
        max_length=1000,
        help_text="The file's name as the sender had it; shown and offered on download, never "
        "used to store the file. Its extension, if any, must agree with the content.",
    )
    content = StrictCharField(
        trim_whitespace=False,
        allow_blank=True,
        help_text="The file's bytes in base64 (RFC 4648). Accepted: PNG, JPEG, GIF, WebP, PDF, "
        "plain text (UTF-8), as the content shows, up to ATTACHMENT_MAX_BYTES (5 MiB).",
    )

    def validate(self, attrs):
        encoded = "".join(attrs["content"].split())
        if len(encoded) > 4 * -(-files.max_bytes() // 3) + 4:
            raise serializers.ValidationError({"content": [files.too_big_text()]})
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError(
                {"content": [gettext("Give the file's bytes in base64.")]}
            ) from exc
        try:
            files.check(name=attrs["name"], data=data, field="content")
        except Invalid as exc:
            raise serializers.ValidationError(exc.errors) from exc
        return IncomingFile(name=attrs["name"], data=data)


class CustomerMessageInput(serializers.Serializer):
    body = StrictCharField(max_length=policy.MAX_MESSAGE)
    attachments = AttachmentInput(
        many=True,
        required=False,
        default=list,
        help_text="Files the customer sent with the message (at most ATTACHMENT_MAX_PER_MESSAGE, "
        "5); each is checked, and one refused refuses the message.",
    )
    customer = CustomerRefInput(
        required=False,
        help_text=(
            "The customer the message is from. Required from intake clients: it must be the "
            "case's customer, or the answer is 404 as for a case that does not exist."
        ),
    )

    def validate_attachments(self, value):
        if len(value) > files.max_per_message():
            raise serializers.ValidationError(files.too_many_text())
        return value


class TransitionInput(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    root_cause = serializers.ChoiceField(
        choices=RootCause.choices, required=False, allow_blank=True, default=""
    )
    note = StrictCharField(
        max_length=policy.MAX_NOTE,
        required=False,
        allow_blank=True,
        default="",
        help_text="Internal: kept on the case, never sent to the customer.",
    )
    customer_summary = StrictCharField(
        max_length=policy.MAX_CUSTOMER_SUMMARY,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "On `resolved`: what the customer is told about the resolution (SMS or e-mail). "
            "Without it the customer gets a neutral standard text in their language; the "
            "`note` and `root_cause` are never sent."
        ),
    )


class CaseSearchInput(serializers.Serializer):
    """The filters of `GET /api/v1/cases/`, in a body: a phone number searched for stays out of the
    URL, and so out of proxies' and servers' access logs. Each means what its query parameter does;
    `ordering` and `cursor` stay in the query string (they hold no customer data)."""

    status = serializers.ListField(child=serializers.ChoiceField(Status.choices), required=False)
    category = serializers.ListField(
        child=serializers.ChoiceField(Category.choices), required=False
    )
    channel = serializers.ListField(child=serializers.ChoiceField(Channel.choices), required=False)
    priority = serializers.ListField(
        child=serializers.ChoiceField(Priority.choices), required=False
    )
    queue = serializers.ListField(
        child=StrictCharField(max_length=40), required=False, help_text="Queue codes"
    )
    assignee = StrictCharField(
        max_length=150, required=False, help_text="A user name, or `none` for unassigned"
    )
    flag = serializers.ListField(child=serializers.ChoiceField(FlagCode.choices), required=False)
    breached = StrictBooleanField(required=False, allow_null=True)
    sla_state = serializers.ListField(
        child=serializers.ChoiceField(SLA_STATES),
        required=False,
        help_text="Open cases breached now, or at risk now (and not breached)",
    )
    due_before = serializers.DateTimeField(required=False)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    q = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Search: reference, customer id, phone or order id",
    )


class WordSearchInput(serializers.Serializer):
    """The top bar's search, in a body (a phone number stays out of URLs and access logs)."""

    q = StrictCharField(
        max_length=100,
        help_text=(
            "A reference, phone number (any format), order id or customer id (exact matches), "
            "or words of subjects, descriptions, messages and customer names (Chinese without "
            "spaces too; Latin words from 3 letters)"
        ),
    )
    after = StrictCharField(
        max_length=200,
        required=False,
        help_text="`next` of the previous page: the word matches after it",
    )


class ExtendInput(serializers.Serializer):
    reason = StrictCharField(max_length=policy.MAX_EXTEND_REASON)


# --- output ---------------------------------------------------------------------------------------


def _phone(value: str) -> str:
    """Phone numbers are masked in every response (PIPL, docs/privacy.md); the full number only
    through `POST /api/v1/customers/{external_id}/reveal/`, which writes an access record."""
    return mask_phone(value)


class CustomerOutput(serializers.Serializer):
    external_id = serializers.CharField()
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    def get_name(self, customer) -> str:
        # An intake system gets back the name it sent (spec/API.md); staff see it masked.
        return customer.name if self.context.get("outside") else masked(customer, "name")

    def get_phone(self, customer) -> str:
        return _phone(customer.phone)


class ClockOutput(serializers.Serializer):
    metric = serializers.CharField()
    cycle = serializers.IntegerField()
    state = serializers.CharField()
    due_at = DateTimeField()
    started_at = DateTimeField()
    breached_at = DateTimeField(allow_null=True)
    stopped_at = DateTimeField(allow_null=True)
    remaining_business_minutes = serializers.SerializerMethodField()
    extension_level = serializers.IntegerField()
    past_verified = serializers.BooleanField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_remaining_business_minutes(self, clock) -> float | None:
        """Time left in the clock's own measure (business minutes, or minutes for calendar days);
        negative once overdue; frozen while paused; null once stopped (`sla.policy.remaining`)."""
        left = sla_policy.remaining(clock, self.context.get("now") or timezone.now())
        return None if left is None else round(left.total_seconds() / 60, 1)


class FlagOutput(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.SerializerMethodField(help_text="The evidence, in the request's language.")

    def get_detail(self, flag) -> str:
        return detail_text(flag.detail)


class CaseOutput(ModelOutput):
    queue = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The agent's user name; always null for an intake client.",
    )
    customer = CustomerOutput(read_only=True)
    sla = serializers.SerializerMethodField()
    risk_flags = serializers.SerializerMethodField()
    next_due_at = serializers.SerializerMethodField()
    duplicate_of = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "status",
            "channel",
            "category",
            "priority",
            "queue",
            "assignee",
            "customer",
            "sla",
            "risk_flags",
            "subject",
            "sub_cause",
            "suggested_sub_cause",
            "root_cause",
            "cycle",
            "next_due_at",
            "duplicate_of",
            "received_at",
            "created_at",
            "updated_at",
        ]

    # One clock and one flag serializer for every row: in a list of 25 cases, building them anew
    # for each row was a third of the page's time.
    @cached_property
    def _clock_output(self) -> ClockOutput:
        return ClockOutput(context=self.context)

    @cached_property
    def _flag_output(self) -> FlagOutput:
        return FlagOutput()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("outside"):
            data["assignee"] = None  # no staff name leaves for a system outside the staff
        return data

    @extend_schema_field(ClockOutput(many=True))
    def get_sla(self, case):
        return [self._clock_output.to_representation(c) for c in sla_policy.current_clocks(case)]

    @extend_schema_field(FlagOutput(many=True))
    def get_risk_flags(self, case):
        return [
            self._flag_output.to_representation(f) for f in case.flags.all() if f.cleared_at is None
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_due_at(self, case):
        if case.next_due_at is None or case.next_due_at >= NO_DUE:
            return None
        return DateTimeField().to_representation(case.next_due_at)


class OrderOutput(ModelOutput):
    phone = serializers.SerializerMethodField()
    intended_phone = serializers.SerializerMethodField()
    carrier = serializers.CharField(source="declared_carrier")
    carrier_by_prefix = serializers.CharField(source="looked_up_carrier")
    carrier_mismatch = serializers.BooleanField(read_only=True)

    class Meta:
        model = RechargeOrder
        fields = [
            "order_id",
            "phone",
            "intended_phone",
            "carrier",
            "carrier_by_prefix",
            "carrier_mismatch",
            "face_value",
            "amount_paid",
            "currency",
            "status",
            "paid_at",
            "client_ip",
            "amount_edits",
        ]

    def get_phone(self, order) -> str:
        return _phone(order.phone)

    def get_intended_phone(self, order) -> str:
        return _phone(order.intended_phone)


class CreditAccountOutput(serializers.Serializer):
    limit = serializers.DecimalField(max_digits=14, decimal_places=2)
    available = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    frozen = serializers.BooleanField()
    overdue_days = serializers.IntegerField()
    recent_login_failures = serializers.IntegerField()


class EventOutput(ModelOutput):
    actor = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="null: the system"
    )
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "case", "type", "actor", "payload", "created_at"]


class MessageOutput(ModelOutput):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = ["id", "kind", "body", "author", "created_at"]


class AttachmentOutput(ModelOutput):
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField(help_text="What the content was recognised as.")
    uploaded_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="null: the system (e.g. a mail channel)",
    )
    message = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The message it came with, if any."
    )
    url = serializers.SerializerMethodField(help_text="GET it for the file itself.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "source",
            "uploaded_by",
            "message",
            "created_at",
            "url",
        ]

    def get_url(self, attachment) -> str:
        path = reverse(
            "case-attachment",
            kwargs={"reference": attachment.case.reference, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CaseDetailOutput(CaseOutput):
    description = serializers.CharField()
    resolution = serializers.CharField(help_text="The internal resolution note.")
    customer_summary = serializers.CharField(help_text="What the customer was told on resolving.")
    recharge_order = OrderOutput(read_only=True, allow_null=True)
    credit_account = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    incident = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    messages = MessageOutput(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    notifications = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()

    class Meta(CaseOutput.Meta):
        fields = [
            *CaseOutput.Meta.fields,
            "description",
            "resolution",
            "customer_summary",
            "recharge_order",
            "credit_account",
            "merged_into",
            "incident",
            "messages",
            "timeline",
            "attachments",
            "notifications",
            "refunds",
        ]

    @extend_schema_field(CreditAccountOutput(allow_null=True))
    def get_credit_account(self, case):
        snapshot = getattr(case, "credit_account", None)
        return CreditAccountOutput(snapshot).data if snapshot else None

    @extend_schema_field(EventOutput(many=True))
    def get_timeline(self, case):
        return EventOutput(self.context["timeline"], many=True).data

    @extend_schema_field(AttachmentOutput(many=True))
    def get_attachments(self, case):
        return AttachmentOutput(self.context.get("files", []), many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_notifications(self, case):
        return detail_section("notifications", case, self.context)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_refunds(self, case):
        return detail_section("refunds", case, self.context)


class WordSearchOutput(serializers.Serializer):
    exact = CaseOutput(
        many=True, help_text="Reference, phone, order id or customer id; page 1 only"
    )
    words = CaseOutput(many=True, help_text="Cases whose texts hold the words, newest first")
    words_searched = serializers.BooleanField(
        help_text="False when the term is too short for the word search (exact matches only)"
    )
    next = serializers.CharField(allow_null=True, help_text="Send as `after` for the next page")
