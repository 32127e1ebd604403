"""Uzum Bank (``provider: "uzum"``): Uzum's Merchant API calls the hub through five webhooks.

No outbound connector: Uzum calls in, at the integration's receive URL with the operation appended
(``…/receive/<code>/check``, ``create``, ``confirm``, ``reverse``, ``status``). Its receive
protocol (``payments.protocols.uzum``) answers HTTP 200 for a success and HTTP 400 with a string
``errorCode`` for every error. Basic auth is ``api_key``:``api_secret``; ``config.service_id``,
``account_field``, ``confirm_timeout_s``, ``refunds_allowed``, ``min_amount``/``max_amount`` and
``deeplink_template`` tune it.
"""

from integrations.providers.base import Provider


class Uzum(Provider):
    receive_protocol = "payments.protocols.uzum.receive"
    receive_operations = True
    receive_unavailable = "payments.protocols.uzum.unavailable"
