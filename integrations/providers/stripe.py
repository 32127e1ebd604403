"""Stripe (``provider: "stripe"``): a webhook sender that signs with ``Stripe-Signature``.

No connector: an integration of it with an ``api_endpoint`` is tested and synced as generic REST.
"""

from integrations.providers.base import Provider


class Stripe(Provider):
    signature_scheme = "stripe"
