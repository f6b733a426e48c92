from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import Carrier, OrderStatus
from cases.phones import mask_phone


class RechargeOrder(models.Model):
    """A phone top-up paid with the credit line, as the recharge system reports it."""

    order_id = models.CharField(_("order id"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "cases.Customer",
        on_delete=models.PROTECT,
        related_name="recharge_orders",
        null=True,
        blank=True,
        verbose_name=_("customer"),
    )
    phone = models.CharField(_("number topped up"), max_length=20)
    intended_phone = models.CharField(_("intended number"), max_length=20, blank=True)
    declared_carrier = models.CharField(
        _("declared carrier"), max_length=20, choices=Carrier.choices, blank=True
    )
    looked_up_carrier = models.CharField(
        _("carrier by number prefix"), max_length=20, choices=Carrier.choices, blank=True
    )
    face_value = models.DecimalField(_("face value"), max_digits=14, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    amount_edits = models.PositiveIntegerField(
        _("amount edits before paying"), null=True, blank=True
    )
    placed_at = models.DateTimeField(
        _("placed"), help_text=_("When the top-up was paid, or else when the order was received")
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("recharge order")
        verbose_name_plural = _("recharge orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The risk rules' windows: failures from one IP, a customer's earlier orders.
            models.Index(fields=["client_ip", "placed_at"], name="order_ip_placed"),
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed"),
            # Search by phone (the case list's `q`, the admin): the number topped up, and the
            # number the customer meant.
            models.Index(fields=["phone"], name="order_phone"),
            models.Index(fields=["intended_phone"], name="order_intended_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(face_value__gte=0) & models.Q(amount_paid__gte=0),
                name="order_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.order_id

    @property
    def carrier_mismatch(self) -> bool:
        return bool(
            self.declared_carrier
            and self.looked_up_carrier
            and self.declared_carrier != self.looked_up_carrier
        )

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_intended_phone(self) -> str:
        return mask_phone(self.intended_phone)
