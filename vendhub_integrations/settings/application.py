"""Django's own settings: applications, middleware, the admin login's lockout, templates, the
database, i18n, static files and the security headers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from vendhub_integrations.settings.environment import BASE_DIR, DEBUG, VAR_DIR, env

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
