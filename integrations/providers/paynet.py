"""Paynet (``provider: "paynet"``): Paynet's provider web service calls the hub with JSON-RPC 2.0.

No outbound connector: Paynet calls in, the hub never calls Paynet. Its receive protocol
(``payments.protocols.paynet``) answers every request to the integration's receive URL. The
HTTP Basic login is ``api_key``, the password ``api_secret`` (Paynet may replace it with
ChangePassword); ``config.service_id`` is compared with every call's ``serviceId``;
``config.account_field`` (default ``order_id``) names the account key inside ``fields``;
``config.refunds_allowed`` (default true) decides whether CancelTransaction may refund;
``config.merchant_id`` and ``config.deeplink_template`` shape the checkout link.
"""

from integrations.providers.base import Provider


class Paynet(Provider):
    receive_protocol = "payments.protocols.paynet.receive"
    receive_unreadable = "payments.protocols.paynet.receive_unreadable"
