"""Links a phone opens to pay an invoice, and their QR codes (what a vending machine shows)."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote, urlencode

import segno

from integrations.models import Integration
from payments.models import PaymentInvoice, PaymentProvider

PAYME_CHECKOUT = "https://checkout.paycom.uz/"
PAYME_TEST_CHECKOUT = "https://checkout.test.paycom.uz/"
CLICK_CHECKOUT = "https://my.click.uz/services/pay"
PAYNET_CHECKOUT = "https://app.paynet.uz/"
UZUM_CHECKOUT = "https://www.uzumbank.uz/open-service"


def soums(tiyin: int) -> str:
    """``150000`` tiyin as ``"1500.00"``: integer arithmetic, never a float."""
    return f"{tiyin // 100}.{tiyin % 100:02d}"


def payme_checkout_url(*, integration: Integration, invoice: PaymentInvoice) -> str:
    config = integration.typed_config
    parameters = [
        f"m={integration.api_key or ''}",
        f"ac.{config.account_field}={invoice.order_id}",
        f"a={invoice.amount}",
    ]
    if config.return_url:
        parameters.append(f"c={config.return_url}")
    encoded = base64.b64encode(";".join(parameters).encode("utf-8")).decode("ascii")
    return (PAYME_TEST_CHECKOUT if config.test_mode else PAYME_CHECKOUT) + encoded


def click_checkout_url(*, integration: Integration, invoice: PaymentInvoice) -> str:
    config = integration.typed_config
    query = {
        "service_id": config.service_id or "",
        "merchant_id": config.merchant_id or "",
        "amount": soums(invoice.amount),
        "transaction_param": invoice.order_id,
    }
    if config.return_url:
        query["return_url"] = config.return_url
    return f"{CLICK_CHECKOUT}?{urlencode(query)}"


def _from_template(template: str | None, values: dict[str, str]) -> str | None:
    """An operator's ``config.deeplink_template`` filled in: each placeholder replaced on its
    own, URL-encoded (the template is not a format string: an attribute lookup must not reach
    into objects). None when there is none, or when a brace is left over (an unknown
    placeholder or a stray brace): the built-in link is printed rather than a broken one."""
    if not template:
        return None
    url = template
    for name, value in values.items():
        url = url.replace("{" + name + "}", quote(value, safe=""))
    return None if "{" in url or "}" in url else url


def uzum_checkout_url(*, integration: Integration, invoice: PaymentInvoice) -> str:
    """gateways.md 1.5: ``open-service?serviceId&<account_field>&amount`` (tiyin), unless
    ``config.deeplink_template`` gives another shape (placeholders ``{service_id}``,
    ``{order_id}``, ``{amount_tiyin}``, ``{amount_som}``)."""
    config = integration.typed_config
    values = {
        "service_id": config.service_id or "",
        "order_id": invoice.order_id,
        "amount_tiyin": str(invoice.amount),
        "amount_som": soums(invoice.amount),
    }
    if templated := _from_template(config.deeplink_template, values):
        return templated
    query = {
        "serviceId": values["service_id"],
        config.account_field: invoice.order_id,
        "amount": values["amount_tiyin"],
    }
    return f"{UZUM_CHECKOUT}?{urlencode(query)}"


def paynet_checkout_url(*, integration: Integration, invoice: PaymentInvoice) -> str:
    """``https://app.paynet.uz/?m=<merchant_id>&c=<order_id>&a=<tiyin>`` (gateways.md 2.5), or
    ``config.deeplink_template`` once Paynet has handed over its own link (the placeholders of
    Uzum's plus ``{merchant_id}``)."""
    config = integration.typed_config
    values = {
        "merchant_id": config.merchant_id or "",
        "service_id": config.service_id or "",
        "order_id": invoice.order_id,
        "amount_tiyin": str(invoice.amount),
        "amount_som": soums(invoice.amount),
    }
    if templated := _from_template(config.deeplink_template, values):
        return templated
    query = {"m": config.merchant_id or "", "c": invoice.order_id, "a": invoice.amount}
    return f"{PAYNET_CHECKOUT}?{urlencode(query)}"


def checkout_url(*, integration: Integration, invoice: PaymentInvoice) -> str:
    if integration.provider == PaymentProvider.PAYME:
        return payme_checkout_url(integration=integration, invoice=invoice)
    if integration.provider == PaymentProvider.PAYNET:
        return paynet_checkout_url(integration=integration, invoice=invoice)
    if integration.provider == PaymentProvider.UZUM:
        return uzum_checkout_url(integration=integration, invoice=invoice)
    return click_checkout_url(integration=integration, invoice=invoice)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """A QR code of ``url`` as an SVG document (no XML declaration, so it can also be inlined
    in a page)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True
    )
    return buffer.getvalue().decode("utf-8")
