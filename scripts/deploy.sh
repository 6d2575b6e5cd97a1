#!/usr/bin/env bash
# Build the project's egg and upload it to Scrapyd at SCRAPYD_URL (default http://127.0.0.1:6800),
# with the credentials in SCRAPYD_USERNAME / SCRAPYD_PASSWORD. scrapy.cfg's [deploy] reads both
# from the environment; nothing is written to a file. Extra arguments go to scrapyd-deploy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
read -r SCRAPYD_URL _ _ < <(.venv/bin/python -m newscrawl.tools.scrapyd_client)
export SCRAPYD_URL SCRAPYD_USERNAME="${SCRAPYD_USERNAME:-newscrawl}"
exec .venv/bin/scrapyd-deploy "$@"
