"""What a URL shows to someone who may read but not administer: no credentials, no secrets.

Source URLs and the URLs in fetch errors can carry a password (`user:pass@host`), an API key or
token in the query, or an app identifier a provider approved for this installation (ReliefWeb's
`appname`, HAPI's `app_identifier`, IDMC's `client_id`). `redact_url` is the one function that
removes them; admins see URLs as stored.

Logs are read by more people than admins, and outlive the secrets' rotation: every log record
is redacted as it is made (`install_log_redaction`), its message, arguments and traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# a query key is secret when one of its words is one of these ("api_key", "X-Amz-Signature")
_SECRET_WORDS = frozenset({
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "auth",
    "authorization", "signature", "sig", "session", "sessionid", "sid", "credential",
    "credentials", "jwt", "bearer", "otp", "appname", "appid", "appkey",
})
# ... or when all of its words run together are one of these ("app_identifier", "access-token")
_SECRET_KEYS = frozenset({
    "appidentifier", "appname", "appid", "appkey", "apikey", "accesstoken", "refreshtoken",
    "idtoken", "clientsecret", "clientid", "privatekey", "sessionid", "authtoken",
})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# a value that is a secret whatever its key: a JWT, or a long random-looking string
_JWT = re.compile(r"^eyJ[\w-]*\.[\w-]+\.[\w-]*$")
_RANDOM = re.compile(r"^[A-Za-z0-9_~+/=.-]{24,}$")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


def _secret_key(key: str) -> bool:
    words = [w.lower() for w in _WORD.findall(key)]
    return bool(_SECRET_WORDS.intersection(words)) or "".join(words) in _SECRET_KEYS


def _secret_value(value: str) -> bool:
    if _JWT.match(value):
        return True
    # mixed case and digits: hex ids and slugs are kept, keys and tokens are not
    return bool(_RANDOM.match(value)) and any(c.isupper() for c in value) and any(
        c.islower() for c in value) and any(c.isdigit() for c in value)


def _without_secrets(pairs: str) -> str:
    kept = []
    for pair in pairs.split("&"):
        key, _, value = pair.partition("=")
        key, value = unquote_plus(key), unquote_plus(value)
        if pair and not _secret_key(key) and not _secret_value(value):
            kept.append(pair)
    return "&".join(kept)


def redact_url(url: str) -> str:
    """`url` without its user and password and without the query (or fragment) parameters that
    look secret, by name or by value; the rest exactly as written."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        fragment = _without_secrets(parts.fragment) if "=" in parts.fragment else parts.fragment
        return urlunsplit((parts.scheme, host, parts.path, _without_secrets(parts.query),
                           fragment))
    except ValueError:  # not parseable (a broken IPv6 host): keep only what cannot be secret
        scheme, sep, rest = url.partition("://")
        host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
        return f"{scheme}{sep}{host}" if sep else ""


def redact_text(text: str) -> str:
    """`text` (an error message, say) with every URL in it redacted."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """An alert's evidence with the URL of each figure's report redacted."""
    figures = evidence.get("figures")
    if not isinstance(figures, list):
        return evidence
    return {**evidence, "figures": [
        {**f, "url": redact_url(f["url"])} if isinstance(f, dict) and isinstance(
            f.get("url"), str) else f
        for f in figures
    ]}


# -- logs ------------------------------------------------------------------------------------
# secrets that may turn up in any text: webhook secrets, API keys (app/auth), bearer tokens
_SECRET_IN_TEXT = re.compile(
    r"(?P<keep>whsec_|\bdm_|\bBearer\s+)[A-Za-z0-9+/=_~.-]{8,}", re.IGNORECASE)


def redact_secrets(text: str) -> str:
    """`text` with webhook secrets, API keys, bearer tokens and URL credentials blanked out."""
    return redact_text(_SECRET_IN_TEXT.sub(lambda m: m.group("keep") + "[redacted]", text))


def _redacted_arg(value: Any) -> Any:
    if isinstance(value, str):
        return redact_secrets(value)
    if value is None or isinstance(value, int | float):
        return value  # keeps %d and %.1f working
    try:
        text = str(value)
    except Exception:  # a broken __str__ is the formatter's problem, as without redaction
        return value
    clean = redact_secrets(text)
    return value if clean == text else clean


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redacts a log record in place: its message, each of its arguments (kept as arguments,
    since some formatters read them, uvicorn's access log among them) and its traceback."""
    if isinstance(record.msg, str):
        record.msg = redact_secrets(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {k: _redacted_arg(v) for k, v in record.args.items()}
    elif record.args:
        record.args = tuple(_redacted_arg(a) for a in record.args)
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # formatters use exc_text when it is set: the traceback is rendered once, redacted
        record.exc_text = redact_secrets(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact_secrets(record.stack_info)
    return record


_installed = False


def install_log_redaction() -> None:
    """Every log record of the process is redacted as it is made, whichever logger or handler
    it goes to (uvicorn's, the CLI's, a test's): a filter on one logger would miss records
    propagated from its children. Installing twice is harmless."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(make_record(*args, **kwargs))

    logging.setLogRecordFactory(redacting_factory)
    _installed = True
