"""Click (``provider: "click"``): Click's Shop API calls the hub with form-encoded Prepare and
Complete requests signed with an md5 ``sign_string``.

No outbound connector: Click calls in. Its receive protocol (``payments.protocols.click``)
answers on the integration's receive URL. ``api_secret`` is Click's SECRET_KEY;
``config.service_id`` and ``config.merchant_id`` identify the merchant's service.
"""

from integrations.providers.base import Provider


class Click(Provider):
    signature_scheme = "click"
    receive_protocol = "payments.protocols.click.receive"
