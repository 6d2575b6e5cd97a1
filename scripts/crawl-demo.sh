#!/usr/bin/env bash
# Install, then crawl every registered site's bundled fixture site offline (replayed from
# tests/fixtures/<site>/site.warc.gz) into output/<site>.jsonl (nu, wnl, …). Where a site has a
# later capture (tests/fixtures/<site>/later.warc.gz: the same site an hour later), a second run
# over it appends what changed to the same file, so the demo data holds a revision. The demo starts
# from an empty dedup state each time so that it gives the same datasets every time.
# Each crawl's log goes to output/<site>.log; the terminal gets one line per step and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls .venv/.installed-* >/dev/null 2>&1; then
    echo "newscrawl demo: installing into .venv (the first time takes about two minutes) …"
fi
bash scripts/bootstrap.sh
mkdir -p output
sites=$(.venv/bin/newscrawl sites --names)
total=$(echo $sites | wc -w)
# replay SPIDER CAPTURE STATS FEED-OPTION [scrapy options]: one crawl of a fixture capture into the demo state.
replay() {
    local spider=$1 capture=$2 stats=$3 feed_option=$4
    shift 4
    .venv/bin/scrapy crawl "$spider" \
        -s REPLAY_WARC="tests/fixtures/$spider/$capture.warc.gz" \
        -s STATE_DB="output/demo-state-$spider.sqlite3" \
        -s STATS_FILE="output/$stats" \
        -s LOG_FILE="output/$spider.log" -s LOG_FILE_APPEND=True \
        "$feed_option" "output/$spider.jsonl" "$@" \
        || { echo "newscrawl demo: the $spider crawl failed; its log: output/$spider.log" >&2; tail -n 20 "output/$spider.log" >&2; exit 1; }
}
n=0
for spider in $sites; do
    n=$((n + 1))
    rm -f "output/demo-state-$spider.sqlite3"* "output/$spider.rejects.jsonl" "output/$spider.later.stats.json" "output/$spider.log"
    echo "[$n/$total] $spider: crawling its fixture site, replayed offline from tests/fixtures/$spider/site.warc.gz …"
    replay "$spider" site "$spider.stats.json" -O "$@"
    if [ -f "tests/fixtures/$spider/later.warc.gz" ]; then
        echo "[$n/$total] $spider: the same site an hour later (later.warc.gz), appended …"
        replay "$spider" later "$spider.later.stats.json" -o "$@"  # appended: the same site an hour later
    fi
done
echo
.venv/bin/python - $sites <<'PY'
import json, sys
for spider in sys.argv[1:]:
    stats = json.load(open(f"output/{spider}.stats.json"))
    count = lambda prefix: sum(v for k, v in stats.items() if k.startswith(prefix))
    # failures/<discovery|article|robots>/<reason>: said by kind and reason, so a reader sees what they were.
    failed = sorted((k.split("/", 1)[1], v) for k, v in stats.items() if k.startswith("failures/") and v)
    print(f"output/{spider}.jsonl: {stats.get('item_scraped_count', 0)} articles"
          f" | rejected: {stats.get('validation/rejected', 0)}"
          f" | duplicates dropped: {stats.get('dedup/dropped', 0)}"
          f" | generic-extractor fallbacks: {stats.get('extraction/body/fallback', 0)}"
          f" | rendered pages: {stats.get('render/requests', 0)}"
          f" | not articles: {count('skipped/')}"
          f" | failed requests: {count('failures/')}")
    if failed:
        print("    failed: " + ", ".join(f"{what} {n}" for what, n in failed)
              + " (normal here: the fixture sites hold faults on purpose, sources they lack, a dead link, an"
              + f" off-site redirect, to show each is counted and the crawl goes on; details: output/{spider}.log)")
    try:
        later = json.load(open(f"output/{spider}.later.stats.json"))
    except FileNotFoundError:
        continue
    print(f"output/{spider}.jsonl, the site an hour later: +{later.get('item_scraped_count', 0)} lines"
          f" | new: {later.get('run/new', 0)} | revised: {later.get('run/revised', 0)}"
          f" | unchanged: {later.get('run/unchanged_skipped', 0) + later.get('run/not_modified', 0)}")
PY
