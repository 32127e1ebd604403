"""GitHub (``provider: "github"``): a webhook sender that signs with ``X-Hub-Signature-256``.

No connector: an integration of it with an ``api_endpoint`` is tested and synced as generic REST.
"""

from integrations.providers.base import Provider


class GitHub(Provider):
    signature_scheme = "github"
