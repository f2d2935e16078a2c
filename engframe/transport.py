"""HTTP for the live client: the cached session, timeouts, and the one retry loop.

Every request engframe sends goes through :meth:`Transport.send`, which

- signs each attempt anew (an OAuth 1.0 nonce is never reused, an expired token renewed);
- waits and retries where LivePerson's retry policy says to (:class:`RetryPolicy`):
  429 after at least a second, backing off exponentially with jitter and honouring a
  ``Retry-After`` header; 5xx and broken connections three times, pausing 5, 10 and 15 s;
  a refused connection once, after a second; a timeout not at all (the attempt waited
  its ``timeout`` already); never longer than ``max_total`` seconds in all, wall-clock,
  every wait, connection and byte of every answer included (:mod:`engframe.http._bounded`);
- reads every answer as a stream against ``max_bytes`` decoded bytes, and lets the caller
  check a body (``check=``) before the cache may keep it: an answer that fails to parse
  or validate is never cached;
- sends credentials (a signer, a token request) only over HTTPS, or plain HTTP to a
  loopback host (:mod:`engframe.http._hosts`), and never lets a token request follow a redirect:
  that is an error naming both hosts (GETs follow redirects, and requests drops their
  ``Authorization`` header when the scheme, host or port changes);
- logs each retry and its wait on the logger ``engframe.transport``: INFO, or WARNING
  when the wait is longer than :data:`LONG_WAIT`;
- fails at once on other 4xx, raising the error that says what to do
  (:class:`~engframe.errors.QueryError`, :class:`~engframe.errors.AuthError`, ...), and
  on a host name that does not exist; a connection failure becomes one short line naming
  the host and what failed (``cannot connect to 127.0.0.1:9: connection refused``), the
  library's full text kept in the error's ``detail``;
- sends every request with a timeout.

Credentials stay out of logs and tracebacks. While engframe signs and sends, a filter on
the loggers of oauthlib and requests-oauthlib (which print keys, tokens and signatures at
DEBUG) drops their records, and one on urllib3's and requests-cache's masks secret-looking
query values in theirs (:data:`GUARDED_LOGGERS`); at any other time those loggers are
left alone. Errors are raised outside ``except`` blocks, so that no chained exception
keeps the frames of requests and urllib3, whose local variables hold the headers.

GET answers are cached with requests-cache (:func:`make_session`): a sqlite file in the
user's cache directory, fresh for a minute by default. Cache keys leave out the
``Authorization`` header and every OAuth parameter, so a repeated call is a hit whoever
signs it, and those values are removed from what is stored. Only 200 answers to GETs are
stored, after their ``check`` passed; a cache file found damaged when the session is made
is set aside (renamed, with a warning) and a new one started (:mod:`engframe.http._cachefile`),
and one damaged later is a :class:`~engframe.errors.SourceError` naming it.

Examples
--------
>>> from engframe.transport import RetryPolicy
>>> RetryPolicy().pause_5xx(0), RetryPolicy().pause_5xx(2)
(5.0, 15.0)
"""

from __future__ import annotations

from engframe.http._transport import (
    API_ERRORS,
    CACHE_DIR_ENV,
    CACHE_FILE_NAME,
    DEFAULT_EXPIRE_AFTER,
    DEFAULT_MIN_ATTEMPT,
    DEFAULT_TIMEOUT,
    FETCHED_AT_HEADER,
    GUARDED_LOGGERS,
    IGNORED_PARAMETERS,
    LONG_WAIT,
    TOKEN_ERRORS,
    CacheOption,
    RetryPolicy,
    Signer,
    Transport,
    default_cache_path,
    make_session,
    redact_url,
)

__all__ = [
    "API_ERRORS",
    "CACHE_DIR_ENV",
    "CACHE_FILE_NAME",
    "DEFAULT_EXPIRE_AFTER",
    "DEFAULT_MIN_ATTEMPT",
    "DEFAULT_TIMEOUT",
    "FETCHED_AT_HEADER",
    "GUARDED_LOGGERS",
    "IGNORED_PARAMETERS",
    "LONG_WAIT",
    "TOKEN_ERRORS",
    "CacheOption",
    "RetryPolicy",
    "Signer",
    "Transport",
    "default_cache_path",
    "make_session",
    "redact_url",
]
