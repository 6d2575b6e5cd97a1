#!/usr/bin/env bash
# Install, then crawl the bundled NU.nl and WNL fixture sites offline (replayed from their WARCs)
# into output/nu.jsonl and output/wnl.jsonl. The demo starts from an empty dedup state each time
# so that it gives the same datasets every time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p output
for spider in nu wnl; do
    rm -f "output/demo-state-$spider.sqlite3"* "output/$spider.rejects.jsonl"
    .venv/bin/scrapy crawl "$spider" \
        -s REPLAY_WARC="tests/fixtures/$spider/site.warc.gz" \
        -s STATE_DB="output/demo-state-$spider.sqlite3" \
        -s STATS_FILE="output/$spider.stats.json" \
        -O "output/$spider.jsonl" "$@"
done
.venv/bin/python - <<'PY'
import json
for spider in ("nu", "wnl"):
    stats = json.load(open(f"output/{spider}.stats.json"))
    count = lambda prefix: sum(v for k, v in stats.items() if k.startswith(prefix))
    print(f"output/{spider}.jsonl: {stats.get('item_scraped_count', 0)} articles"
          f" | rejected: {stats.get('validation/rejected', 0)}"
          f" | duplicates dropped: {stats.get('dedup/dropped', 0)}"
          f" | generic-extractor fallbacks: {stats.get('extraction/body/trafilatura', 0)}"
          f" | rendered pages: {stats.get('render/requests', 0)}"
          f" | not articles: {count('skipped/')}"
          f" | failed requests: {count('failures/')}")
PY
