"""What the risk rules react to (`settings.DOMAIN_EVENT_SUBSCRIBERS`).

Runs inside the publishing service's transaction (the recharge-order feed's, or the intake's for
the order a complaint brings) and hands the event to `risk.services`.
"""

from cases.domain_events import OrdersReceived
from risk import services


def orders_received(event: OrdersReceived) -> None:
    """The feed rule: a burst of failures from one IP flags the open cases whose orders it holds."""
    services.risk_orders_received(actor=event.actor, orders=list(event.orders))
