"""Settings for the newscrawl Scrapy project: every knob documented once, here.

Override any of them per run with ``-s NAME=value``.
"""

import os

from newscrawl import __version__
from newscrawl.article.schema import field_order

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.crawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.crawl.spiders"
COMMANDS_MODULE = "newscrawl.tools.scrapy_commands"
# One spider per registered site (site packages and SITES_FILE), plus any spider class of SPIDER_MODULES.
SPIDER_LOADER_CLASS = "newscrawl.crawl.spiders.loader.SiteSpiderLoader"
# A TOML file of sites declared without Python ([sites.<name>] tables: host, article_path, feeds,
# selectors …; docs/sites/declared.md), loaded beside the packages under newscrawl/sites/. A wrong
# file stops every command with its mistakes, one line each. Empty: the built-in sites only.
# Default: the environment's NEWSCRAWL_SITES_FILE, so that Scrapyd lists and runs the declared
# spiders when its environment names the file.
SITES_FILE = os.environ.get("NEWSCRAWL_SITES_FILE", "")

# The crawl's "now" (an ISO 8601 instant with its offset, e.g. 2025-04-01T10:00:00+02:00), moving on
# with the real seconds from the crawl's start: dateDownloaded, "gisteren" and the date sanity bounds,
# what the state records (and so when it expires), baselines and the manifest's finishTime read it.
# None: the real time. For tests and simulations of a living site (a week of hourly crawls in minutes).
CRAWL_NOW = None

# --- Identity and politeness -------------------------------------------------
# Who we are; {contact} is replaced by CONTACT_URL so site owners can reach the operator.
CONTACT_URL = "https://github.com/newscrawl/newscrawl"
USER_AGENT = f"newscrawl/{__version__} (+{{contact}})"
ROBOTSTXT_OBEY = True
# A robots.txt Crawl-delay is honoured per host up to this many seconds (a larger one is capped and logged).
ROBOTSTXT_CRAWL_DELAY_MAX = 60.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # a news page is < 1 MB; anything this big is broken
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
# A 429/503 with Retry-After waits as asked, but never longer than this (seconds).
RETRY_AFTER_MAX = 120
# The trust boundary (newscrawl/crawl/scope.py): requests go only to the site's own hosts, never to a
# loopback, private, link-local or reserved address (in the URL or from DNS), except these
# host:port pairs (the tests' local servers), e.g. ["127.0.0.1:8123"].
SCOPE_TEST_HOSTS: list[str] = []
TWISTED_DNS_RESOLVER = "newscrawl.crawl.scope.ScopedResolver"
COOKIES_ENABLED = False  # articles are public; cookies only bring consent walls
# Consent cookies an operator is entitled to send (name → value, e.g. {"consent": "…"}): sent as a
# Cookie header on requests to the site's own hosts only, so that a site that asks for consent
# first (a redirect to a consent service, a consent page: skipped:consent_wall) serves its articles.
# Off ({}) by default; set it per site (Site.settings, or `schedule --setting nu:CONSENT_COOKIES=…`).
# Only what the operator has agreed to with the publisher: the crawler accepts nothing itself.
CONSENT_COOKIES: dict[str, str] = {}
# Reserved rights (TDMRep, EU DSM Art. 4): "record" writes each article's metadata.tdm and goes on;
# "obey" also leaves out the articles whose publisher reserved text-and-data mining (skipped:tdm_reserved).
TDM_POLICY = "record"
# The most a site's /.well-known/tdmrep.json may weigh; a larger one is not read (it then says nothing).
TDMREP_MAXSIZE = 256 * 1024
# A callback yields one article item (or a few dozen links): Scrapy starts CONCURRENT_ITEMS
# asyncio workers for *every* callback output, and its default of 100 cost more CPU per
# article than the item pipelines themselves (benchmarks/run.py, BENCHMARKS.md).
CONCURRENT_ITEMS = 8

# --- Discovery ---------------------------------------------------------------
# How many "Lees ook"/related hops to follow from an article found on a discovery page.
RELATED_DEPTH = 2
# Discovered articles are requested newest first, this many at a time (memory stays flat on a backfill).
ARTICLE_BATCH = 1000
# How many pages of a section listing ("Meer laden", ?page=N) to read.
LISTING_MAX_PAGES = 2
# Sitemap indexes nest: how deep to follow them. A real site stays far below; a loop of indexes
# stops here (counted as discovery/sitemap_limit/depth).
SITEMAP_MAX_DEPTH = 4
# How many sitemap files one run reads at most; a generated maze of indexes stops here (counted as
# discovery/sitemap_limit/files).
SITEMAP_MAX_FILES = 2000
# How many pages of a REST API listing (WordPress /wp-json/wp/v2/posts) to read.
API_MAX_PAGES = 2
# A burst: when the last of those pages still shows only articles never captured, the window
# overflowed since the last crawl: up to this many further pages are read, until one shows an
# article the state knows (counted as discovery/overflow/pages; the bound as …/bound_reached). A first
# crawl of a site (the state knows none of its articles) reads only the usual pages.
DISCOVERY_OVERFLOW_PAGES = 8
# Same article under another URL = same request (see newscrawl/crawl/fingerprint.py).
REQUEST_FINGERPRINTER_CLASS = "newscrawl.crawl.fingerprint.ArticleRequestFingerprinter"
# The scheduler's duplicate filter on that fingerprint: an article already requested is not requested again.
DUPEFILTER_CLASS = "newscrawl.crawl.fingerprint.ArticleDupeFilter"

# --- Offline record / replay (newscrawl/crawl/archive.py) ---------------------------
# Write every response as the server sent it (status, headers, compressed body) to this WARC file,
# e.g. "output/nu.warc.gz"; ignored while replaying.
RECORD_WARC = None
# Serve every request from these WARC file(s) instead of the network (a path, a glob or a comma
# list, e.g. "tests/fixtures/nu/site.warc.gz"): a URL the archive lacks is counted, never fetched.
REPLAY_WARC = None

SPIDER_MIDDLEWARES = {
    # Long URLs are refused by newscrawl.crawl.middlewares.ScopeMiddleware, with an outcome (URLLENGTH_LIMIT).
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    # Closest to the engine: frees a page's parsed tree once every output of its callback is out.
    "newscrawl.crawl.middlewares.ReleaseParsedTreeMiddleware": 5,
    # Closest to the spider: a callback's exception becomes a failure:parse_error outcome.
    "newscrawl.crawl.middlewares.ParseErrorMiddleware": 1000,
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.crawl.middlewares.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    # First: every hop of every request (retries, redirects, robots.txt) stays on the site (newscrawl/crawl/scope.py).
    "newscrawl.crawl.middlewares.ScopeMiddleware": 50,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newscrawl.crawl.middlewares.ContactUserAgentMiddleware": 500,
    # robots.txt's Crawl-delay for our user agent, per host (at most ROBOTSTXT_CRAWL_DELAY_MAX seconds).
    "newscrawl.crawl.middlewares.CrawlDelayMiddleware": 510,
    # After decompression (590): a UTF-8 body labelled Latin-1 is read as UTF-8.
    "newscrawl.crawl.middlewares.CharsetRepairMiddleware": 580,
    # After decompression too: a gzipped sitemap (.xml.gz) is unpacked within SITEMAP_MAX_BYTES, or fails as too_large.
    "newscrawl.crawl.middlewares.GzippedDiscoveryMiddleware": 585,
    # After robots.txt (100): the site's /.well-known/tdmrep.json, read once per host before its pages (newscrawl/crawl/tdm.py).
    "newscrawl.crawl.tdm.TdmRepMiddleware": 110,
    # CONSENT_COOKIES on requests to the site's own hosts (off unless set).
    "newscrawl.crawl.middlewares.ConsentCookiesMiddleware": 60,
    # Validators of the last fetch on article requests; 304s end there (newscrawl/crawl/incremental.py).
    "newscrawl.crawl.incremental.ConditionalRequestMiddleware": 560,
    # Last before the network: answers from the archive when REPLAY_WARC is set, else disabled.
    "newscrawl.crawl.archive.WarcReplayMiddleware": 950,
}
EXTENSIONS = {
    # Scrapy's feed exporter with loud write errors: an article counts as emitted only once its
    # line is written and flushed (newscrawl/crawl/durability.py).
    "scrapy.extensions.feedexport.FeedExporter": None,
    "newscrawl.crawl.durability.SafeFeedExporter": 0,
    # The state store (SQLite, or Redis in a cluster) every component of the crawl shares (newscrawl/state/).
    "newscrawl.state.StateStore": 0,
    # Every discovered URL ends in one outcome: item, reject, duplicate, skip, failure (newscrawl/run/ledger.py).
    "newscrawl.run.ledger.UrlLedger": 50,
    # What the site listed, how each listed article ended, and each day's requests and 304s (newscrawl/run/coverage.py).
    "newscrawl.run.coverage.CoverageLedger": 55,
    "newscrawl.crawl.archive.WarcRecorder": 100,
    "newscrawl.run.health.RunHealth": 60,
    # The run's one verdict from the ledger, the monitor and the finish reason (newscrawl/run/verdict.py).
    "newscrawl.run.verdict.RunVerdict": 70,
    # What robots.txt says to named AI crawlers, per host (newscrawl/crawl/tdm.py; the manifest's rights).
    "newscrawl.crawl.tdm.AiCrawlerRules": 0,
    "newscrawl.run.report.RunReport": 900,
    "newscrawl.run.manifest.FeedManifest": 910,
    # Fewer garbage-collector passes during a crawl (newscrawl/crawl/gctuning.py).
    "newscrawl.crawl.gctuning.GcTuning": 0,
    # After the ledger and the layout monitor: their verdicts are what it checks (newscrawl/run/alerts.py).
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
}
# Python's garbage-collector thresholds during a crawl (young, middle, old generation); None = Python's own (700, 10, 10).
GC_THRESHOLDS = [20000, 20, 20]
# --- Run health (newscrawl/run/health.py, newscrawl/run/verdict.py): every setting HEALTH_* ----
# One verdict per run from these checks, the URL ledger and the finish reason; the manifest, check-run,
# the runs report and the alerts all say that verdict. (The LAYOUT_* / RUN_* names of earlier
# versions are refused with their new name.) Per site, Site.settings overrides them.

# Layout change: the minimum share of parsed articles with each field (a site may lower one:
# Site.layout_min_coverage).
HEALTH_MIN_COVERAGE = {"headline": 0.95, "articleBody": 0.8, "datePublished": 0.9, "authors": 0.5}
# Layout change: the maximum share of bodies the generic extractor gave (the site's rules found none).
HEALTH_MAX_FALLBACK_SHARE = 0.25
# Minimum share of parsed articles whose headline and body the site's own rules found (not
# JSON-LD, <title> or the generic extractor): below it the site's markup has moved, even when the
# fallbacks still give good items (metadata.sources says which rule won, per field).
HEALTH_MIN_SITE_RULES = 0.75
# Maximum share of fetched article pages whose parser raised (failure:parse_error) before the run fails.
HEALTH_MAX_PARSE_ERROR_SHARE = 0.05
# Run health, whatever the layout: the run fails when article pages were requested and none became
# an item (new, revised or known unchanged), or when more than this share of the article URLs it
# requested ended as skips or failures (at least HEALTH_MIN_ARTICLES of them).
HEALTH_MAX_LOST_SHARE = 0.5
# Baseline (each site's healthy runs, kept in the state store): a run fails when a field's coverage
# falls below (1 - this) of its usual share (fields usually on >= 20 % of articles), or the links per
# listing page fall likewise.
HEALTH_BASELINE_DROP = 0.5
# Baseline: a run fails when the generic extractor's share rises more than this above its usual value.
HEALTH_BASELINE_FALLBACK_RISE = 0.2
# Below this many articles the layout is not judged by shares (the verdict says "too_few").
HEALTH_MIN_ARTICLES = 5
# A failed run keeps up to this many of its problem pages (the pages whose fields were missing or
# came from fallbacks, or whose parser raised), with their URLs and problems.
HEALTH_SAMPLES = 10
# The folder they are kept in (%(name)s: the spider), ready to be packed into a fixture
# (python -m newscrawl.tools.fixtures pack) and the parser mended.
HEALTH_SAMPLES_DIR = "output/%(name)s-layout-samples"

# --- Alerts (newscrawl/run/alerts.py, on Spidermon) -------------------------------
# At the end of each run Spidermon checks its health (layout, lost articles, parse errors, URL
# outcomes, finish reason); a failed run sends one message to every channel configured below.
# Secrets are never settings (logged, listed by Scrapyd): they come from the environment or a file.

# Spidermon's checks and alerts. Only `scrapy crawl` is a run: it switches them on; `scrapy parse`,
# `check` and `shell` run the same spiders without (-s SPIDERMON_ENABLED=0 turns them off for a crawl).
SPIDERMON_ENABLED = False
# What Spidermon runs when a spider closes: the project's checks and alerts (newscrawl/run/alerts.py).
SPIDERMON_SPIDER_CLOSE_MONITORS = ("newscrawl.run.alerts.RunAlerts",)
ALERT_EMAIL_TO: list[str] = []  # e-mail addresses; with ALERT_SMTP_HOST set, failed runs are mailed there
# The sender of alert mails.
ALERT_EMAIL_FROM = "newscrawl@localhost"
# The SMTP server alert mails go through; None: no mail.
ALERT_SMTP_HOST = None
# The SMTP server's port (587 for STARTTLS on most servers).
ALERT_SMTP_PORT = 25
# The SMTP login, if the server wants one; its password is never a setting (ALERT_SMTP_PASSWORD_FILE).
ALERT_SMTP_USER = None
# A file that holds the SMTP password; else the environment's NEWSCRAWL_ALERT_SMTP_PASSWORD.
ALERT_SMTP_PASSWORD_FILE = None
# A file that holds the webhook URL, which receives a JSON POST for each failed run; else the
# environment's NEWSCRAWL_ALERT_WEBHOOK_URL.
ALERT_WEBHOOK_URL_FILE = None
ALERT_SMTP_TLS = False  # STARTTLS before logging in, the server's certificate verified
# A login (ALERT_SMTP_USER) without ALERT_SMTP_TLS would send the password in cleartext: the crawl
# refuses to start, unless this says the server is one where that is acceptable (on this machine).
ALERT_SMTP_PLAINTEXT_LOGIN = False
ALERT_SMTP_CA_FILE = None  # CA certificates (PEM) for the SMTP server, instead of the system's
# Seconds all channels of one alert get together; a channel still sending then is reported and left.
ALERT_DEADLINE = 30
# Spidermon's HTML report of a failed run: set SPIDERMON_REPORT_FILENAME (a path). Spidermon's Slack,
# Telegram, Discord and Sentry actions are not wired (their secrets would be settings): use the webhook.
SPIDERMON_REPORT_TEMPLATE = "reports/email/monitors/result.jinja"  # the one Spidermon ships

# Write the run's final stats as JSON here (e.g. "output/%(name)s.stats.json"); off by default.
STATS_FILE = None

# --- Items -------------------------------------------------------------------
ITEM_PIPELINES = {
    "newscrawl.crawl.pipelines.dedup.DedupPipeline": 300,
    "newscrawl.crawl.pipelines.validation.ValidationPipeline": 400,
}
# The seen/revision store shared by all runs (and all spiders) of the project.
STATE_DB = "output/state.sqlite3"
# What makes the crawl's state store (newscrawl.state.StateStore): SQLite at STATE_DB. With
# REDIS_URL the cluster's add-on sets it to the store every worker shares (newscrawl/cluster/redis.py).
STATE_STORE_FACTORY = "newscrawl.state.sqlite.embedded_store"
# How long the state remembers an article (its text's hash and revision, its HTTP validators):
# days since its last new text (validators: since the last fetch); 0 = for ever. Redis expires
# the keys itself; SQLite deletes older rows when a crawl opens it. Outside the window an article
# met again is new (revision 1): keep the window longer than the crawls' reach back (since=, lastmod).
STATE_EXPIRE_DAYS = 30
# Skip articles whose sitemap/API lastmod has not moved, and send conditional requests for the rest.
INCREMENTAL = True
# --- Over time: revisits and withdrawals (newscrawl/crawl/revisits.py) -------------------
# Hours after publication at which a captured article is fetched again, listed or not (a conditional
# request: unchanged costs a 304): often in its first day, then every 20 h up to a week, so that an
# edit is seen within a day of it, dated or not. [] (on the command line -s REVISIT_AFTER_HOURS=) = only
# when discovery lists it again; -s REVISIT_AFTER_HOURS=1,6,24 another schedule. Needs INCREMENTAL.
REVISIT_AFTER_HOURS = [1, 2, 4, 8, 12, 18, 24, 44, 64, 84, 104, 124, 144, 164]
# A live blog still live (LIVEBLOG_LIVE_HOURS) is due again this many minutes after each fetch, listed
# or not: its new updates become new revisions. Needs INCREMENTAL and a REVISIT_AFTER_HOURS schedule.
LIVEBLOG_REVISIT_MINUTES = 15
# A live blog is live while its newest update is at most this many hours old; after that it follows
# REVISIT_AFTER_HOURS like any article.
LIVEBLOG_LIVE_HOURS = 24
# At most this many revisits per run, the most overdue first; the rest are due at the next run.
REVISIT_MAX_PER_RUN = 300
# Silence is an alert: the run fails with "coverage: silent since …" when the site has listed no new
# article for this many times its longest gap near that hour of the day, or when every feed read
# was empty. 0: only the empty feeds are said.
SILENCE_FACTOR = 3.0
# Silence: never said before this many hours without a new article, whatever the site's gaps.
SILENCE_MIN_HOURS = 3.0
# Silence: how many of the site's last publications its usual gaps are learned from.
SILENCE_HISTORY = 1000
# Silence: how many publications the site needs on record before its gaps are judged.
SILENCE_MIN_HISTORY = 30
# Where invalid items go; default: beside the first local feed (output/nu.rejects.jsonl).
REJECTS_FILE = None

# --- Output ------------------------------------------------------------------
# One UTF-8 JSON object per line, fields in schema order. Used only by `scrapy crawl` (which sets
# WRITE_DEFAULT_FEED: newscrawl/tools/scrapy_commands/crawl.py) when no feed is configured: `-o`/`-O` on the
# command line or FEEDS replace it (newscrawl/crawl/addons.py). `scrapy parse`/`check` write no dataset.
DEFAULT_FEED = "output/%(name)s.jsonl"
# `scrapy crawl -O FILE` over a non-empty FILE while the state (STATE_DB) exists is refused: the
# state makes the run emit only what is new, so the file would lose every earlier article.
# 1 = replace it anyway.
OVERWRITE_DATASET = False
# Whether this command writes DEFAULT_FEED: set by `scrapy crawl` alone, so that `parse` and `check`
# write no dataset (not an operator's setting).
WRITE_DEFAULT_FEED = False
ADDONS = {"newscrawl.crawl.addons.DefaultFeed": 0, "newscrawl.cluster.distributed.Distributed": 10}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = field_order()

# --- JavaScript rendering (newscrawl/crawl/render.py) -------------------------------
# Only spiders that may need it install the scrapy-playwright download handler (wnl);
# only requests with meta playwright=True go through the browser, which reaches only the site's
# hosts (newscrawl.crawl.browser.ScopedPlaywrightHandler: it routes every other request to nowhere).

# The browser scrapy-playwright drives.
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# How it is started: Debian's chromium, headless, without the background traffic that calls home.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",  # Debian's package `chromium`
    "headless": True,
    "timeout": 30_000,
    # Without the background-networking flags Chromium keeps calling home, which fails offline.
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
# Pages open at once in one browser context.
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
# Milliseconds a rendered page may take to load before its request fails.
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000

# --- Distributed crawling on scrapy-redis (newscrawl/cluster/distributed.py) ------------
# Set REDIS_URL (redis://host:6379/0) and every process started with it is a worker of one
# crawl: shared frontier, seen-set and dedup/revision state. Unset: embedded (SQLite, no Redis).
REDIS_URL = None
# Extra keyword arguments for scrapy-redis' Redis clients (ssl_ca_certs for a rediss:// URL, …);
# the add-on sets redis_cls so they log in with the password from NEWSCRAWL_REDIS_PASSWORD
# (a REDIS_URL with a password in it is refused: settings are logged).
REDIS_PARAMS: dict = {}
# Namespace of all keys, so several projects or test runs can share one Redis.
REDIS_KEY_PREFIX = "newscrawl"
# Workers share each host's DOWNLOAD_DELAY (or AutoThrottle's larger delay) and
# CONCURRENT_REQUESTS_PER_DOMAIN through Redis: a site sees one crawler's rate, not N.
CLUSTER_RATE_LIMIT = True
# Seconds between a worker's heartbeats in Redis.
CLUSTER_HEARTBEAT = 1.0
# A worker silent this many seconds counts as dead: its claims lapse, a survivor re-reads discovery.
CLUSTER_DEAD_AFTER = 30
# Seconds every worker must have been idle before the crawl closes.
CLUSTER_CLOSE_AFTER = 5.0
# The http/https download handlers the cluster's polite handlers wrap (newscrawl/cluster/politeness.py).
# Filled in by the add-on from DOWNLOAD_HANDLERS when a crawl joins a cluster; set it only to wrap
# other handlers than the configured ones.
CLUSTER_INNER_DOWNLOAD_HANDLERS: dict[str, str] = {}

# --- Backfill from web archives (newscrawl backfill; newscrawl/crawl/backfill.py) -------------
# Processes that read the archives on this machine (`newscrawl backfill --processes N` sets it for one
# run): each reads every file and keeps the articles whose key hashes to it, so that all captures of an
# article meet in one process; each writes DIR/<site>.part-K-of-N.jsonl. Resume with the same N. With
# REDIS_URL the cluster hands out whole files instead: start one backfill per process or machine.
BACKFILL_PROCESSES = 1

# Scrapy 2.19 starts an HTTP server that runs Python code sent to it (RemoteControl), and the telnet
# console does the same: a crawl is no shell. Off unless an operator turns one on for a debugging session.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
