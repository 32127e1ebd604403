"""The gateways' wire protocols on an integration's receive URL: ``payme.receive`` and
``click.receive``, each ``(request, integration) -> HttpResponse``, always HTTP 200."""
