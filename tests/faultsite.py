"""A fault-injecting stand-in for a news site, on 127.0.0.1, for reliability tests.

It is an HTTP proxy: the crawler keeps its real https://www.nu.nl URLs and sends them through
``https_proxy=http://127.0.0.1:<port>``. CONNECT tunnels are answered with a self-signed
certificate (Scrapy does not verify certificates), so nothing ever leaves the machine, and the
proxy sees — and logs — every host the crawler asks for.

Pages come from a fixture site manifest (tests/fixtures/<site>/site.json). A seeded config
assigns faults to URLs; each fault is a function of the attempt number, so "500 that recovers
on retry" is exactly that. The server is bounded: at most ``max_requests`` answered, no sleep
longer than ``max_delay``, and ``stop()`` ends everything.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import random
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

FAULTS = (
    "flaky_500",  # 500 once, then the page: recovers on retry
    "flaky_503",  # 503 twice, then the page
    "rate_limited",  # 429 with Retry-After: 1, then the page
    "reset",  # the connection is reset, every time
    "slow",  # answers later than the crawler's timeout, every time
    "truncated",  # Content-Length promises more than is sent
    "gzip_bomb",  # a small gzip body that inflates to 64 MB
    "oversized",  # a 6 MB page
    "redirect_loop",  # 302 to itself with a growing query, forever
    "offsite_redirect",  # 302 to another host
    "wrong_charset",  # UTF-8 body labelled ISO-8859-1
    "pdf",  # a PDF where the article should be
    "empty",  # 200 with an empty body
    "consent_wall",  # a cookie wall instead of the article
)

CONSENT_WALL = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>NU.nl</title></head>
<body><div class="privacy-gate"><h2>NU.nl gebruikt cookies en vergelijkbare technieken</h2>
<p>Met jouw toestemming gebruiken wij en derde partijen cookies om je de beste ervaring te bieden.</p>
<button>Akkoord</button> <a href="/privacy-instellingen">Instellingen aanpassen</a></div></body></html>"""


def scrapy_crawl(spider: str, out: Path, *settings: str) -> list[str]:
    """The command line of `scrapy crawl SPIDER -o OUT -s SETTING …` (a process of the project)."""
    args = [sys.executable, "-m", "scrapy", "crawl", spider, "-o", str(out)]
    for setting in settings:
        args += ["-s", setting]
    return args


def self_signed_certificate(
    directory: Path, names: tuple[str, ...] = ("*.nu.nl", "nu.nl", "wnl.tv"), ips: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fault-site.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [*map(x509.DNSName, names), *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips)]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Logged:
    host: str
    url: str
    status: int | str
    at: float


class ProxySite:
    """An HTTPS-intercepting proxy on 127.0.0.1 standing in for a site: subclasses answer ``respond``.
    They set ``workdir``, ``log``, ``hosts``, ``broken``, ``lock`` and ``stopping``, then call ``_init_tls``."""

    workdir: Path
    log: list[Logged]
    hosts: list[str]
    broken: list[str]
    lock: threading.Lock
    stopping: threading.Event

    def _init_tls(self) -> None:
        cert, key = self_signed_certificate(self.workdir)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)

    def respond(self, sock: socket.socket, url: str, headers: dict[str, str]) -> None:
        raise NotImplementedError

    # --- serving --------------------------------------------------------------
    def start(self) -> int:
        site = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                site.handle_connection(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address[1]

    def start_for_scrapy(self) -> dict[str, str]:
        """Start, and the environment of a `python -m scrapy` process of the project whose every
        request goes through this proxy."""
        proxy = f"http://127.0.0.1:{self.start()}"
        project = Path(__file__).resolve().parent.parent
        return {
            **os.environ,
            "https_proxy": proxy,
            "http_proxy": proxy,
            "no_proxy": "",
            "PYTHONPATH": str(project),
            "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        }

    def crawl(self, spider: str, out: Path, cwd: Path, *settings: str, timeout: float = 120):
        """`scrapy crawl SPIDER -o OUT -s …` through this proxy, run to its end; the proxy stops after."""
        env = self.start_for_scrapy()
        try:
            return subprocess.run(
                scrapy_crawl(spider, out, *settings), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
            )
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def handle_connection(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        stream = sock.makefile("rb")
        request_line, headers = self._read_head(stream)
        if not request_line:
            return
        method, target, _ = request_line.split(" ", 2)
        if method == "CONNECT":
            host = target.split(":")[0]
            self.hosts.append(host)
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            try:
                tls = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                self.broken.append(f"tls handshake to {host}: {exc!r}")
                return
            tls.settimeout(10)
            tls_stream = tls.makefile("rb")
            request_line, headers = self._read_head(tls_stream)
            if not request_line:
                self.broken.append(f"no request in the tunnel to {host}")
                return
            method, path, _ = request_line.split(" ", 2)
            self.respond(tls, f"https://{host}{path}", headers)
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass
        else:  # a plain-HTTP proxy request: absolute URL in the request line
            self.hosts.append(urlsplit(target).hostname or "")
            self.respond(sock, target, headers)

    @staticmethod
    def _read_head(stream) -> tuple[str, dict[str, str]]:
        try:
            line = stream.readline(65536).decode("latin-1").strip()
            headers = {}
            while True:
                header = stream.readline(65536).decode("latin-1")
                if header in ("\r\n", "\n", ""):
                    break
                name, _, value = header.partition(":")
                headers[name.strip().lower()] = value.strip()
            return line, headers
        except (OSError, ValueError):
            return "", {}

    def _send(self, sock, url, status, headers, body, kind, declared_length=None):
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {declared_length or len(body)}", "Connection: close"]
        head += [
            f"{name}: {value}"
            for name, value in headers.items()
            if name.lower() not in ("content-length", "connection")
        ]
        self.log.append(
            Logged(urlsplit(url).hostname, url, status if kind == "ok" else f"{status} {kind}", time.monotonic())
        )
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        except OSError:
            pass


@dataclass
class FaultSite(ProxySite):
    manifest_path: Path
    faults: dict[str, str]  # URL → fault name
    workdir: Path
    # Escapes (not in FAULTS): URL → where a retried request is redirected once it has failed with 503
    # (the cloud metadata address, a loopback service, another host).
    escapes: dict[str, str] = field(default_factory=dict)
    max_requests: int = 2000
    max_delay: float = 8.0
    log: list[Logged] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # every host asked for, CONNECT or plain
    broken: list[str] = field(default_factory=list)  # connections that ended before a request was read

    def __post_init__(self):
        data = json.loads(self.manifest_path.read_text("utf-8"))
        base = self.manifest_path.parent
        self.pages = {
            r["url"]: (
                r.get("status", 200),
                r.get("headers", {}),
                (base / r["file"]).read_bytes() if r.get("file") else b"",
            )
            for r in data["records"]
            if not r.get("rendered")
        }
        self.attempts: defaultdict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._init_tls()

    @classmethod
    def seeded(cls, manifest_path: Path, workdir: Path, seed: int, candidates: list[str], **kwargs) -> FaultSite:
        """Every fault once, on URLs drawn from ``candidates`` with a seeded shuffle."""
        urls = list(candidates)
        random.Random(seed).shuffle(urls)
        if len(urls) < len(FAULTS):
            raise ValueError("more faults than candidate URLs")
        return cls(manifest_path, dict(zip(urls, FAULTS)), workdir, **kwargs)

    def respond(self, sock: socket.socket, url: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.attempts[url] += 1
            attempt = self.attempts[url]
            over_budget = len(self.log) >= self.max_requests
        fault = self.faults.get(url)
        status, extra, body = self.pages.get(url, (404, {"Content-Type": "text/plain"}, b"not here"))
        if over_budget:
            status, extra, body, fault = 503, {}, b"request budget spent", None
        kind = fault or "ok"
        send = lambda st, hd, bd, **kw: self._send(sock, url, st, hd, bd, kind, **kw)
        if url in self.escapes:
            return send(503, {}, b"unavailable") if attempt == 1 else send(302, {"Location": self.escapes[url]}, b"")
        if fault == "flaky_500" and attempt == 1:
            return send(500, {}, b"internal error")
        if fault == "flaky_503" and attempt <= 2:
            return send(503, {}, b"unavailable")
        if fault == "rate_limited" and attempt == 1:
            return send(429, {"Retry-After": "1"}, b"slow down")
        if fault == "reset":
            self.log.append(Logged(urlsplit(url).hostname, url, "reset", time.monotonic()))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
            return None
        if fault == "slow":
            self.stopping.wait(self.max_delay)
        if fault == "truncated":
            return send(200, {"Content-Type": "text/html; charset=utf-8"}, body, declared_length=len(body) * 2)
        if fault == "gzip_bomb":
            return send(
                200,
                {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
                gzip.compress(b"\0" * (64 << 20), 9),
            )
        if fault == "oversized":
            return send(
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<html><body>" + b"x" * (6 << 20) + b"</body></html>",
            )
        if fault == "redirect_loop":
            return send(302, {"Location": f"{url.split('?')[0]}?loop={attempt}"}, b"")
        if fault == "offsite_redirect":
            return send(302, {"Location": "https://www.example.com/gekaapt/artikel.html"}, b"")
        if fault == "wrong_charset":
            return send(200, {"Content-Type": "text/html; charset=iso-8859-1"}, body)
        if fault == "pdf":
            return send(200, {"Content-Type": "application/pdf"}, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
        if fault == "empty":
            return send(200, {"Content-Type": "text/html; charset=utf-8"}, b"")
        if fault == "consent_wall":
            return send(200, {"Content-Type": "text/html; charset=utf-8"}, CONSENT_WALL.encode())
        if url.split("?")[0] in self.pages and "?loop=" in url:  # the redirect loop goes on
            return send(302, {"Location": f"{url.split('?')[0]}?loop={attempt + 100}"}, b"")
        return send(status, extra, body)
