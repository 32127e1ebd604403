"""Payme (``provider: "payme"``): Payme's Merchant API calls the hub with JSON-RPC 2.0.

No outbound connector: Payme calls in. Its receive protocol (``payments.protocols.payme``)
answers every request to the integration's receive URL with HTTP 200 and a JSON-RPC result or
error. The merchant id is ``api_key``, the cash-register key ``api_secret``;
``config.account_field`` (default ``order_id``), ``config.test_mode`` and ``config.return_url``
shape the checkout link.
"""

from integrations.providers.base import Provider, protocol_error_code


class Payme(Provider):
    signature_scheme = "payme"
    receive_protocol = "payments.protocols.payme.receive"

    @classmethod
    def is_protocol_error(cls, error_message: str) -> bool:
        # JSON-RPC and Payme system errors are -32xxx (parse, method, credentials -32504,
        # internal -32400); the account and transaction answers (-31xxx) are business.
        return protocol_error_code(error_message) <= -32000
