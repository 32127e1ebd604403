"""The environment the settings are read from (django-environ), the project's folders, debug mode,
and the secrets the hub refuses to start without when ``DJANGO_DEBUG`` is off: the Django secret
key and the keys that encrypt stored credentials.
"""

from __future__ import annotations

from pathlib import Path

import environ

from core.encryption_keys import validate_key_list
from vendhub_integrations.startup import refuse_to_start

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VENDHUB_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
    WEBHOOK_MAX_BODY_BYTES=(int, 1_048_576),
    WEBHOOK_ENQUEUE_BATCH=(int, 100),
    WEBHOOK_ENQUEUE_LINGER_MS=(int, 50),
    WEBHOOK_RECEIVE_PREPARED=(bool, True),
    RETENTION_LOG_DAYS=(int, 30),
    RETENTION_WEBHOOK_DAYS=(int, 90),
)

# --- Core -------------------------------------------------------------------------------------
DEBUG = env("DJANGO_DEBUG")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        refuse_to_start("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG-on"  # noqa: S105

# --- Encrypted credentials --------------------------------------------------------------------
# Comma-separated base64 of 32-byte keys: the first encrypts, all decrypt (see integrations.crypto).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        refuse_to_start(
            "FIELD_ENCRYPTION_KEYS is required when DJANGO_DEBUG is off "
            "(comma-separated base64 encodings of 32-byte keys)"
        )
    from vendhub_integrations.startup import development_encryption_key

    FIELD_ENCRYPTION_KEYS = [development_encryption_key(VAR_DIR)]

_key_problem = validate_key_list(FIELD_ENCRYPTION_KEYS)
if _key_problem:
    refuse_to_start(f"FIELD_ENCRYPTION_KEYS is invalid: {_key_problem}")
