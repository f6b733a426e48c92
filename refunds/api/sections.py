from refunds.api.serializers import RefundOutput
from refunds.selectors import refunds_of_case


def refunds_section(case, context) -> list:
    """The refunds shown in the case detail."""
    return RefundOutput(refunds_of_case(case), many=True).data
