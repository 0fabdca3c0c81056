"""The outbound gate against a real server on 127.0.0.1 (and MockTransport for fine details)."""

from __future__ import annotations

import gzip
import ipaddress
import re
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from app import http
from app.errors import FetchFailed, OutboundBlocked, SourceMisconfigured
from app.settings import Settings
from tests.fakeweb import FakeWeb, fake_web, gzipped, hang, redirect, reply, slow_body
from tests.servers import free_port


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with fake_web() as server:
        yield server


@pytest.fixture
def gate() -> Settings:
    return Settings(database_url="sqlite://", outbound_allowlist="127.0.0.1/32",
                    outbound_timeout_seconds=5)


def test_get_returns_body_status_and_sends_the_user_agent(web: FakeWeb, gate: Settings) -> None:
    url = web.route("/feed", reply(200, b"hello", {"Content-Type": "text/plain; charset=utf-8"}))
    response = http.send("GET", url, settings=gate)
    assert (response.status_code, response.content, response.url) == (200, b"hello", url)
    assert response.charset == "utf-8"
    assert web.hits("/feed")[0].headers["User-Agent"] == gate.user_agent


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_statuses_are_returned_not_raised(web: FakeWeb, gate: Settings,
                                                status: int) -> None:
    url = web.route("/x", reply(status, b"nope", {"Retry-After": "120"}))
    response = http.send("GET", url, settings=gate)
    assert response.status_code == status
    assert response.headers["retry-after"] == "120"


def test_loopback_is_refused_without_the_allowlist(web: FakeWeb) -> None:
    url = web.route("/x", reply(200, b"secret"))
    with pytest.raises(OutboundBlocked, match=r"127\.0\.0\.1 \(loopback\).*ALLOWLIST"):
        http.send("GET", url, settings=Settings(database_url="sqlite://"))
    assert web.seen == []


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/", "http://192.168.0.1/", "http://172.16.5.5/", "http://169.254.169.254/",
    "http://[::1]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://0.0.0.0/",
    "http://[::ffff:10.0.0.1]/", "http://100.64.0.1/", "http://240.0.0.1/",
    "http://127.0.0.2/",
])
def test_non_public_addresses_are_refused(gate: Settings, url: str) -> None:
    with pytest.raises(OutboundBlocked, match="refused to connect"):
        http.send("GET", url, settings=gate)


@pytest.mark.parametrize(("address", "reason"), [
    ("2002:7f00:1::", "loopback 127.0.0.1 inside a 6to4"),
    ("2002:a9fe:a9fe::1", "link-local 169.254.169.254 inside a 6to4"),
    ("2002:c0a8:101::", "private 192.168.1.1 inside a 6to4"),
    ("64:ff9b::7f00:1", "loopback 127.0.0.1 inside a NAT64"),
    ("64:ff9b::a9fe:a9fe", "link-local 169.254.169.254 inside a NAT64"),
    ("64:ff9b:1:7f00:0:100::", "loopback 127.0.0.1 inside a NAT64"),
    ("64:ff9b:1:a00:1:100::", "private 10.0.1.1 inside a NAT64"),
    # Teredo: the client address 127.0.0.1 is stored XOR 0xffffffff, as 80ff:fffe
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback 127.0.0.1 inside a Teredo"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private 10.0.0.1 inside a Teredo"),
    ("::127.0.0.1", "loopback 127.0.0.1 inside an IPv4-compatible"),
    ("::169.254.169.254", "link-local 169.254.169.254 inside an IPv4-compatible"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
])
def test_ipv4_embedded_in_ipv6_is_judged_as_ipv4(gate: Settings, address: str,
                                                 reason: str) -> None:
    # the gate allows 127.0.0.1 itself, not its IPv6 wrappings (but ::ffff:127.0.0.1 is
    # 127.0.0.1 on this host's own stack, so it is allowed with it)
    if address.startswith("::ffff:"):
        gate = Settings(database_url="sqlite://")
    shown = ipaddress.ip_address(address).compressed
    with pytest.raises(OutboundBlocked, match=re.escape(f"{shown} ({reason}")):
        http.check_url(f"http://[{address}]:8080/", gate)
    assert http._why_blocked(ipaddress.ip_address(address), ()) is not None


def test_embedded_public_ipv4_is_told_apart() -> None:
    # 6to4 of 8.8.8.8: nothing private inside, so it is judged as the IPv6 address it is
    assert http._embedded_ipv4(ipaddress.IPv6Address("2002:808:808::")) == (
        "6to4", ipaddress.IPv4Address("8.8.8.8"))
    assert http._why_blocked(ipaddress.ip_address("2002:808:808::"), ()) is None
    assert http._embedded_ipv4(ipaddress.IPv6Address("64:ff9b:1:808:8:800::")) == (
        "NAT64", ipaddress.IPv4Address("8.8.8.8"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://a/",
                                 "not a url", "http:///nohost"])
def test_only_http_and_https_urls(gate: Settings, url: str) -> None:
    with pytest.raises(OutboundBlocked):
        http.send("GET", url, settings=gate)


def test_blocked_is_a_fetch_failure_but_not_a_misconfiguration() -> None:
    assert issubclass(OutboundBlocked, FetchFailed)
    assert not issubclass(OutboundBlocked, SourceMisconfigured)


def test_the_connection_goes_to_the_checked_address_with_the_name_in_host(
        web: FakeWeb, gate: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([[ipaddress.ip_address("127.0.0.1")], [ipaddress.ip_address("10.9.9.9")]])
    # DNS answers 127.0.0.1 when checked; a later lookup would say 10.9.9.9 (rebinding)
    monkeypatch.setattr(http, "_resolve", lambda host, port: next(answers))
    web.route("/pinned", reply(200, b"pinned"))
    response = http.send("GET", f"http://feeds.example:{web.port}/pinned", settings=gate)
    assert response.content == b"pinned"
    assert web.hits("/pinned")[0].headers["Host"] == f"feeds.example:{web.port}"


def test_the_first_allowed_address_is_used_when_a_name_has_several(
        web: FakeWeb, gate: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "_resolve", lambda host, port: [
        ipaddress.ip_address("10.0.0.8"), ipaddress.ip_address("127.0.0.1")])
    web.route("/two", reply(200, b"ok"))
    assert http.send("GET", f"http://two.example:{web.port}/two", settings=gate).content == b"ok"


def test_allowlist_accepts_addresses_and_cidrs_and_rejects_garbage() -> None:
    for allow in ("127.0.0.1", "127.0.0.0/8, 10.0.0.0/8"):
        assert http.check_url("http://127.0.0.1:1/", Settings(
            database_url="sqlite://", outbound_allowlist=allow))[1] == "127.0.0.1"
    with pytest.raises(OutboundBlocked, match="not an address or CIDR"):
        http.check_url("http://127.0.0.1/", Settings(database_url="sqlite://",
                                                     outbound_allowlist="localhost-ish"))


def test_redirects_are_followed_and_relative_locations_resolved(web: FakeWeb,
                                                                gate: Settings) -> None:
    web.route("/a", redirect("/b", 301))
    web.route("/b", redirect(web.url("/c"), 307))
    web.route("/c", reply(200, b"end"))
    response = http.send("GET", web.url("/a"), settings=gate)
    assert (response.content, response.url) == (b"end", web.url("/c"))


def test_redirects_can_be_left_to_the_caller(web: FakeWeb, gate: Settings) -> None:
    web.route("/a", redirect("/b"))
    response = http.send("GET", web.url("/a"), settings=gate, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (302, "/b")


def test_a_redirect_to_a_private_address_is_refused(web: FakeWeb, gate: Settings) -> None:
    web.route("/evil", redirect("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(OutboundBlocked, match=r"169.254.169.254"):
        http.send("GET", web.url("/evil"), settings=gate)


def test_redirect_loops_stop_at_the_cap(web: FakeWeb, gate: Settings) -> None:
    web.route("/loop1", redirect("/loop2"))
    web.route("/loop2", redirect("/loop1"))
    with pytest.raises(FetchFailed, match=r"more than 3 redirects.*loops"):
        http.send("GET", web.url("/loop1"), settings=gate, max_redirects=3)
    assert len(web.seen) == 4


def test_303_turns_a_post_into_a_get(web: FakeWeb, gate: Settings) -> None:
    web.route("/form", redirect("/done", 303))
    web.route("/done", reply(200, b"done"))
    http.send("POST", web.url("/form"), settings=gate, content=b"payload")
    assert [(s.method, s.body) for s in web.seen] == [("POST", b"payload"), ("GET", b"")]


def test_a_silent_server_times_out(web: FakeWeb, gate: Settings) -> None:
    web.route("/hang", hang)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="stopped answering"):
        http.send("GET", web.url("/hang"), settings=gate, timeout=0.5)
    assert time.monotonic() - started < 3


def test_a_slow_body_is_cut_at_the_overall_deadline(web: FakeWeb, gate: Settings) -> None:
    web.route("/slow", slow_body)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"too slowly: not complete within 1 s"):
        http.send("GET", web.url("/slow"), settings=gate, timeout=1)
    assert time.monotonic() - started < 3


def test_nothing_listening_is_a_clear_connect_error(gate: Settings) -> None:
    with pytest.raises(FetchFailed, match=r"could not connect to 127.0.0.1"):
        http.send("GET", f"http://127.0.0.1:{free_port()}/", settings=gate)


def test_a_declared_oversize_body_is_refused_before_reading(web: FakeWeb, gate: Settings) -> None:
    web.route("/big", reply(200, b"x" * 5000))
    with pytest.raises(FetchFailed, match="5,000 bytes, over the 2,000-byte limit"):
        http.send("GET", web.url("/big"), settings=gate, max_bytes=2000)


def _undeclared(size: int) -> object:
    def handle(req: BaseHTTPRequestHandler, _web: FakeWeb) -> None:
        req.send_response(200)
        req.send_header("Connection", "close")
        req.end_headers()
        try:
            for _ in range(size // 1000):
                req.wfile.write(b"y" * 1000)
        except OSError:
            pass  # the gate hung up at the cap, as it should

    return handle


def test_an_undeclared_oversize_body_stops_at_the_cap(web: FakeWeb, gate: Settings) -> None:
    web.route("/stream", _undeclared(3_000_000))  # type: ignore[arg-type]
    with pytest.raises(FetchFailed, match="over the 100,000-byte limit"):
        http.send("GET", web.url("/stream"), settings=gate, max_bytes=100_000)


def test_a_gzip_bomb_stops_at_the_cap_once_decompressed(web: FakeWeb, gate: Settings) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    web.route("/bomb", reply(200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(FetchFailed, match=r"over the 1,000,000-byte limit .* once decompressed"):
        http.send("GET", web.url("/bomb"), settings=gate, max_bytes=1_000_000)


def test_gzip_bodies_come_back_decoded(web: FakeWeb, gate: Settings) -> None:
    web.route("/gz", gzipped(b"<rss>plain</rss>" * 100))
    assert http.send("GET", web.url("/gz"), settings=gate).content == b"<rss>plain</rss>" * 100


class _Raw(httpx.SyncByteStream):
    """A body httpx has not read yet, as a network transport would hand it over."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body


def _raw(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, stream=_Raw(body), headers=headers)


@pytest.mark.parametrize("wrapper", ["zlib", "raw"])
def test_deflate_with_or_without_the_zlib_wrapper(gate: Settings, wrapper: str) -> None:
    data = b"deflated text " * 50
    body = zlib.compress(data) if wrapper == "zlib" else zlib.compress(data)[2:-4]
    transport = httpx.MockTransport(
        lambda request: _raw(200, body, {"Content-Encoding": "deflate"}))
    response = http.send("GET", "http://127.0.0.1/d", settings=gate, transport=transport)
    assert response.content == data


def test_corrupt_gzip_and_unknown_encodings_fail_clearly(gate: Settings) -> None:
    for encoding, body, message in (("gzip", b"not gzip at all", "corrupt"),
                                    ("br", b"\x00", "cannot read")):
        transport = httpx.MockTransport(lambda request, e=encoding, b=body: _raw(
            200, b, {"Content-Encoding": e}))
        with pytest.raises(FetchFailed, match=message):
            http.send("GET", "http://127.0.0.1/e", settings=gate, transport=transport)


def test_credentials_do_not_follow_a_redirect_to_another_host(
        gate: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "_resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example":
            return _raw(302, headers={"Location": "http://other.example/x"})
        return _raw(200, b"ok")

    http.send("GET", "http://api.example/", settings=gate, transport=httpx.MockTransport(handler),
              headers={"Authorization": "Bearer s3cret", "X-Keep": "1"})
    assert seen[0].headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in seen[1].headers
    assert seen[1].headers["X-Keep"] == "1"


def test_mock_transports_still_go_through_the_address_check(gate: Settings) -> None:
    transport = httpx.MockTransport(lambda request: _raw(200))
    with pytest.raises(OutboundBlocked):
        http.send("GET", "http://10.0.0.1/", settings=gate, transport=transport)


def test_one_request_at_a_time_per_host() -> None:
    entered = threading.Event()

    def other(url: str) -> None:
        with http.host_lock(url):
            entered.set()

    with http.host_lock("http://news.example/feed"):
        different = threading.Thread(target=other, args=("http://other.example/",))
        different.start()
        assert entered.wait(5), "a different host must not wait"
        different.join()
        entered.clear()
        same = threading.Thread(target=other, args=("https://NEWS.example/article",))
        same.start()
        assert not entered.wait(0.3), "the same host must wait for the slot"
    assert entered.wait(5)
    same.join()


def _by_connection(web: FakeWeb, path: str, body: bytes = b"ok",
                   headers: dict[str, str] | None = None) -> tuple[str, list[int]]:
    """A route that answers `body` and records the client port of each request: one port per
    TCP connection the gate opened."""
    ports: list[int] = []

    def handle(req: BaseHTTPRequestHandler, w: FakeWeb) -> None:
        ports.append(req.client_address[1])
        reply(200, body, headers)(req, w)

    return web.route(path, handle), ports


def test_connections_to_a_host_are_kept_open_and_reused(web: FakeWeb, gate: Settings) -> None:
    http.close_connections()
    url, ports = _by_connection(web, "/again")
    for _ in range(5):
        assert http.send("POST", url, settings=gate, content=b"{}").content == b"ok"
    assert len(ports) == 5
    assert len(set(ports)) == 1
    # side by side: never more connections than requests in flight, nor than the cap
    threads = [threading.Thread(target=lambda: [http.send("GET", url, settings=gate)
                                                for _ in range(5)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(ports) == 25
    assert len(set(ports)) <= 4
    http.close_connections()
    assert http._connections.open_hosts() == 0
    http.send("GET", url, settings=gate)
    assert ports[-1] not in ports[:-1]  # closed: the next request connects anew


def test_a_changed_dns_answer_is_checked_and_never_rides_an_open_connection(
        web: FakeWeb, gate: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _, ports = _by_connection(web, "/moving")
    answers = iter([["127.0.0.1"], ["10.9.9.9"], ["127.0.0.2"], ["127.0.0.1"]])
    monkeypatch.setattr(http, "_resolve", lambda host, port: [
        ipaddress.ip_address(a) for a in next(answers)])
    named = f"http://moving.example:{web.port}/moving"
    loose = Settings(database_url="sqlite://", outbound_allowlist="127.0.0.0/8",
                     outbound_timeout_seconds=5)
    assert http.send("GET", named, settings=loose).content == b"ok"
    # the name now points at a private address: refused, though a connection is open
    with pytest.raises(OutboundBlocked, match=r"10\.9\.9\.9 \(private\)"):
        http.send("GET", named, settings=gate)
    # another allowed address: connected to anew (nothing listens there), not the open one
    with pytest.raises(FetchFailed, match=r"could not connect .*\(127\.0\.0\.2\)"):
        http.send("GET", named, settings=loose)
    assert http.send("GET", named, settings=loose).content == b"ok"
    assert len(ports) == 2
    assert len(set(ports)) == 1  # back at the first address: its connection again


def test_a_body_cut_at_the_cap_closes_its_connection(web: FakeWeb, gate: Settings) -> None:
    url, ports = _by_connection(web, "/big", b"x" * 5000)
    with pytest.raises(FetchFailed, match="over the 1,000-byte limit"):
        http.send("GET", url, settings=gate, max_bytes=1000)
    big = web.route("/chunked", lambda req, w: _chunked_forever(req, w, ports))
    with pytest.raises(FetchFailed, match="over the 1,000-byte limit"):
        http.send("GET", big, settings=gate, max_bytes=1000)
    assert http.send("GET", url, settings=gate, max_bytes=10_000).content == b"x" * 5000
    assert len(set(ports)) == 3  # the unread rest of a body is never read as the next answer


def _chunked_forever(req: BaseHTTPRequestHandler, web: FakeWeb, ports: list[int]) -> None:
    ports.append(req.client_address[1])
    req.send_response(200)
    req.send_header("Transfer-Encoding", "chunked")
    req.end_headers()
    try:
        for _ in range(100):
            req.wfile.write(b"400\r\n" + b"y" * 1024 + b"\r\n")
        req.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass


def test_cookies_are_not_kept_between_requests(web: FakeWeb, gate: Settings) -> None:
    url, ports = _by_connection(web, "/cookie", headers={"Set-Cookie": "session=abc; Path=/"})
    http.send("GET", url, settings=gate)
    http.send("GET", url, settings=gate)
    assert len(set(ports)) == 1
    assert all("Cookie" not in hit.headers for hit in web.hits("/cookie"))
