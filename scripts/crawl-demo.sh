#!/usr/bin/env bash
# Install, then crawl the bundled NU.nl fixture site offline (replayed from its WARC) into output/nu.jsonl.
# The demo starts from an empty dedup state so that it gives the same dataset every time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
mkdir -p output
rm -f output/demo-state.sqlite3* output/nu.rejects.jsonl
.venv/bin/scrapy crawl nu \
    -s REPLAY_WARC=tests/fixtures/nu/site.warc.gz \
    -s STATE_DB=output/demo-state.sqlite3 \
    -s STATS_FILE=output/nu.stats.json \
    -O output/nu.jsonl "$@"
.venv/bin/python - <<'PY'
import json
stats = json.load(open("output/nu.stats.json"))
print(f"\noutput/nu.jsonl: {stats.get('item_scraped_count', 0)} articles"
      f" | rejected: {stats.get('validation/rejected', 0)} (output/nu.rejects.jsonl)"
      f" | duplicates dropped: {stats.get('dedup/dropped', 0)}"
      f" | generic-extractor fallbacks: {stats.get('extraction/body/trafilatura', 0)}"
      f" | not articles: {sum(v for k, v in stats.items() if k.startswith('skipped/'))}"
      f" | failed requests: {sum(v for k, v in stats.items() if k.startswith('failures/'))}")
PY
