"""Real servers on 127.0.0.1 for tests and benchmarks: a news site (nginx serving a site exported
from a WARC) and a redis-server, each on its own port, stopped after use.

The crawler keeps its real https://www.nu.nl URLs: ``LoopbackResolver`` (Scrapy's TWISTED_DNS_RESOLVER)
answers 127.0.0.1 for every host, and nginx listens on 127.0.0.1:443 with a self-signed
certificate (Scrapy does not verify certificates). Port 443 needs root; ``available()`` says
why not when it cannot run. nginx, not a Python server, so the server is not the bottleneck.

    site = LoopbackSite.from_warc(warc, workdir); site.start(); …; site.stop()
    scrapy crawl nu -s TWISTED_DNS_RESOLVER=loopback.LoopbackResolver   (with tests/ on PYTHONPATH)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

PORT = 443


class LoopbackResolver(CachingThreadedResolver):
    """Every host name is 127.0.0.1: nothing can reach a real host."""

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's name)
        return defer.succeed("127.0.0.1")


class DieAfterWriting:
    """Extension for a test worker: the process dies (SIGKILL, no clean-up) right after the
    ``DIE_AFTER_WRITING``-th article's line is on disk, before the state records it: the one
    moment a killed writer can leave an article written but unrecorded."""

    def __init__(self, crawler, after: int):
        self.after, self.written = after, 0

    @classmethod
    def from_crawler(cls, crawler):
        from newscrawl.crawl.durability import item_written

        extension = cls(crawler, crawler.settings.getint("DIE_AFTER_WRITING"))
        # Connected before the dedup pipeline's handler (extensions are made before pipelines): runs first.
        crawler.signals.connect(extension.item_written, signal=item_written)
        return extension

    def item_written(self, item, spider) -> None:
        self.written += 1
        if self.written == self.after:
            os.kill(os.getpid(), signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 10) -> None:
    """Until ``process`` listens on 127.0.0.1:``port``; fails when it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"{what} exited: {stderr}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start listening on 127.0.0.1:{port}")
        time.sleep(0.05)


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence."""

    def __init__(self, work: Path | None = None, password: str | None = None):
        self.work, self.password = work, password
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        server = shutil.which("redis-server")
        if not server:
            raise RuntimeError(
                "redis-server is not installed (apt-get install redis-server; scripts/install-system-deps.sh does it)"
            )
        command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        if self.work is not None:
            command += ["--dir", str(self.work)]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_port(self.port, self.process, "redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def available() -> str | None:
    """None when a loopback site can run here, else the reason it cannot."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        return "nginx is not installed (apt-get install nginx-light)"
    if os.geteuid() != 0:
        return "port 443 needs root"
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx does: TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", PORT))
        except OSError as exc:
            return f"127.0.0.1:{PORT} is taken: {exc}"
    return None


def export_warc(warc: Path, root: Path) -> int:
    """Write every response of a WARC as a file under ``root`` (URL path → file path)."""
    from warcio.archiveiterator import ArchiveIterator

    count = 0
    with open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            path = urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path
            target = root / path.lstrip("/")
            if path.endswith("/") or not path:
                target = target / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(record.content_stream().read())
            count += 1
    return count


_CONF = """
daemon off;
worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    types {{ text/html html; application/xml xml; text/plain txt; }}
    default_type text/html;
    client_body_temp_path {work}/tmp; proxy_temp_path {work}/tmp; fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp; scgi_temp_path {work}/tmp;
    log_format timed '$msec $status $request_uri';
    server {{
        {access_log}
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {root};
        location /rss/ {{ default_type application/rss+xml; }}
        index index.html;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


class LoopbackSite:
    """nginx serving ``root`` over HTTPS on 127.0.0.1; with ``access_log``, each request is logged
    as ``<unix time with ms> <status> <uri>`` in ``work/access.log``."""

    def __init__(self, root: Path, work: Path, port: int = PORT, access_log: bool = False):
        self.root, self.work, self.port = root, work, port
        self.access_log = work / "access.log" if access_log else None
        self.process: subprocess.Popen | None = None

    @classmethod
    def from_warc(cls, warc: Path, work: Path, access_log: bool = False) -> LoopbackSite:
        root = work / "site"
        export_warc(warc, root)
        return cls(root, work, access_log=access_log)

    def requests(self) -> list[tuple[float, int, str]]:
        """(time, status, uri) of every request logged so far."""
        lines = self.access_log.read_text().splitlines() if self.access_log and self.access_log.exists() else []
        return [(float(t), int(status), uri) for t, status, uri in (line.split(" ", 2) for line in lines)]

    def start(self) -> None:
        from faultsite import self_signed_certificate

        (self.work / "tmp").mkdir(parents=True, exist_ok=True)
        cert, key = self_signed_certificate(self.work)
        conf = self.work / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""
        access_log = f"access_log {self.access_log} timed;" if self.access_log else ""
        conf.write_text(
            _CONF.format(
                user=user,
                work=self.work,
                port=self.port,
                cert=cert,
                key=key,
                root=self.root.resolve(),
                access_log=access_log,
            )
        )
        self.process = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.work)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_for_port(self.port, self.process, "nginx")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


@contextmanager
def webhook_receiver():
    """An HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it: (url, list of bodies)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    posts: list = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's handler name)
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", posts
    finally:
        server.shutdown()
