"""Settings: defaults here, then instance/config.py, then TADAFUR_* environment variables.

Environment wins so that several stateless app servers can share one configuration
(database URL, secret key) without files on each machine.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

HTMX_VERSION = "2.0.11"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


class DefaultConfig:
    """Values that hold unless the instance or the environment says otherwise."""

    SQLALCHEMY_DATABASE_URI: str | None = None  # filled from instance path when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # True in production (HTTPS); see README
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "ar"
    BABEL_DEFAULT_TIMEZONE = "Africa/Casablanca"
    LANGUAGES = ("ar", "fr", "en")

    HTMX_USE_CDN = False
    HTMX_CDN_URL = f"https://unpkg.com/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"

    LOGIN_MAX_FAILURES = 5          # per account, within LOGIN_WINDOW_SECONDS
    LOGIN_MAX_ADDRESS_FAILURES = 20  # per client address, within the same window
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCK_SECONDS = 15 * 60

    INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
    PASSWORD_RESET_MAX_AGE_SECONDS = 30 * 60
    PASSWORD_RESET_MAX_PER_ADDRESS = 3    # requests per e-mail address per hour
    PASSWORD_RESET_MAX_PER_CLIENT = 10    # requests per client address per hour
    # The second factor (TOTP) is required of administrators, programme officers and every
    # signatory role when this is on (production: TADAFUR_TWO_FACTOR_REQUIRED=1); optional
    # for everyone otherwise, and always optional for the other roles.
    TWO_FACTOR_REQUIRED = False
    TWO_FACTOR_ISSUER = "Tadafur"
    VERIFY_MAX_BYTES = 15 * 1024 * 1024  # one PDF checked on the public /verify page
    VERIFY_MAX_PER_CLIENT = 30           # uploads per client address per VERIFY_WINDOW_SECONDS
    VERIFY_WINDOW_SECONDS = 10 * 60
    SEED_DEMO_DATA = True
    PUBLIC_BASE_URL = None  # e.g. https://tadafur.example.ma: QR codes, footers, e-mail links
    BENCH_FLOOR = False  # serve /_bench/floor, the benchmark reference (core/bench.py)
    BENCH_SERVER_TIMING = False  # a Server-Timing header on every response (core/bench.py)
    MAIL_OUTBOX = None  # folder for .eml files; defaults to instance/outbox
    ATTACHMENTS_DIR = None  # evidence files; defaults to instance/attachments
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # one evidence file (PDF, JPEG, PNG)
    # Where documents and attachments live: "local" (DOCUMENTS_DIR, ATTACHMENTS_DIR) or "s3"
    # (an S3-compatible bucket; credentials from the standard AWS variables). README.
    STORAGE = "local"
    S3_BUCKET = None
    S3_PREFIX = ""  # "tadafur": objects are tadafur/documents/..., tadafur/attachments/...
    S3_ENDPOINT_URL = None  # MinIO, Ceph...; unset for AWS S3
    S3_REGION = None

    # Long work off the request (tadafur/jobs): "auto" runs jobs with procrastinate on
    # PostgreSQL (`flask --app wsgi worker`) and in a thread of the app process on SQLite;
    # "thread" and "procrastinate" force one; "eager" runs each job inside the transaction
    # that asks for it (the tests' default: deterministic).
    JOBS_MODE = "auto"
    JOBS_MAX_ATTEMPTS = 3      # a failed job is retried, then marked failed
    JOBS_RETRY_SECONDS = 10    # the n-th retry waits n times this
    JOBS_STALE_SECONDS = 900   # a job "running" longer than this was lost with its worker
    JOBS_POLL_SECONDS = 2.0    # how often the in-process thread looks for due jobs
    JOBS_RESTART_SECONDS = 2.0  # a procrastinate worker that lost its database starts again

    # The IATI export's organisations (organisation identifiers from org-id.guide).
    IATI_REPORTING_ORG_REF = "BE-BCE_KBO-0264814354"  # Enabel, Belgian enterprise number
    IATI_REPORTING_ORG_TYPE = "10"  # government
    IATI_REPORTING_ORG_NAME = "Enabel"
    IATI_FUNDING_ORG_REF = "XI-IATI-EC_INTPA"  # European Commission, International Partnerships
    IATI_FUNDING_ORG_TYPE = "15"  # other public sector
    IATI_FUNDING_ORG_NAME = "Union européenne"
    IATI_ACCOUNTABLE_ORG_REF = ""  # the DGCT has no IATI identifier: named only
    IATI_ACCOUNTABLE_ORG_TYPE = "10"
    IATI_ACCOUNTABLE_ORG_NAME = ("Ministère de l'Intérieur, Direction Générale des "
                                "Collectivités Territoriales")


ENV_SETTINGS = {
    "TADAFUR_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "TADAFUR_SECRET_KEY": "SECRET_KEY",
    "TADAFUR_HTMX_USE_CDN": "HTMX_USE_CDN",
    "TADAFUR_SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "TADAFUR_SEED_DEMO_DATA": "SEED_DEMO_DATA",
    "TADAFUR_SEAL_PKCS12": "SEAL_PKCS12",
    "TADAFUR_MAIL_SERVER": "MAIL_SERVER",
    "TADAFUR_MAIL_OUTBOX": "MAIL_OUTBOX",
    "TADAFUR_ATTACHMENTS_DIR": "ATTACHMENTS_DIR",
    "TADAFUR_ATTACHMENT_MAX_BYTES": "ATTACHMENT_MAX_BYTES",
    "TADAFUR_DOCUMENTS_DIR": "DOCUMENTS_DIR",
    "TADAFUR_SEAL_DIR": "SEAL_DIR",
    "TADAFUR_BENCH_FLOOR": "BENCH_FLOOR",
    "TADAFUR_BENCH_SERVER_TIMING": "BENCH_SERVER_TIMING",
    "TADAFUR_PUBLIC_BASE_URL": "PUBLIC_BASE_URL",
    "TADAFUR_TWO_FACTOR_REQUIRED": "TWO_FACTOR_REQUIRED",
    "TADAFUR_VERIFY_MAX_PER_CLIENT": "VERIFY_MAX_PER_CLIENT",
    "TADAFUR_STORAGE": "STORAGE",
    "TADAFUR_S3_BUCKET": "S3_BUCKET",
    "TADAFUR_S3_PREFIX": "S3_PREFIX",
    "TADAFUR_S3_ENDPOINT_URL": "S3_ENDPOINT_URL",
    "TADAFUR_S3_REGION": "S3_REGION",
    "TADAFUR_JOBS_MODE": "JOBS_MODE",
}
BOOLEAN_SETTINGS = {"HTMX_USE_CDN", "SESSION_COOKIE_SECURE", "SEED_DEMO_DATA", "BENCH_FLOOR",
                    "BENCH_SERVER_TIMING", "TWO_FACTOR_REQUIRED"}
INTEGER_SETTINGS = {"ATTACHMENT_MAX_BYTES", "VERIFY_MAX_PER_CLIENT"}


def settings_from_environment(environ: os._Environ | dict) -> dict:
    """Read the TADAFUR_* variables, turning the boolean ones into bools."""
    values: dict = {}
    for variable, setting in ENV_SETTINGS.items():
        if variable in environ:
            raw = environ[variable]
            if setting in BOOLEAN_SETTINGS:
                values[setting] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif setting in INTEGER_SETTINGS:
                values[setting] = int(raw)
            else:
                values[setting] = raw
    return values


def instance_secret_key(instance_path: str) -> str:
    """Return the secret key kept in instance/secret_key, creating it on first run.

    The file is written with owner-only permissions; it is git-ignored with the rest
    of instance/.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker of the same server wrote it first

        time.sleep(0.2)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
