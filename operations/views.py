"""``GET /metrics``: the Prometheus text of ``operations.metrics``, for API key holders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from operations.metrics import registry


class FirstRendererNegotiation(BaseContentNegotiation):
    """Errors as JSON whatever the scraper's Accept header says (Prometheus asks for text)."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0]

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


class MetricsView(APIView):
    """Figures read from the database at scrape time; the project's permission class (an API
    key, or a staff session) guards them."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Prometheus metrics",
        responses={200: OpenApiResponse(description="Prometheus text exposition format")},
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
