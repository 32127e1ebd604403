"""Tests of the hub as a whole: settings, startup, the broker, static files, and the API, admin
and log behaviour that spans the apps (integrations with their webhooks and sync jobs). The
apps' own tests import only their app and the base app, so these live with the project wiring."""
