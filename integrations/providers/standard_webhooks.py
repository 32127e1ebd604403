"""Standard Webhooks senders (``provider: "standard_webhooks"``, and Svix, which wrote the
standard): ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers.

No connector: an integration of it with an ``api_endpoint`` is tested and synced as generic REST.
"""

from integrations.providers.base import Provider


class StandardWebhooks(Provider):
    signature_scheme = "standard_webhooks"
