"""The operators' cockpit: the admin's dashboard, ``/healthz`` and ``/metrics``.

It reads every app (webhooks, sync jobs, payments, integrations) and nothing imports it: it sits
at the top of the app layer, just under the project wiring.
"""
