#!/usr/bin/env bash
# Start Scrapyd for this project with HTTP basic auth, in var/scrapyd/ (or SCRAPYD_HOME).
# Its Python environment is the project's .venv (the project's dependencies + scrapyd, setuptools<81).
#   SCRAPYD_URL (default http://127.0.0.1:6800) says where it listens: the one place that says so,
#     read by this script, scripts/deploy.sh and `newscrawl schedule` alike.
#   SCRAPYD_USERNAME (default newscrawl) and SCRAPYD_PASSWORD (required) set the credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCRAPYD_PASSWORD:?set SCRAPYD_PASSWORD (and optionally SCRAPYD_USERNAME) first}"
bash scripts/bootstrap.sh
home="${SCRAPYD_HOME:-var/scrapyd}"
mkdir -p "$home"
read -r url SCRAPYD_BIND_ADDRESS SCRAPYD_HTTP_PORT < <(.venv/bin/python -m newscrawl.tools.scrapyd_client)
echo "Scrapyd on $url (state in $home)" >&2
# The password is never written anywhere: Scrapyd reads SCRAPYD_USERNAME/SCRAPYD_PASSWORD from its
# environment, so any characters work (quotes, &, /, \, spaces); the address and port likewise.
export SCRAPYD_USERNAME="${SCRAPYD_USERNAME:-newscrawl}" SCRAPYD_PASSWORD SCRAPYD_BIND_ADDRESS SCRAPYD_HTTP_PORT
cp deploy/scrapyd.conf "$home/scrapyd.conf"
venv="$PWD/.venv"
cd "$home"
exec "$venv/bin/scrapyd" --pidfile= --logfile=-
