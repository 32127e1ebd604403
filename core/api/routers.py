"""A router whose URLs work with and without the trailing slash (``/api/integrations`` as the
contract writes them, ``/api/integrations/`` as DRF users expect)."""

from rest_framework.routers import SimpleRouter

# A UUID as the API writes ids. Routes that take one use it, so anything else is a 404 from the
# router rather than a lookup that fails on a malformed id.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
