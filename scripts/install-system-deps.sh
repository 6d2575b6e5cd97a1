#!/usr/bin/env bash
# Debian packages the project needs beyond Python: chromium (JS-rendered listings via scrapy-playwright)
# and jq (the README's jq examples are tested). Installs what is missing when running as root;
# otherwise says what to install.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${missing[*]}…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    echo "Note: not installed: ${missing[*]}; the tests that need them are skipped. Install with: sudo apt-get install ${missing[*]}" >&2
fi
