"""The project's own signals: how crawl components tell the run layer what happened, without knowing it.

Sent with ``crawler.signals.send_catch_log(signal, **kwargs)``; the URL ledger, the layout monitor
and the cluster connect to them in ``from_crawler``. A crawl with none of those enabled just
sends into the void.
"""

from __future__ import annotations

# (url, outcome, detail): a URL reached an outcome (item, reject, duplicate, skipped:…, failure:…).
url_resolved = object()
# (url, outcome): the ledger accepted a URL's first outcome (later ones for the same URL are ignored).
url_finished = object()
# (request): this worker took a request from the shared (Redis) frontier.
request_taken = object()
# (response, kind, detail): a callback raised on a page (kind: article | discovery).
page_parse_error = object()
