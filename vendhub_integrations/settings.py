"""Settings of the VendHub integration hub, read from the environment through django-environ.

Every knob is an environment variable with a safe development default. With ``DJANGO_DEBUG`` off,
a missing secret is a refusal to start (one line on stderr, exit status 1), never a silent default.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import environ

from vendhub_integrations.startup import refuse_to_start

BASE_DIR = Path(__file__).resolve().parent.parent
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

from core.encryption_keys import validate_key_list  # noqa: E402

_key_problem = validate_key_list(FIELD_ENCRYPTION_KEYS)
if _key_problem:
    refuse_to_start(f"FIELD_ENCRYPTION_KEYS is invalid: {_key_problem}")

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    # django.contrib.admin with the hub's site, whose first page is the dashboard.
    "operations.apps.VendHubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_structlog",
    "django_celery_beat",
    "axes",
    "core",
    "integrations",
    "webhooks",
    "syncjobs",
    "payments",
    "operations",
]

MIDDLEWARE = [
    # Request ids first, so every later line of the request carries one.
    "core.middleware.RequestIdMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "core.middleware.RequestIdHeaderMiddleware",
    # Outside everything below: whatever page Django or a middleware answers under /api/ in
    # debug mode (the HTML 404, 405 and 500 pages) leaves as JSON.
    "core.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# --- Admin login: guessing is locked out (django-axes) ----------------------------------------
# Axes' backend comes first: it refuses a locked-out username and address before the password is
# checked. After ADMIN_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair
# is refused (HTTP 429) for ADMIN_LOGIN_LOCKOUT_MINUTES; a success resets the count.
# `python manage.py axes_reset` lifts every lockout at once.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_LOCKOUT_MINUTES", default=15))
# Username and address together: one guesser is stopped without letting anyone lock a real
# operator out from elsewhere (or everyone out behind one proxy address).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# The lockout page in the admin's look, saying when to try again (operations/lockout.py).
AXES_LOCKOUT_CALLABLE = "operations.lockout.lockout_response"
# Its start-up banner on every manage.py command and process is noise; lockouts are still logged.
AXES_VERBOSE = False

ROOT_URLCONF = "vendhub_integrations.urls"
WSGI_APPLICATION = "vendhub_integrations.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vendhub.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the worker and beat share one file in `make run`: WAL and a busy timeout
    # let them take turns instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # SQLite keeps the key column of the dashboard's covering index and ignores the included
    # ones (webhooks_created_cover_idx): still a valid index, so no warning on every start.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Several hosts: a host cut off from the database must see its connections fail in seconds,
    # not after the kernel's retransmissions (15 min) or keepalives (2 h), so a stalled request
    # answers 503 and a stalled beat stops leading. libpq's options (milliseconds for the last).
    for _option, _value in {
        "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": env.int("DATABASE_TCP_USER_TIMEOUT_MS", default=15000),
    }.items():
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(_option, _value)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Tashkent")
USE_I18N = True
USE_TZ = True
# The admin shows times as 2025-02-10 12:00:05 (vendhub_integrations/formats/en/formats.py).
FORMAT_MODULE_PATH = ["vendhub_integrations.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed but not hashed: it needs no manifest, so tests and `make run` work before any
    # collectstatic, and gunicorn serves the collected files through WhiteNoise in production.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security headers for production ----------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- REST framework ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.HasAPIKeyOrStaff"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "core.api.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AppTaggedAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # DRF's JSON, form and multipart parsers; JSON through the bounded reader (deep nesting: 400).
    "DEFAULT_PARSER_CLASSES": [
        "integrations.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DATETIME_FORMAT": "iso-8601",
}
from core.api.tags import TAG_DESCRIPTIONS  # noqa: E402

SPECTACULAR_SETTINGS = {
    "TITLE": "VendHub integration hub API",
    "DESCRIPTION": (
        "Integrations, inbound webhooks, sync jobs and integration logs of VendHub Manager. "
        "Authenticate with `Authorization: Api-Key <key>` (see `manage.py create_api_key`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"},
        }
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    "ENUM_NAME_OVERRIDES": {},
    "TAGS": TAG_DESCRIPTIONS,
    # The API takes JSON (the contract's "JSON in and out"); the form parsers stay for the
    # browsable API but are not documented, so clients and fuzzers send what the schema types.
    "PARSER_WHITELIST": ["integrations.api.parsers.BoundedJSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_responses",
    ],
}

# --- Celery -----------------------------------------------------------------------------------
# Without CELERY_BROKER_URL the hub runs on kombu's filesystem transport: no server needed, good for
# one machine (`make run`). Production sets a Redis URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://localhost//"
if CELERY_BROKER_URL.rstrip("/") == "filesystem:":
    # A host for kombu to show: without one, every process that connects warns "No hostname was
    # supplied" (the filesystem transport has no use for it). Celery reads the variable itself,
    # before this setting, so the variable is set too.
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"] = "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ. Celery's queues are classic durable queues and its messages persistent, so what
    # is queued survives a broker restart. Not quorum queues: Celery runs countdowns (retries,
    # the sweeper's delays) as unacknowledged messages held by the worker, and quorum queues
    # need global QoS off and give up message priorities; a durable classic queue keeps the
    # at-least-once settings below as they are. Publisher confirms: a publish (the receive's
    # wake-up message included) returns only once RabbitMQ has the message, and raises when it
    # refuses it (the row is then left to the sweeper, as when the broker is down).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
    CELERY_TASK_DEFAULT_QUEUE_TYPE = "classic"
    CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent"
    # A worker whose host vanished is noticed by RabbitMQ after two missed heartbeats; its
    # unacknowledged messages then go back to the queue.
    CELERY_BROKER_HEARTBEAT = env.int("CELERY_BROKER_HEARTBEAT", default=20)
else:
    # Longer than the longest task, so Redis does not redeliver a message still being worked on.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
# At-least-once: a message is acknowledged only after its task finished, and given back when the
# worker process dies; every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connections before and after every task unless this is
# set, then every this many tasks; around each task the worker applies Django's own rule instead
# (CONN_MAX_AGE, CONN_HEALTH_CHECKS; see vendhub_integrations.celery).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Any number of beat processes may run: the one holding the lease in the database sends
# (integrations.leadership); the others take over within lease + renew seconds of its death.
CELERY_BEAT_SCHEDULER = "vendhub_integrations.beat_scheduler:LeaderScheduler"
BEAT_LEADER_LEASE_SECONDS = env.int("BEAT_LEADER_LEASE_SECONDS", default=20)
BEAT_LEADER_RENEW_SECONDS = env.int("BEAT_LEADER_RENEW_SECONDS", default=5)
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How long the web process waits for the broker before it gives up enqueueing (the row is stored
# anyway and the sweeper sends it later).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False
# Where receives are counted for config.rate_limit_per_minute, shared by every web process: the
# broker's Redis unless set. Empty with the embedded broker: Django's cache (per process).
RATE_LIMIT_REDIS_URL = env.str(
    "RATE_LIMIT_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "",
)

# --- The hub ----------------------------------------------------------------------------------
WEBHOOK_MAX_BODY_BYTES = env("WEBHOOK_MAX_BODY_BYTES")
# Most webhook ids one wake-up message carries when receives come faster than messages can be
# sent (webhooks.services.enqueue.BatchSender); 1 sends one message per receive, in the request.
WEBHOOK_ENQUEUE_BATCH = max(1, env("WEBHOOK_ENQUEUE_BATCH"))
# Under load, how long those ids gather before their message goes (a quiet spell: at once).
WEBHOOK_ENQUEUE_LINGER_MS = max(0, env("WEBHOOK_ENQUEUE_LINGER_MS"))
# The receive's one statement is prepared once per database connection (PostgreSQL then neither
# parses nor plans it again). Off for a pooler that cannot keep prepared statements (PgBouncer
# in transaction mode before 1.21, or without max_prepared_statements).
WEBHOOK_RECEIVE_PREPARED = env("WEBHOOK_RECEIVE_PREPARED")
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, WEBHOOK_MAX_BODY_BYTES)
INTEGRATION_LOG_MAX_BYTES = 64 * 1024
# Retention (beat runs it daily; `manage.py apply_retention` by hand): integration logs and
# completed/ignored webhooks older than this many days are deleted, in batches.
RETENTION_LOG_DAYS = max(1, env("RETENTION_LOG_DAYS"))
RETENTION_WEBHOOK_DAYS = max(1, env("RETENTION_WEBHOOK_DAYS"))
# Fiscal receipts made through Click: the first retry waits this long, each next one twice as
# long (at most an hour); a worker's claim on a receipt lasts FISCAL_LEASE_SECONDS, after which
# the beat sweep hands it to another worker. 7 s × (2⁹ − 1) ≈ 1 h: with the default 10 attempts
# a receipt Click never makes is failed (and alerted) after about an hour (gateways.md 5.2's SLA).
FISCAL_RETRY_BASE_SECONDS = max(0.0, env.float("FISCAL_RETRY_BASE_SECONDS", default=7.0))
FISCAL_LEASE_SECONDS = max(1.0, env.float("FISCAL_LEASE_SECONDS", default=120.0))
# Click Pass: how long the request itself polls Click's payment status (every ..._INTERVAL
# seconds) before it answers "processing" and leaves the charge to the worker. It is the whole
# request's budget (charge, confirmation, polls; each call waits at most what is left of it), so
# the answer comes before gunicorn's 30 s worker timeout.
CLICK_PASS_POLL_SECONDS = max(0.0, env.float("CLICK_PASS_POLL_SECONDS", default=25.0))
CLICK_PASS_POLL_INTERVAL = max(0.05, env.float("CLICK_PASS_POLL_INTERVAL", default=1.5))

# --- Alerts -----------------------------------------------------------------------------------
# Where the links in alert messages point (the admin of this hub as operators reach it).
HUB_PUBLIC_URL = env.str("HUB_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Events of one (channel, event, integration) gather into one message: it goes once no new
# event came for ALERT_QUIET_SECONDS, and at the latest ALERT_MAX_WAIT_SECONDS after the first
# (the beat sweep runs every ALERT_SWEEP_SECONDS, so a message leaves within a minute).
ALERT_QUIET_SECONDS = env.float("ALERT_QUIET_SECONDS", default=10.0)
ALERT_MAX_WAIT_SECONDS = env.float("ALERT_MAX_WAIT_SECONDS", default=35.0)
ALERT_SWEEP_SECONDS = env.int("ALERT_SWEEP_SECONDS", default=20)
# A channel that fails is tried this many times in all, waiting ALERT_RETRY_BASE_SECONDS·2^n
# between tries (a Telegram retry_after wins), then the alert is recorded failed.
ALERT_SEND_ATTEMPTS = max(1, env.int("ALERT_SEND_ATTEMPTS", default=5))
ALERT_RETRY_BASE_SECONDS = env.float("ALERT_RETRY_BASE_SECONDS", default=10.0)

# --- Protection and limits --------------------------------------------------------------------
# Networks no outbound call may reach (link-local and cloud metadata by default); loopback and
# private networks stay allowed. See integrations.outbound.
from integrations.outbound import DEFAULT_DENY_NETWORKS, parse_networks  # noqa: E402

OUTBOUND_DENY_NETWORKS = [
    item.strip()
    for item in env.str("OUTBOUND_DENY_NETWORKS", default=DEFAULT_DENY_NETWORKS).split(",")
    if item.strip()
]
try:
    parse_networks(OUTBOUND_DENY_NETWORKS)
except ValueError as _error:
    refuse_to_start(f"OUTBOUND_DENY_NETWORKS is invalid: {_error}")

# --- Logging ----------------------------------------------------------------------------------
# structlog for web, worker and beat (vendhub_integrations.logs): JSON lines in production, plain
# lines with DJANGO_DEBUG on; LOG_FORMAT=json|plain overrides. django-structlog binds request_id
# (from X-Request-ID when it is a sane token, else generated; echoed in the response) and carries
# it into the tasks a request sends.
from vendhub_integrations.logs import log_format, logging_config  # noqa: E402

try:
    LOG_FORMAT = log_format(debug=DEBUG, override=env.str("LOG_FORMAT", default=""))
except ValueError as _error:
    refuse_to_start(str(_error))
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# django-structlog's task_enqueued/started/succeeded lines say again what Celery's own "received"
# and "succeeded" lines say (with the task's name, which they lack): debug only. Failures keep
# their level.
DJANGO_STRUCTLOG_CELERY_DEFAULT_LOG_LEVEL = logging.DEBUG
# A 5xx's cause is logged where it happens, at ERROR (an unhandled exception by django.request
# with its traceback, an unavailable database by the API's exception handler); the access line
# itself is a warning, so an expected refusal (503 for an inactive integration) is no error.
DJANGO_STRUCTLOG_STATUS_5XX_LOG_LEVEL = logging.WARNING
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
