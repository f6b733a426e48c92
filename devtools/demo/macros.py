"""Demo macros, as an operations admin would write them in the admin. Idempotent: nothing is
added when macros exist."""

from macros.models import Macro

MACROS = [
    {
        "name": "已受理，核实中",
        "text_zh": "{customer_name}您好，您的投诉 {reference} 已受理，我们正在核实，"
        "会在 {deadline} 前给您答复。",
        "text_en": "Dear {customer_name}, we received your complaint {reference} and are looking "
        "into it; you will hear from us by {deadline}.",
        "set_status": "in_progress",
    },
    {
        "name": "请提供付款截图",
        "text_zh": "{customer_name}您好，关于 {reference}，请回复付款成功页面的截图，"
        "以便我们向运营商核实。",
        "text_en": "Dear {customer_name}, about {reference}: please reply with a screenshot of "
        "the payment confirmation so that we can check with the carrier.",
        "set_status": "waiting_customer",
    },
    {
        "name": "退款已安排",
        "text_zh": "{customer_name}您好，{reference} 的退款 {refund_amount} 已安排，"
        "预计 1–3 个工作日到账。",
        "text_en": "Dear {customer_name}, the refund of {refund_amount} for {reference} is on "
        "its way and should arrive within 1–3 working days.",
        "category": "",
    },
]


def seed(*, progress=None) -> dict:
    if Macro.objects.exists():
        return {"skipped": True, "reason": "macros are present already"}
    for done, fields in enumerate(MACROS, start=1):
        macro = Macro(**fields)
        macro.full_clean()
        macro.save()
        if progress:
            progress(done, len(MACROS))
    return {"skipped": False, "macros": len(MACROS)}
