"""The outbound gate: every HTTP request the service makes goes through `send`.

It keeps the service from being turned against its own network (SSRF) and from being sunk by
what comes back: http(s) only; the host resolved once and every address it may connect to
checked (private, loopback, link-local, multicast and reserved addresses refused unless
DISPMON_OUTBOUND_ALLOWLIST lists them); the connection made to that checked address (so a DNS
answer that changes between check and connect cannot slip through), with the Host header, SNI
and certificate check still on the name; redirects followed one by one and each re-checked;
connect, read and overall deadlines; a cap on the body counted after decompression, which
stops a gzip bomb at the cap instead of after inflating it.

Connections are kept open and reused per scheme, host, port and checked address (one idle
for more than a few seconds is closed, not reused; a bounded number of hosts): a burst of
notifications to one chat platform pays one TCP and TLS handshake per connection, not per
message. Every request is checked all the
same, and a host whose DNS answer changed gets connections of its own to the new address, so
reuse never carries a request past the check.

Statuses are returned, never raised: callers decide what a 404 means. Failures to get an
answer at all raise `FetchFailed` (or `OutboundBlocked`) with a message a person can act on.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from app.errors import FetchFailed, OutboundBlocked
from app.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_CONNECT_TIMEOUT = 10.0
MAX_CONNECTIONS_PER_HOST = 16  # beyond it, a request waits (within its deadline) for a free one
MAX_OPEN_HOSTS = 64  # the least recently used idle host's connections are closed beyond it
KEEPALIVE_SECONDS = 5.0  # under the idle timeout of common servers (nginx 75 s, Node 5 s)
# headers that carry credentials for one origin only: dropped when a redirect leaves it
_ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "proxy-authorization")


@dataclass(frozen=True)
class OutboundResponse:
    """A complete answer: `content` is already decompressed (and at most the cap long)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def charset(self) -> str | None:
        """The charset the Content-Type header declares, if any."""
        return httpx.Response(200, headers=self.headers).charset_encoding


@lru_cache(maxsize=16)
def _parse_allowlist(raw: str) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for item in (part.strip() for part in raw.split(",")):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise OutboundBlocked(
                    f"DISPMON_OUTBOUND_ALLOWLIST entry {item!r} is not an address or CIDR"
                ) from exc
    return tuple(networks)


# IPv6 forms that carry an IPv4 address a gateway may forward to (RFC 6052, 3056, 4380, 4291)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address inside a 6to4, Teredo, NAT64 or IPv4-compatible address, and its form."""
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address.teredo is not None:
        return "Teredo", address.teredo[1]  # the client's, XOR-obfuscated in the address
    value = int(address)
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _NAT64_LOCAL:
        # a /48 prefix puts the IPv4 in bits 48-63 and 72-87, around the reserved u octet
        return "NAT64", ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16
                                              | (value >> 40) & 0xFFFF)
    if address in _IPV4_COMPATIBLE and value > 1:  # :: and ::1 are checked as themselves
        return "IPv4-compatible", ipaddress.IPv4Address(value)
    return None


def _why_blocked(address: IPAddress, allowlist: tuple[IPNetwork, ...]) -> str | None:
    """Why `address` may not be reached (None when it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allowlist):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        # a relay or translator would carry the request on to the IPv4 inside, which is judged
        # by itself and without the allowlist: allowing 127.0.0.1 does not allow its 6to4 form
        inner = embedded and _why_blocked(embedded[1], ())
        if embedded and inner:
            article = "an" if embedded[0][0] in "AEIOU" else "a"
            return f"{inner} {embedded[1]} inside {article} {embedded[0]} address"
    # the most telling label first: link-local and loopback addresses are "private" too
    for label, flag in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                        ("multicast", address.is_multicast),
                        ("unspecified", address.is_unspecified),
                        ("reserved", address.is_reserved), ("private", address.is_private)):
        if flag:
            return label
    if not address.is_global:
        return "non-public"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve host {host!r}: {exc}") from exc
    seen: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in seen:
            seen.append(address)
    return seen


def check_url(url: str, settings: Settings) -> tuple[httpx.URL, str]:
    """Validates `url` and returns it parsed with the checked address to connect to.

    Raises OutboundBlocked for a scheme other than http(s) or a host with no allowed address.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise OutboundBlocked(f"{url!r} is not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise OutboundBlocked(f"only http and https URLs are fetched, not {parsed.scheme or '?'}:"
                              f" {url}")
    if not parsed.host:
        raise OutboundBlocked(f"{url!r} has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allowlist = _parse_allowlist(settings.outbound_allowlist)
    refused: list[str] = []
    for address in _resolve(parsed.host, port):
        reason = _why_blocked(address, allowlist)
        if reason is None:
            # later addresses are never used: the connection is pinned to this one
            return parsed, str(address)
        refused.append(f"{address} ({reason})")
    raise OutboundBlocked(
        f"refused to connect to {parsed.host}: it resolves only to {', '.join(refused)}; "
        "if this host is meant to be reached, add its address to DISPMON_OUTBOUND_ALLOWLIST"
    )


class _PinnedBackend(httpcore.SyncBackend):
    """Connects to the address checked for a host, whatever DNS would say now."""

    def __init__(self, pins: Mapping[str, str]) -> None:
        self._pins = dict(pins)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        pinned = self._pins.get(host)
        if pinned is None:  # httpx only ever connects to the URL's host; anything else is a bug
            raise httpcore.ConnectError(f"no checked address for host {host!r}")
        return super().connect_tcp(pinned, port, timeout, local_address, socket_options)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110: delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: loading the CA bundle costs tens of ms, and a
    context is safe to share between threads once built."""
    return httpx.create_ssl_context(trust_env=False)


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, host: str, address: str) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        # the pool httpx builds cannot take a network backend, so build the same one with it
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), max_connections=MAX_CONNECTIONS_PER_HOST,
            max_keepalive_connections=MAX_CONNECTIONS_PER_HOST,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=_PinnedBackend({host: address}),
        )


PoolKey = tuple[str, str, int, str]
"""(scheme, host, port, checked address): connections are shared only within one."""


@dataclass
class _Pooled:
    transport: _PinnedTransport
    users: int = 0
    idle_since: float = field(default_factory=time.monotonic)


class _Connections:
    """The open connections of the process, one pinned transport per `PoolKey`, shared by every
    thread (httpcore's pool is thread-safe). A transport in use is never closed; an idle one is
    closed once idle past the keep-alive or when more than `limit` hosts are open."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._pools: OrderedDict[PoolKey, _Pooled] = OrderedDict()

    @contextmanager
    def lease(self, key: PoolKey) -> Iterator[_PinnedTransport]:
        with self._lock:
            pooled = self._pools.pop(key, None) or _Pooled(_PinnedTransport(key[1], key[3]))
            pooled.users += 1
            self._pools[key] = pooled  # the most recently used last
            stale = self._evict(time.monotonic())
        self._close(stale)
        try:
            yield pooled.transport
        finally:
            with self._lock:
                pooled.users -= 1
                pooled.idle_since = time.monotonic()

    def _evict(self, now: float) -> list[_PinnedTransport]:
        """Takes out the idle transports past their time or beyond the limit (lock held)."""
        over = len(self._pools) - self._limit
        out: list[_PinnedTransport] = []
        for key, pooled in list(self._pools.items()):
            if pooled.users == 0 and (over > 0 or now - pooled.idle_since > KEEPALIVE_SECONDS):
                del self._pools[key]
                out.append(pooled.transport)
                over -= 1
        return out

    @staticmethod
    def _close(transports: Iterable[_PinnedTransport]) -> None:
        for transport in transports:
            transport.close()

    def open_hosts(self) -> int:
        with self._lock:
            return len(self._pools)

    def close(self) -> None:
        with self._lock:
            transports = [p.transport for p in self._pools.values()]
            self._pools.clear()
        self._close(transports)


_connections = _Connections(MAX_OPEN_HOSTS)


def close_connections() -> None:
    """Closes every kept-open connection (at shutdown; the next request opens new ones)."""
    _connections.close()


class _Decoder:
    """Content-Encoding decoding that never produces more than `limit` bytes from one chunk."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise FetchFailed(f"unsupported stacked Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._z = zlib.decompressobj()
            self._raw_deflate_fallback = True
        elif self.coding is None:
            self._z = None
        else:
            raise FetchFailed(f"the server sent Content-Encoding {encoding!r}, which we did not "
                              "ask for and cannot read")
        self._first = True

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decodes `data`, stopping once more than `limit` bytes came out."""
        if self._z is None:
            return data[: limit + 1]
        if self._first and self.coding == "deflate":
            self._first = False
            # servers disagree on whether "deflate" has the zlib wrapper
            if data and (data[0] & 0x0F) != 8:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = self._z.decompress(data, limit + 1)
            while self._z.unconsumed_tail and len(out) <= limit:
                out += self._z.decompress(self._z.unconsumed_tail, limit + 1 - len(out))
        except zlib.error as exc:
            raise FetchFailed(f"the {self.coding}-compressed body is corrupt: {exc}") from exc
        return bytes(out)


_host_locks: dict[str, threading.Lock] = {}
_host_locks_guard = threading.Lock()


@contextmanager
def host_lock(url: str) -> Iterator[None]:
    """Holds the one slot this process has for the URL's host: fetchers never hit one server
    with two requests at once (politeness), whichever sources point at it."""
    host = (httpx.URL(url).host or "").lower()
    with _host_locks_guard:
        lock = _host_locks.setdefault(host, threading.Lock())
    with lock:
        yield


_DEFAULT_HEADERS = {"Accept": "*/*", "Connection": "keep-alive"}


@contextmanager
def _closing(response: httpx.Response) -> Iterator[httpx.Response]:
    """Closes the response, which gives its connection back (or drops one not read to the
    end, so an unread rest is never taken for the next answer)."""
    try:
        yield response
    finally:
        response.close()


def _drop_origin_bound(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}


def send(method: str, url: str, *, settings: Settings,
         headers: Mapping[str, str] | None = None, content: bytes | None = None,
         follow_redirects: bool = True, max_redirects: int = 5, timeout: float | None = None,
         max_bytes: int | None = None,
         transport: httpx.BaseTransport | None = None) -> OutboundResponse:
    """Sends one request through the gate and reads the whole (decompressed, capped) answer.

    `timeout` is the deadline for the whole exchange, redirects included (default
    DISPMON_OUTBOUND_TIMEOUT_SECONDS); `max_bytes` the cap on the decoded body (default
    DISPMON_OUTBOUND_MAX_BYTES). `transport` replaces the network for tests (httpx's
    MockTransport); the address checks run all the same.
    """
    timeout = timeout or settings.outbound_timeout_seconds
    max_bytes = max_bytes or settings.outbound_max_bytes
    deadline = time.monotonic() + timeout
    request_headers = {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate",
                       **(headers or {})}
    method = method.upper()
    current = url
    for _hop in range(max_redirects + 1):
        parsed, address = check_url(current, settings)
        response = _exchange(method, parsed, address, request_headers, content, deadline,
                             timeout, max_bytes, transport)
        location = response.headers.get("location")
        if not (follow_redirects and response.status_code in REDIRECT_STATUSES and location):
            return response
        target = urljoin(str(parsed), location)
        if httpx.URL(target).host != parsed.host or httpx.URL(target).scheme != parsed.scheme:
            request_headers = _drop_origin_bound(request_headers)
        if response.status_code == 303 or (
                response.status_code in (301, 302) and method not in ("GET", "HEAD")):
            method, content = "GET", None
        current = target
    raise FetchFailed(f"more than {max_redirects} redirects starting at {url} (last: {current});"
                      " the URL probably loops: use the final address")


def _exchange(method: str, url: httpx.URL, address: str, headers: Mapping[str, str],
              content: bytes | None, deadline: float, timeout: float, max_bytes: int,
              transport: httpx.BaseTransport | None) -> OutboundResponse:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed(f"no complete answer from {url.host} within {timeout:g} s")
    limits = httpx.Timeout(remaining, connect=min(remaining, MAX_CONNECT_TIMEOUT))
    port = url.port or (443 if url.scheme == "https" else 80)
    where = f"{url.host}:{port}"
    if transport is not None:
        return _read(transport, method, url, address, headers, content, deadline, timeout,
                     max_bytes, limits, where)
    with _connections.lease((url.scheme, url.host.lower(), port, address)) as pooled:
        return _read(pooled, method, url, address, headers, content, deadline, timeout,
                     max_bytes, limits, where)


def _read(transport: httpx.BaseTransport, method: str, url: httpx.URL, address: str,
          headers: Mapping[str, str], content: bytes | None, deadline: float, timeout: float,
          max_bytes: int, limits: httpx.Timeout, where: str) -> OutboundResponse:
    # straight to the transport, with the headers a client would add: no client means no
    # cookie jar or proxy setting carried from one request to the next (and 0.3 ms less each)
    merged = httpx.Headers(_DEFAULT_HEADERS)
    merged.update(headers)
    request = httpx.Request(method, url, headers=merged, content=content,
                            extensions={"timeout": limits.as_dict()})
    try:
        with _closing(transport.handle_request(request)) as response:
            declared = response.headers.get("content-length", "")
            encoding = response.headers.get("content-encoding", "")
            if not encoding and declared.isdigit() and int(declared) > max_bytes:
                raise FetchFailed(
                    f"{url} is {int(declared):,} bytes, over the {max_bytes:,}-byte limit "
                    "(DISPMON_OUTBOUND_MAX_BYTES)", http_status=response.status_code)
            decoder = _Decoder(encoding)
            body = bytearray()
            for chunk in response.iter_raw():  # each chunk as it arrives: the deadline holds
                body += decoder.feed(chunk, max_bytes - len(body))
                if len(body) > max_bytes:
                    raise FetchFailed(
                        f"the body of {url} is over the {max_bytes:,}-byte limit "
                        f"(DISPMON_OUTBOUND_MAX_BYTES){' once decompressed' if encoding else ''};"
                        " stopped reading", http_status=response.status_code)
                if time.monotonic() > deadline:
                    raise FetchFailed(
                        f"{url} sent its body too slowly: not complete within {timeout:g} s "
                        f"({len(body):,} bytes so far)", http_status=response.status_code)
            return OutboundResponse(response.status_code, response.headers, bytes(body),
                                    str(url))
    except httpx.ConnectTimeout as exc:
        raise FetchFailed(f"could not connect to {where} within "
                          f"{min(timeout, MAX_CONNECT_TIMEOUT):g} s") from exc
    except httpx.ReadTimeout as exc:
        raise FetchFailed(f"{where} stopped answering: nothing received for "
                          f"{limits.read or 0:.1f} s (timeout {timeout:g} s)") from exc
    except httpx.TimeoutException as exc:
        raise FetchFailed(f"timed out talking to {where}: {exc}") from exc
    except httpx.ConnectError as exc:
        raise FetchFailed(f"could not connect to {where} ({address}): {exc}") from exc
    except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
        raise FetchFailed(f"{where} broke the HTTP exchange: {exc}") from exc
    except httpx.TransportError as exc:
        raise FetchFailed(f"network error talking to {where}: {type(exc).__name__}: {exc}"
                          ) from exc
