"""A seeded-random, realistic demo data set for `manage.py demo`, written through the services.

Deterministic for a given seed (`random.Random(seed)` only; times are relative to now). Idempotent:
when customers with `DEMO-` external ids exist, it adds nothing and says so. Every case is opened,
claimed, answered, transitioned, merged and resolved by the services, as the demo staff.

The data is history: a case received 60 days ago was answered and resolved 60 days ago, so its SLA
clocks, timeline, notifications and audit entries say so. The services read `timezone.now()`; while
seeding, it answers the simulated time of the step being written (`SimulatedClock`), never later
than the real start. Open cases are the recent ones, as in a real back-office. Task messages are
held back while seeding (a message is only a wake-up call; the relays re-drive what is still due),
and the customer messages of the history are settled as sent when they were due.
"""

import random
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from backoffice import queueing
from cases.choices import OPEN_STATUSES, Category, Channel, Language, RootCause, Status
from cases.choices import Carrier as C
from cases.models import Case, CaseEvent, Customer, Incident, Message, RechargeOrder
from cases.phones import InvalidPhone, lookup_carrier, normalize_phone
from casework.services import (
    CreditAccountData,
    CustomerData,
    OrderData,
    case_claim,
    case_customer_message,
    case_extend_deadline,
    case_merge,
    case_open,
    case_reply,
    case_set_priority,
    case_transition,
    customer_upsert,
    incident_link,
    incident_open,
    incident_resolve,
    recharge_order_upsert,
)
from notifications.models import Notification, OutboxStatus

DEMO_PREFIX = "DEMO-"
BATCH = 50
AGENT_QUEUES = ["recharge", "credit", "general"]
ALL_QUEUES = ["general", "recharge", "credit", "regulator", "escalation"]
# username → (role, queues, lead); the passwords are the command's business.
STAFF = {
    "agent": ("agent", AGENT_QUEUES, False),
    "agent2": ("agent", AGENT_QUEUES, False),
    "supervisor": ("supervisor", ALL_QUEUES, True),
    "intake": ("intake", [], False),
}

CAT = Category
CATEGORY_WEIGHTS = {
    CAT.RECHARGE_NOT_CREDITED: 30, CAT.RECHARGE_WRONG_NUMBER: 15, CAT.RECHARGE_WRONG_CARRIER: 8,
    CAT.RECHARGE_WRONG_AMOUNT: 10, CAT.RECHARGE_DUPLICATE_CHARGE: 7,
    CAT.CREDIT_LIMIT_UNUSABLE: 22, CAT.OTHER: 8,
}  # fmt: skip
CHANNEL_WEIGHTS = {
    Channel.APP: 46, Channel.HOTLINE: 20, Channel.WEB: 14, Channel.EMAIL: 9,
    Channel.API: 7, Channel.REGULATOR: 3, Channel.SMS: 1,
}  # fmt: skip
# About 35 % stay open; "reopened_*" are resolved, reopened by the customer, then handled again.
FATE_WEIGHTS = {
    "new": 9, "in_progress": 10, "waiting_customer": 8, "waiting_third_party": 7,
    "reopened_open": 1, "resolved": 24, "reopened_resolved": 3, "closed": 38,
}  # fmt: skip
# How many days ago a case of each fate was received: open cases are recent, closed ones old.
FATE_AGE_DAYS = {
    "new": (0, 1), "in_progress": (0, 4), "waiting_customer": (1, 12),
    "waiting_third_party": (1, 20), "reopened_open": (3, 10), "resolved": (2, 12),
    "reopened_resolved": (12, 60), "closed": (9, 89),
}  # fmt: skip
FACE_WEIGHTS = {10: 4, 20: 7, 30: 12, 50: 30, 100: 28, 200: 10, 300: 5, 500: 4}
HOUR_WEIGHTS = [
    1,
    1,
    1,
    1,
    1,
    2,
    3,
    6,
    10,
    14,
    16,
    15,
    11,
    12,
    15,
    16,
    14,
    12,
    11,
    12,
    13,
    11,
    7,
    3,
]
PREFIXES = {
    C.CHINA_MOBILE: (50, ["139", "138", "137", "136", "135", "150", "151", "158", "159", "182", "187", "188", "198"]),
    C.CHINA_UNICOM: (22, ["186", "185", "130", "131", "132", "155", "156", "166", "175", "176"]),
    C.CHINA_TELECOM: (22, ["189", "153", "177", "133", "173", "180", "181", "199"]),
    C.CHINA_BROADNET: (6, ["192"]),
}  # fmt: skip
CARRIER_ZH = {
    C.CHINA_MOBILE: "移动",
    C.CHINA_UNICOM: "联通",
    C.CHINA_TELECOM: "电信",
    C.CHINA_BROADNET: "广电",
}
BURST_IPS = ["198.51.100.66", "203.0.113.99"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀兰", "霞", "平", "刚", "桂英", "浩然", "子涵", "欣怡", "宇轩", "梓萱", "一诺",
    "思远", "雨桐", "俊杰", "佳怡", "晨曦", "文博", "建华", "国强", "淑珍", "海燕", "志明", "丽华",
    "晓东", "婷婷", "鹏飞",
]  # fmt: skip
EN_NAMES = [
    "David Chen", "Emily Wang", "Michael Li", "Sophie Zhang", "Tom Liu", "Anna Zhou", "James Huang",
    "Lucy Lin", "Daniel Zhao", "Grace Wu", "Kevin Xu", "Cindy Guo", "Maria Rossi", "Jan Kowalski",
    "Sarah Miller", "Ahmed Khan",
]  # fmt: skip

# (subject, description) per category; English ones for customers who write in English.
TEXTS_ZH = {
    CAT.RECHARGE_NOT_CREDITED: [
        ("充值{face}元未到账", "昨天用白条给{phone}充值{face}元话费，付款成功了，到现在还没到账，订单号{order}。"),
        ("话费充值显示成功但没收到", "白条已经扣款{paid}元，运营商那边查不到这笔充值，请尽快处理。"),
        ("充值一直显示处理中", "充值{face}元的订单一直显示“处理中”，已经超过24小时了，手机快停机了很着急。"),
        ("付款了话费没到，要求退款", "{face}元话费没到账，白条账单里已经有这笔消费了，要么尽快到账要么退回额度。"),
        ("充值失败但额度被占用", "充值显示失败，但是白条可用额度少了{paid}元，账单里也有这笔，请核实退款。"),
    ],
    CAT.RECHARGE_WRONG_NUMBER: [
        ("手机号输错一位，充到了别人号码上", "给自己充话费时手机号输错了一位，{face}元充到了{phone}上，我的号码是{intended}，能不能追回？"),
        ("充错号码了，请帮忙撤回", "刚刚充值{face}元，发现号码填错了，应该是{intended}，实际充到了{phone}。"),
        ("给家人充值充错号", "帮父母充话费，号码看错了一位，{face}元充给了陌生号码{phone}，希望能退回。"),
        ("号码输错了能退款吗", "充值号码写错，白条已经扣了{paid}元，对方号码{phone}，请联系运营商处理。"),
        ("通讯录选错联系人，话费充给了别人", "充值时从通讯录选号码选错了人，{face}元到了{phone}，本来要充{intended}。"),
    ],
    CAT.RECHARGE_WRONG_CARRIER: [
        ("{real}号码按{declared}充值了", "我的号码{phone}是{real}的，充值时运营商选成了{declared}，{face}元一直没到账。"),
        ("运营商选错导致充值失败", "充值页面运营商选错了，充值失败但白条扣了{paid}元，请退款。"),
        ("携号转网后充值不到账", "我的号码去年携号转网了，充值页面还按原来的运营商充值，{face}元没到账。"),
        ("充值时运营商识别错误", "系统自动识别的运营商不对，我没注意就付款了，{face}元话费没到，请处理。"),
        ("充值提示运营商不匹配", "付款后收到短信说运营商不匹配充值失败，可是{paid}元还没退回白条。"),
    ],
    CAT.RECHARGE_WRONG_AMOUNT: [
        ("本想充{intended_face}元，误充了{face}元", "充话费时多按了一个0，本来想充{intended_face}元，结果充了{face}元，能不能退回差额？"),
        ("充值金额选错了", "本来要充{intended_face}元，手滑选成了{face}元，白条多扣了钱，请帮忙处理。"),
        ("多充了话费，申请退还", "一次充了{face}元话费用不完，申请把多出来的部分退回白条。"),
        ("金额输错，多付了钱", "充值金额输错了，付了{paid}元，我只需要{intended_face}元。"),
        ("老人误操作充了大额话费", "家里老人用我的手机充话费，误充了{face}元，这个月白条还款压力很大，请求帮忙处理。"),
    ],
    CAT.RECHARGE_DUPLICATE_CHARGE: [
        ("一笔充值被扣了两次款", "充值{face}元，白条账单里出现两笔同样的扣款，共{paid}元。"),
        ("重复扣款", "只充了一次话费，却扣了两次{face}元，请退还多扣的部分。"),
        ("点了一次支付，扣了两次钱", "网络卡顿时点了一次付款，结果扣了两笔，话费只到账{face}元。"),
        ("账单显示重复消费", "白条账单里同一时间有两笔{face}元的话费充值，我只充了一次，订单号{order}。"),
        ("充值重复扣费，要求退款", "{face}元话费充值被重复扣费，请尽快退回多扣的{face}元。"),
    ],
    CAT.CREDIT_LIMIT_UNUSABLE: [
        ("白条额度显示有{available}元，付款提示额度已用完", "白条额度显示有{available}元，充话费付款时提示“额度已用完”，试了好几次都不行。"),
        ("有额度但支付提示交易失败", "可用额度{available}元，付款一直提示“交易失败，请稍后再试”。"),
        ("额度突然变成0了", "我一直按时还款，今天打开发现额度从{limit}元变成0了，没有任何通知。"),
        ("账户被冻结无法使用额度", "提示账户存在风险已被冻结，我没有做过任何异常操作，请尽快解冻。"),
        ("绑卡失败，额度无法激活", "新申请的额度一直激活不了，绑定银行卡时提示“信息校验失败”。"),
        ("密码输错几次后额度用不了", "前几天登录时密码输错了几次，之后付款就提示账户受限，额度用不了。"),
        ("还清逾期后额度还是不能用", "上个月逾期了几天，已经全部还清，可额度还是不能用。"),
    ],
    CAT.OTHER: [
        ("充值后没有收到短信通知", "话费到账了但没有收到任何短信通知，想确认一下是否充值成功。"),
        ("申请开具充值发票", "请问用白条充值话费能否开具发票，怎么申请？"),
        ("优惠券没有抵扣", "充值时领的满50减5优惠券没有生效，多付了5元。"),
        ("客服电话一直打不通", "打了好几次客服电话都在排队，问题一直没人处理。"),
        ("话费充值能否分期还款", "上个月的话费充值能不能分期还款？手续费怎么算？"),
    ],
}  # fmt: skip
TEXTS_EN = {
    CAT.RECHARGE_NOT_CREDITED: [("Top-up of ¥{face} not received", "I paid ¥{paid} with my credit line to top up {phone} but the credit never arrived. Order {order}.")],
    CAT.RECHARGE_WRONG_NUMBER: [("Topped up the wrong number", "I mistyped one digit: ¥{face} went to {phone} instead of {intended}. Can it be reversed?")],
    CAT.RECHARGE_WRONG_CARRIER: [("Top-up sent with the wrong carrier", "My number {phone} was topped up as {declared_en}; ¥{paid} was charged and nothing arrived.")],
    CAT.RECHARGE_WRONG_AMOUNT: [("Wrong top-up amount", "I meant to top up ¥{intended_face} but selected ¥{face}. Can the difference be refunded?")],
    CAT.RECHARGE_DUPLICATE_CHARGE: [("Charged twice for one top-up", "I topped up ¥{face} once but my credit line was charged twice (¥{paid} in total).")],
    CAT.CREDIT_LIMIT_UNUSABLE: [("Credit limit shown but payment refused", "The app shows ¥{available} available but every payment fails with 'limit used up'.")],
    CAT.OTHER: [("Question about an invoice", "How do I get an invoice for a phone top-up paid with the credit line?")],
}  # fmt: skip
REPLIES_ZH = [
    "您好，您反馈的问题已收到，我们正在核实订单{order}，请耐心等待。",
    "您好，已为您查询到相关记录，正在联系相关部门处理，预计1-3个工作日内给您答复。",
    "您好，感谢您的耐心，我们已将问题提交处理，有进展会第一时间通知您。",
]
REPLIES_EN = [
    "Hello, we have received your complaint and are checking order {order}. We will update you soon."
]
ASK_CUSTOMER = [
    "请提供付款截图和充值号码，以便我们核实。",
    "请确认一下您近期是否更换过手机或登录设备？",
]
ASK_CUSTOMER_EN = ["Please send a screenshot of the payment so that we can check it."]
THIRD_PARTY_NOTES = [
    "已提交运营商核查，等待回执。",
    "已转风控团队复核，等待结论。",
    "已联系充值渠道方查询订单状态。",
]
CUSTOMER_FOLLOW_UPS = [
    "请尽快处理，谢谢。",
    "截图已经发过去了，请查收。",
    "已经过了好几天了，还是没有结果。",
    "好的，我等你们的消息。",
]
CUSTOMER_FOLLOW_UPS_EN = ["Any update, please?", "I have sent the screenshot."]
FOLLOW_UP_REPLIES = ["收到，我们会继续跟进，请耐心等待。", "已收到您的补充材料，正在核实中。"]
FOLLOW_UP_REPLIES_EN = ["Thank you, we are looking into it and will update you soon."]
EXTENSION_REASONS = ["等待运营商核查结果，依规延长处理期限。", "需风控团队复核，依规延长处理期限。"]
REOPEN_MESSAGES = [
    "问题还是没有解决，额度还是用不了。",
    "说已经处理了，可是钱还没退回来。",
    "话费还是没到账，请重新处理。",
]
RESOLUTIONS = {
    RootCause.SYSTEM_FAULT: "系统故障导致，已全额退回白条额度并致歉。",
    RootCause.CARRIER_FAULT: "运营商通道故障，已补充值到账。",
    RootCause.USER_ERROR: "客户操作失误，已说明情况，按政策申请善意退款或协助追回。",
    RootCause.PRODUCT_DEFECT: "产品缺陷导致（运营商识别/重复提交），已退款并提交产品修复。",
    RootCause.RISK_CONTROL_POLICY: "风控策略调整所致，已向客户解释原因及恢复条件。",
    RootCause.SECURITY_LOCK: "账户安全锁定，已核实身份并解锁。",
    RootCause.FRAUD: "疑似盗用，已冻结账户并转安全团队处理。",
    RootCause.NETWORK_ENVIRONMENT: "网络环境限制（代理/缓存），指导客户更换网络并清除缓存后恢复。",
    RootCause.UNKNOWN: "已答复客户咨询。",
}
ROOT_CAUSES = {
    CAT.RECHARGE_NOT_CREDITED: {RootCause.SYSTEM_FAULT: 5, RootCause.CARRIER_FAULT: 4, RootCause.UNKNOWN: 1},
    CAT.RECHARGE_WRONG_NUMBER: {RootCause.USER_ERROR: 1},
    CAT.RECHARGE_WRONG_CARRIER: {RootCause.USER_ERROR: 6, RootCause.PRODUCT_DEFECT: 3, RootCause.CARRIER_FAULT: 1},
    CAT.RECHARGE_WRONG_AMOUNT: {RootCause.USER_ERROR: 1},
    CAT.RECHARGE_DUPLICATE_CHARGE: {RootCause.SYSTEM_FAULT: 3, RootCause.PRODUCT_DEFECT: 2},
    CAT.OTHER: {RootCause.UNKNOWN: 5, RootCause.USER_ERROR: 2, RootCause.PRODUCT_DEFECT: 1},
}  # fmt: skip
# credit_limit_unusable: snapshot scenario → weight, text index, root causes
CREDIT_SCENARIOS = {
    "lock": (14, [5], {RootCause.SECURITY_LOCK: 4, RootCause.FRAUD: 1}),
    "frozen": (18, [3, 2], {RootCause.RISK_CONTROL_POLICY: 1}),
    "overdue": (16, [6, 1], {RootCause.RISK_CONTROL_POLICY: 2, RootCause.USER_ERROR: 1}),
    "zero": (18, [0, 2], {RootCause.SYSTEM_FAULT: 3, RootCause.RISK_CONTROL_POLICY: 1}),
    "network": (12, [1], {RootCause.NETWORK_ENVIRONMENT: 1}),
    "activation": (10, [4], {RootCause.PRODUCT_DEFECT: 1, RootCause.SYSTEM_FAULT: 1}),
    "none": (12, [0, 1, 2], {RootCause.SYSTEM_FAULT: 1, RootCause.RISK_CONTROL_POLICY: 1}),
}  # fmt: skip


@dataclass
class Plan:
    received_at: datetime
    category: str
    channel: str
    fate: str
    customer: int
    with_order: bool = False
    duplicate_of: int | None = None  # index of the plan this one duplicates
    incident: bool = False


@dataclass
class Person:
    data: CustomerData
    ip: str
    customer: Customer | None = None


class SimulatedClock:
    """The time the seeder pretends it is while it writes a step; never later than `limit`."""

    def __init__(self, limit: datetime):
        self.limit = limit
        self.at = limit

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = min(at, self.limit)
        return self.at


def _hold_back(task, *args, **kwargs) -> bool:
    return False


@contextmanager
def writing_history(clock: SimulatedClock):
    """`timezone.now()` answers the clock; no task is published (it would act on the history now);
    DEBUG's query log is off (on SQLite it runs an extra query per query to quote the parameters)."""
    with (
        mock.patch.object(timezone, "now", clock.now),
        mock.patch.object(queueing, "publish", _hold_back),
        override_settings(DEBUG=False),
    ):
        yield


def settle_outbox(*, before: datetime) -> int:
    """The history's customer messages went out when they were due. No service writes delivery
    history, so this is a direct update; messages due later stay queued for the relay."""
    return Notification.objects.filter(
        case__customer__external_id__startswith=DEMO_PREFIX,
        status=OutboxStatus.QUEUED,
        not_before__lte=before,
    ).update(status=OutboxStatus.SENT, sent_at=F("not_before"), provider_message_id="demo-history")


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def quota(rng: random.Random, weights: dict, n: int) -> list:
    """n values in proportion to the weights, each at least once when n allows it, shuffled."""
    total = sum(weights.values())
    counts = {
        k: max(1, round(n * w / total)) if n >= len(weights) else 0 for k, w in weights.items()
    }
    keys = sorted(weights, key=weights.get, reverse=True)
    while sum(counts.values()) > n:
        counts[next(k for k in keys if counts[k] > 1)] -= 1
    while sum(counts.values()) < n:
        counts[_pick(rng, weights)] += 1
    values = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(values)
    return values


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


class DemoBuilder:
    """Customers, their orders and the plans of every case, then the cases themselves."""

    def __init__(self, *, rng: random.Random, staff: dict, clock: SimulatedClock):
        self.rng, self.staff, self.clock, self.now = rng, staff, clock, clock.limit
        self.tz = timezone.get_default_timezone()
        self.order_seq = rng.randint(10_000_000, 50_000_000)
        self.people: list[Person] = []
        self.plans: list[Plan] = []
        self.orders: dict[int, OrderData] = {}  # plan index → order of its case
        self.scenarios: dict[int, str] = {}  # plan index → credit-account scenario
        self.cases: dict[int, Case] = {}

    # -- people, phones and orders ------------------------------------------------------------
    def phone(self, carrier: str | None = None) -> str:
        rng = self.rng
        carrier = carrier or rng.choices(list(PREFIXES), [w for w, _ in PREFIXES.values()])[0]
        while True:
            raw = rng.choice(PREFIXES[carrier][1]) + "".join(rng.choices("0123456789", k=8))
            try:
                return normalize_phone(raw, mobile_only=True)
            except InvalidPhone:
                continue

    def typo(self, e164: str) -> str:
        """The same number with one digit mistyped (still a valid mobile number)."""
        national = e164[3:]
        for _ in range(20):
            pos = self.rng.randint(3, 10)
            digit = self.rng.choice([d for d in "0123456789" if d != national[pos]])
            try:
                return normalize_phone(
                    national[:pos] + digit + national[pos + 1 :], mobile_only=True
                )
            except InvalidPhone:
                continue
        return self.phone()

    def ip(self) -> str:
        return f"{self.rng.choice(['203.0.113', '198.51.100'])}.{self.rng.randint(1, 254)}"

    def make_people(self, count: int) -> None:
        rng = self.rng
        for i in range(1, count + 1):
            english = rng.random() < 0.12
            name = rng.choice(EN_NAMES) if english else rng.choice(SURNAMES) + rng.choice(GIVEN)
            email = f"demo.customer{i:04d}@example.com" if rng.random() < 0.45 else ""
            data = CustomerData(
                external_id=f"{DEMO_PREFIX}{i:06d}",
                name=name,
                phone=self.phone(),
                email=email,
                language=Language.EN if english else Language.ZH_HANS,
            )
            self.people.append(Person(data=data, ip=self.ip()))

    def save_people(self) -> None:
        for person in self.people:
            self.clock.set(self.now - timedelta(days=self.rng.uniform(130, 900)))
            person.customer = customer_upsert(data=person.data)

    def order(
        self, *, person: Person, paid_at: datetime, face: int, status: str, **fields
    ) -> OrderData:
        self.order_seq += self.rng.randint(1, 997)
        local = timezone.localtime(paid_at, self.tz)
        edits = None if self.rng.random() < 0.3 else self.rng.choice([0, 0, 0, 1, 1, 2])
        values = {
            "order_id": f"RC{local:%Y%m%d%H%M}{self.order_seq:09d}",
            "phone": person.data.phone,
            "face_value": _money(face),
            "amount_paid": _money(face),
            "status": status,
            "paid_at": paid_at,
            "client_ip": person.ip if self.rng.random() < 0.85 else self.ip(),
            "amount_edits": edits,
        }
        values.update(fields)
        return OrderData(**values)

    def history_orders(self) -> None:
        """Everyday top-ups (mostly fine) and two bursts of failed top-ups from one IP each."""
        rng = self.rng
        for person in self.people:
            for _ in range(rng.randint(1, 4)):
                paid_at = self.now - timedelta(days=rng.uniform(1, 120))
                status = _pick(rng, {"succeeded": 92, "failed": 6, "pending": 2})
                face = rng.choice([30, 50, 50, 100])
                data = self.order(person=person, paid_at=paid_at, face=face, status=status)
                self.clock.set(paid_at + timedelta(seconds=rng.randint(2, 90)))
                recharge_order_upsert(data=data, customer=person.customer)
        for ip in BURST_IPS:
            start = self.now - timedelta(days=rng.randint(3, 60), minutes=rng.randint(0, 600))
            for k in range(rng.randint(8, 12)):
                person = rng.choice(self.people)
                data = self.order(person=person, paid_at=start + timedelta(seconds=40 * k), face=rng.choice([200, 300, 500]),
                                  status="failed", client_ip=ip, amount_edits=0)  # fmt: skip
                self.clock.set(data.paid_at + timedelta(seconds=5))
                recharge_order_upsert(data=data, customer=person.customer)

    # -- case plans ----------------------------------------------------------------------------
    def received_at(self, fate: str) -> datetime:
        rng = self.rng
        oldest, newest = FATE_AGE_DAYS[fate]
        day = timezone.localtime(self.now, self.tz).date() - timedelta(
            days=rng.randint(oldest, newest)
        )
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        at = datetime(
            day.year,
            day.month,
            day.day,
            hour,
            rng.randint(0, 59),
            rng.randint(0, 59),
            tzinfo=self.tz,
        )
        return at if at < self.now - timedelta(minutes=5) else at - timedelta(days=1)

    def with_order(self, category: str) -> bool:
        if category == CAT.OTHER:
            return self.rng.random() < 0.4
        return category.startswith("recharge_") and self.rng.random() > 0.06

    def make_plans(self, n: int, *, outage_start: datetime) -> list[Plan]:
        rng = self.rng
        n_incident = min(40, max(2, round(n * 40 / 3000))) if n >= 20 else 0
        n_dup = max(1, n // 150) if n >= 20 else 0
        regular = n - n_incident - n_dup
        customers = rng.choices(range(len(self.people)), k=n)
        channels = quota(rng, CHANNEL_WEIGHTS, regular)
        categories = quota(rng, CATEGORY_WEIGHTS, regular)
        fates = quota(rng, FATE_WEIGHTS, regular)
        plans = [
            Plan(
                self.received_at(fates[i]),
                cat,
                channels[i],
                fates[i],
                customers[i],
                self.with_order(cat),
            )
            for i, cat in enumerate(categories)
        ]
        for i in range(regular, regular + n_incident):
            at = outage_start + timedelta(minutes=rng.randint(20, 300))
            channel = _pick(rng, {Channel.APP: 8, Channel.HOTLINE: 2, Channel.WEB: 1})
            plans.append(
                Plan(
                    at,
                    CAT.RECHARGE_NOT_CREDITED,
                    channel,
                    "incident",
                    customers[i],
                    True,
                    incident=True,
                )
            )
        plans.extend(self.duplicates(plans, n_dup))
        while len(plans) < n:  # too few originals for every planned duplicate
            plans.append(
                Plan(
                    self.received_at("closed"),
                    CAT.OTHER,
                    Channel.APP,
                    "closed",
                    customers[len(plans)],
                )
            )
        plans.sort(key=lambda p: p.received_at)
        index = {id(p): i for i, p in enumerate(plans)}
        for plan in plans:
            if plan.duplicate_of is not None:
                plan.duplicate_of = index[plan.duplicate_of]
        return plans

    def duplicates(self, plans: list[Plan], n_dup: int) -> list[Plan]:
        """Second complaints about an order whose first case is still open; one or two merged."""
        rng = self.rng
        originals = [
            p for p in plans
            if p.fate in {"new", "in_progress", "waiting_customer", "waiting_third_party"}
            and p.with_order and p.channel != Channel.REGULATOR
        ]  # fmt: skip
        merges = 2 if n_dup >= 4 else 1
        dups = []
        for k, original in enumerate(rng.sample(originals, min(n_dup, len(originals)))):
            later = original.received_at + timedelta(hours=rng.uniform(1, 48))
            later = min(later, self.now - timedelta(minutes=1))
            fate = "merge" if k < merges else "duplicate"
            dups.append(replace(original, received_at=later, fate=fate, channel=Channel.HOTLINE,
                                duplicate_of=id(original)))  # fmt: skip
        return dups

    # -- opening a case ------------------------------------------------------------------------
    def case_order(self, plan: Plan, person: Person) -> tuple[OrderData | None, dict]:
        """The recharge order a case comes with, and the facts its texts mention."""
        rng, cat = self.rng, plan.category
        if not plan.with_order:
            return None, {}
        face = _pick(rng, FACE_WEIGHTS)
        paid_at = plan.received_at - timedelta(minutes=rng.randint(10, 48 * 60))
        status, fields, facts = "succeeded", {}, {}
        if rng.random() < 0.12:
            fields["phone"] = self.phone()  # a family member's phone
        if cat == CAT.RECHARGE_NOT_CREDITED:
            status = "pending" if plan.incident or rng.random() < 0.55 else "failed"
            if plan.incident:
                paid_at = plan.received_at - timedelta(minutes=rng.randint(5, 15))
            elif status == "failed" and rng.random() < 0.05:
                fields["client_ip"] = rng.choice(BURST_IPS)
        elif cat == CAT.RECHARGE_WRONG_NUMBER:
            fields["intended_phone"] = person.data.phone
            fields["phone"] = self.typo(person.data.phone)
        elif cat == CAT.RECHARGE_WRONG_CARRIER:
            phone = fields.setdefault("phone", person.data.phone)
            real = lookup_carrier(phone)
            ported = rng.random() < 0.2
            declared = real if ported else rng.choice([c for c in C.values if c != real])
            fields["carrier"] = declared
            status = _pick(rng, {"failed": 70, "pending": 15, "succeeded": 15})
            facts = {"real": CARRIER_ZH.get(real, "移动"), "declared": CARRIER_ZH[declared],
                     "declared_en": str(C(declared).label)}  # fmt: skip
        elif cat == CAT.RECHARGE_WRONG_AMOUNT:
            intended = rng.choice([10, 20, 30, 50])
            face = intended * 10
            fields["amount_edits"] = rng.randint(4, 12)
            facts["intended_face"] = intended
        elif cat == CAT.RECHARGE_DUPLICATE_CHARGE:
            fields["amount_paid"] = _money(face * 2)
        order = self.order(person=person, paid_at=paid_at, face=face, status=status, **fields)
        return order, facts

    def credit_account(self, plan: Plan) -> tuple[CreditAccountData | None, str]:
        rng = self.rng
        scenario = rng.choices(list(CREDIT_SCENARIOS), [v[0] for v in CREDIT_SCENARIOS.values()])[0]
        if scenario == "none" or (plan.channel == Channel.HOTLINE and rng.random() < 0.3):
            return None, "none"
        limit = _money(rng.choice([1500, 3200, 5000, 8000, 12000, 20000, 30000]))
        available = _money(rng.randint(2, 95) * limit / 100)
        snapshot = {"limit": limit, "available": available}
        if scenario == "lock":
            snapshot["recent_login_failures"] = rng.randint(5, 12)
        elif scenario == "frozen":
            snapshot["frozen"] = True
        elif scenario == "overdue":
            snapshot["overdue_days"] = rng.choice([3, 7, 15, 31, 62, 95])
            snapshot["available"] = _money(0) if rng.random() < 0.6 else available
        elif scenario == "zero":
            snapshot["available"] = _money(0)
        elif rng.random() < 0.3:
            snapshot["recent_login_failures"] = rng.randint(1, 3)
        return CreditAccountData(**snapshot), scenario

    def open(self, index: int, plan: Plan) -> Case:
        person = self.people[plan.customer]
        credit, scenario = None, ""
        if plan.duplicate_of is not None:
            original = self.cases[plan.duplicate_of]
            order, facts = self.orders.get(plan.duplicate_of), {}
            again = ("Again: ", "Nothing happened since my last complaint. ")
            if person.data.language != Language.EN:
                again = ("再次反馈：", "之前反馈过的问题一直没有处理，再次投诉。")
            subject, description = (
                (again[0] + original.subject)[:200],
                again[1] + original.description,
            )
        else:
            order, facts = self.case_order(plan, person)
            if plan.category == CAT.CREDIT_LIMIT_UNUSABLE:
                credit, scenario = self.credit_account(plan)
            subject, description = self.texts(plan, person, order, credit, scenario, facts)
        if order is not None:
            self.orders[index] = order
        case = case_open(
            actor=self.staff["intake"], channel=plan.channel, category=plan.category, subject=subject,
            customer=person.data, description=description, received_at=plan.received_at,
            recharge_order=order, credit_account=credit,
        )  # fmt: skip
        self.scenarios[index] = scenario or "none"
        return case

    def texts(self, plan, person, order, credit, scenario, facts) -> tuple[str, str]:
        rng = self.rng
        if person.data.language == Language.EN:
            options = TEXTS_EN[plan.category]
        elif plan.category == CAT.CREDIT_LIMIT_UNUSABLE:
            options = [TEXTS_ZH[plan.category][i] for i in CREDIT_SCENARIOS[scenario][1]]
        else:
            options = TEXTS_ZH[plan.category]
        subject, description = rng.choice(options)
        limit = credit.limit if credit else rng.choice([3200, 5000, 8000])
        values = {
            "face": int(order.face_value) if order else 50,
            "paid": order.amount_paid if order else "50.00",
            "order": order.order_id if order else "（未提供）",
            "phone": _masked(order.phone if order else person.data.phone),
            "intended": _masked(order.intended_phone) if order and order.intended_phone else "",
            "limit": int(limit),
            "available": int(credit.available) if credit and credit.available else int(limit),
            "intended_face": 50, "real": "移动", "declared": "联通", "declared_en": "China Unicom",
            **facts,
        }  # fmt: skip
        return subject.format(**values)[:200], description.format(**values)


def _masked(phone: str) -> str:
    national = phone.removeprefix("+86")
    return f"{national[:3]}****{national[-4:]}" if len(national) == 11 else phone


class DemoWorkflow(DemoBuilder):
    """Moves each case through its planned lifecycle with the services, step by simulated step."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.english = False
        self.scenario = "none"
        self.incident: Incident | None = None
        self.incident_cases: list[int] = []
        self.last_at: dict[int, datetime] = {}  # plan index → time of the last step on its case

    # -- time ----------------------------------------------------------------------------------
    def later(self, low_minutes: float, high_minutes: float) -> datetime:
        """Move the clock on by a random delay, into staff working hours (09:00–22:00)."""
        at = timezone.localtime(self.clock.at, self.tz)
        at += timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))
        if at.hour < 9:
            at = at.replace(hour=9, minute=self.rng.randint(0, 40))
        elif at.hour >= 22:
            at = (at + timedelta(days=1)).replace(hour=9, minute=self.rng.randint(0, 40))
        return self.clock.set(at)

    # -- texts and choices ---------------------------------------------------------------------
    def worker_for(self, case: Case):
        if case.queue.code in AGENT_QUEUES and self.rng.random() < 0.92:
            return self.staff[self.rng.choice(["agent", "agent2"])]
        return self.staff["supervisor"]

    def say(self, case: Case, zh: list[str], en: list[str]) -> str:
        order = self.orders[self.index].order_id if self.index in self.orders else "—"
        return self.rng.choice(en if self.english else zh).format(order=order)

    def root_cause(self, case: Case) -> str:
        if case.category == CAT.CREDIT_LIMIT_UNUSABLE:
            return _pick(self.rng, CREDIT_SCENARIOS[self.scenario][2])
        return _pick(self.rng, ROOT_CAUSES[case.category])

    # -- one case ------------------------------------------------------------------------------
    def handle(self, index: int) -> None:
        plan, rng = self.plans[index], self.rng
        self.index = index
        self.english = self.people[plan.customer].data.language == Language.EN
        self.clock.set(plan.received_at + timedelta(seconds=rng.randint(5, 180)))
        case = self.cases[index] = self.open(index, plan)
        self.scenario = self.scenarios[index]
        if plan.fate == "merge":
            self.merge(plan, case)
        elif plan.fate == "incident":
            self.outage_case(index, case)
        elif plan.fate not in {"new", "duplicate"}:
            self.work(case, plan.fate)
        self.last_at[index] = self.clock.at

    def soon(self, low_minutes: float, high_minutes: float) -> datetime:
        """Move the clock on by a random delay, at any hour."""
        return self.clock.set(
            self.clock.at + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))
        )

    def merge(self, plan: Plan, case: Case) -> None:
        """Merged into the first case, after the last step already written on that one."""
        self.later(10, 180)
        self.clock.set(max(self.clock.at, self.last_at[plan.duplicate_of] + timedelta(minutes=5)))
        into = self.cases[plan.duplicate_of]
        case_merge(actor=self.staff["supervisor"], duplicate=case, into=into)

    def work(self, case: Case, fate: str) -> None:
        agent = self.worker_for(case)
        self.later(5, 240)
        case = case_claim(actor=agent, case=case)
        self.later(2, 30)
        case_reply(actor=agent, case=case, body=self.say(case, REPLIES_ZH, REPLIES_EN))
        if self.rng.random() < 0.03 and case.priority != "p1":
            self.later(30, 240)
            supervisor = self.staff["supervisor"]
            case_set_priority(actor=supervisor, case=case, priority="p1", reason="客户多次来电催促")
        self.follow_fate(agent, case, fate)

    def customer_says(self, case: Case, zh: list[str], en: list[str], *, after=(30, 2 * 1440)):
        self.soon(*after)
        case_customer_message(actor=self.staff["intake"], case=case, body=self.say(case, zh, en))

    def resolve(self, agent, case: Case, *, after=(60, 3 * 1440)) -> Case:
        self.later(*after)
        cause = self.root_cause(case)
        return case_transition(actor=agent, case=case, to=Status.RESOLVED, root_cause=cause,
                               note=RESOLUTIONS[cause])  # fmt: skip

    def answer(self, agent, case: Case) -> None:
        """The agent answers the customer's message, unless it came in the last few hours."""
        if self.clock.at < self.clock.limit - timedelta(hours=6):
            self.later(10, 240)
            body = self.say(case, FOLLOW_UP_REPLIES, FOLLOW_UP_REPLIES_EN)
            case_reply(actor=agent, case=case, body=body)

    def extend_if_long(self, case: Case) -> None:
        """A case waiting longer than ten days gets its regulatory deadline extended."""
        received = self.plans[self.index].received_at
        if received < self.clock.limit - timedelta(days=11):
            at = received + timedelta(days=self.rng.uniform(9.5, 10.5))
            self.clock.set(max(at, self.clock.at))
            reason = self.rng.choice(EXTENSION_REASONS)
            case_extend_deadline(actor=self.staff["supervisor"], case=case, reason=reason)

    def follow_fate(self, agent, case: Case, fate: str) -> None:
        rng = self.rng
        if fate == "waiting_customer" or (fate != "in_progress" and rng.random() < 0.25):
            self.later(1, 20)
            case_transition(
                actor=agent, case=case, to=Status.WAITING_CUSTOMER, note="等待客户补充材料"
            )
            case_reply(actor=agent, case=case, body=self.say(case, ASK_CUSTOMER, ASK_CUSTOMER_EN))
            if fate == "waiting_customer":
                self.extend_if_long(case)
                return
            self.customer_says(case, CUSTOMER_FOLLOW_UPS, CUSTOMER_FOLLOW_UPS_EN)
            self.answer(agent, case)
        if fate == "waiting_third_party":
            self.later(5, 120)
            case_reply(actor=agent, case=case, body=rng.choice(THIRD_PARTY_NOTES), internal=True)
            case_transition(
                actor=agent, case=case, to=Status.WAITING_THIRD_PARTY, note="等待外部核查"
            )
            self.extend_if_long(case)
            return
        if fate == "in_progress":
            if rng.random() < 0.5:
                self.customer_says(
                    case, CUSTOMER_FOLLOW_UPS, CUSTOMER_FOLLOW_UPS_EN, after=(10, 600)
                )
                if rng.random() < 0.5:
                    self.answer(agent, case)
            return
        case = self.resolve(agent, case)
        if fate.startswith("reopened"):
            self.customer_says(case, REOPEN_MESSAGES, REOPEN_MESSAGES, after=(1440, 4 * 1440))
            self.answer(agent, case)
            if fate == "reopened_open":
                return
            case = self.resolve(agent, case, after=(60, 2 * 1440))
        if fate == "closed":
            self.later(2 * 1440, 7 * 1440)
            case_transition(actor=agent, case=case, to=Status.CLOSED)

    # -- the mass incident ---------------------------------------------------------------------
    def outage_case(self, index: int, case: Case) -> None:
        """Linked to the outage incident (opened with its first case) minutes after intake."""
        supervisor = self.staff["supervisor"]
        if self.incident is None:
            self.incident = incident_open(
                actor=supervisor, code=f"recharge-outage-{self.outage_start:%Y%m%d}",
                title="2026 recharge outage · 充值通道故障",
                description="充值系统与运营商网关之间的通道故障，期间大量话费充值付款成功但未到账。",
                started_at=self.outage_start,
            )  # fmt: skip
        self.soon(3, 30)  # night duty: the outage does not wait for office hours
        incident_link(actor=supervisor, incident=self.incident, cases=[case])
        self.incident_cases.append(index)
        if self.rng.random() < 0.5:
            self.soon(5, 60)
            case_claim(actor=self.worker_for(case), case=case)

    def resolve_outage(self) -> None:
        if self.incident is None or self.incident.resolved_at:
            return
        supervisor = self.staff["supervisor"]
        self.clock.set(self.outage_start + timedelta(hours=8))
        incident_resolve(actor=supervisor, incident=self.incident, root_cause=RootCause.SYSTEM_FAULT,
                         note="充值通道故障已修复，未到账订单已全额退回白条额度。")  # fmt: skip
        self.incident.refresh_from_db()
        for i in self.incident_cases:
            if self.rng.random() < 0.6:
                self.clock.set(self.outage_start + timedelta(days=self.rng.uniform(3, 7)))
                case_transition(actor=supervisor, case=self.cases[i], to=Status.CLOSED)

    def run(self, n: int, progress) -> None:
        start = timezone.localtime(self.now - timedelta(days=self.rng.randint(25, 50)), self.tz)
        self.outage_start = start.replace(hour=19, minute=5, second=0, microsecond=0)
        self.plans = self.make_plans(n, outage_start=self.outage_start)
        outage_over = self.outage_start + timedelta(hours=8)
        for first in range(0, n, BATCH):
            with transaction.atomic():
                for index in range(first, min(first + BATCH, n)):
                    if self.plans[index].received_at > outage_over:
                        self.resolve_outage()
                    self.handle(index)
            if progress:
                progress(min(first + BATCH, n), n)
        with transaction.atomic():
            self.resolve_outage()


def _ensure_staff() -> dict:
    """The demo users the seeder acts as, with their queues (created without a password if new)."""
    for username, (role, queues, lead) in STAFF.items():
        args = [username, "--role", role, *[a for q in queues for a in ("--queue", q)]]
        call_command("create_staff", *args, *(["--lead"] if lead else []), stdout=StringIO())
    users = get_user_model().objects.filter(username__in=STAFF)
    return {u.username: u for u in users}


def _counts() -> dict:
    return {
        "customers": Customer.objects.count(),
        "recharge_orders": RechargeOrder.objects.count(),
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": Message.objects.count(),
        "incidents": Incident.objects.count(),
    }


def seed(*, cases: int = 2000, seed: int = 20260930, progress=None) -> dict:
    """Create the demo data set; returns what was added (all zero, `skipped`, when present)."""
    staff = _ensure_staff()
    existing = Customer.objects.filter(external_id__startswith=DEMO_PREFIX).count()
    if existing:
        counts = dict.fromkeys([*_counts(), "open", "resolved", "closed"], 0)
        return {**counts, "skipped": True,
                "reason": f"demo data present already ({existing} {DEMO_PREFIX}… customers)"}  # fmt: skip
    before = _counts()
    clock = SimulatedClock(limit=timezone.now() - timedelta(minutes=1))
    builder = DemoWorkflow(rng=random.Random(seed), staff=staff, clock=clock)
    builder.make_people(min(400, max(20, cases // 8)))
    with writing_history(clock):
        with transaction.atomic():
            builder.save_people()
            builder.history_orders()
        builder.run(cases, progress)
    settle_outbox(before=clock.limit - timedelta(minutes=30))
    after = _counts()
    demo_cases = Case.objects.filter(customer__external_id__startswith=DEMO_PREFIX)
    return {
        **{k: after[k] - before[k] for k in after},
        "open": demo_cases.filter(status__in=OPEN_STATUSES).count(),
        "resolved": demo_cases.filter(status=Status.RESOLVED).count(),
        "closed": demo_cases.filter(status=Status.CLOSED).count(),
        "skipped": False,
    }
