"""The HTTP side of the live client: hosts, credentials, bounded answers, the one retry loop.

Private modules, in the order a request meets them:

- :mod:`~engframe.http._discovery`: which host serves a service (LivePerson's Domain API),
  remembered for hours; :mod:`~engframe.http._hosts` decides which hosts may be named and
  which may receive credentials in clear text (loopback only).
- :mod:`~engframe.http._auth`: credentials (OAuth 2.0, a bearer token, OAuth 1.0), held as
  hidden secrets; public as :mod:`engframe.auth`.
- :mod:`~engframe.http._transport`: the cached session, timeouts, retries, GET and POST;
  public as :mod:`engframe.transport` (and its logger keeps that name).
- :mod:`~engframe.http._bounded`: every answer read against a byte limit and a wall-clock
  budget; :mod:`~engframe.http._json`: answers decoded with a depth limit;
  :mod:`~engframe.http._cachefile`: a damaged cache file set aside.

Nothing here knows a data method: :mod:`engframe.client` builds the requests from the
catalogue (:mod:`engframe.methods`) and hands them to the transport.
"""
