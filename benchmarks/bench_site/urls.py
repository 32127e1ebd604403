"""The project's URLs plus ``POST /bench/baseline/<code>``: a bare Django view that inserts the body
into a one-column table with one SQL statement, behind the same middleware as the receive URL."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from vendhub_integrations.urls import urlpatterns as project_urlpatterns

BASELINE_TABLE = "bench_baseline"


@csrf_exempt
def baseline_insert(request: HttpRequest, code: str) -> HttpResponse:
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {BASELINE_TABLE} (body) VALUES (%s)"  # noqa: S608 (a constant name)
        cursor.execute(sql, [request.body.decode()])
    return JsonResponse({"stored": True}, status=202)


urlpatterns = [path("bench/baseline/<str:code>", baseline_insert), *project_urlpatterns]
