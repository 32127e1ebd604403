"""Click (``provider: "click"``): Click's Shop API calls the hub with form-encoded Prepare and
Complete requests signed with an md5 ``sign_string``.

No outbound connector: Click calls in. Its receive protocol (``payments.protocols.click``)
answers on the integration's receive URL. ``api_secret`` is Click's SECRET_KEY;
``config.service_id`` and ``config.merchant_id`` identify the merchant's service.
"""

from integrations.providers.base import Provider, protocol_error_code


class Click(Provider):
    signature_scheme = "click"
    receive_protocol = "payments.protocols.click.receive"

    @classmethod
    def is_protocol_error(cls, error_message: str) -> bool:
        # -1 SIGN CHECK FAILED, -3 action not found, -7 update failed (ours), -8 malformed
        # request; the others (amount, already paid, no such order, cancelled) are business.
        return protocol_error_code(error_message) in (-1, -3, -7, -8)
