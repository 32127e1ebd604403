"""A router whose URLs work with and without the trailing slash (``/api/integrations`` as the
contract writes them, ``/api/integrations/`` as DRF users expect)."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
