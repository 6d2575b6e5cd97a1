#!/usr/bin/env bash
# Debian packages the project needs beyond Python: chromium (JS-rendered listings via scrapy-playwright),
# jq (the README's jq examples are tested), redis-server (distributed mode and its tests) and
# nginx-light (the loopback site the distributed tests and benchmarks crawl over HTTPS). Installs what is missing when running as root;
# otherwise says what to install.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${missing[*]}…"
    apt-get update -qq
    # policy-rc.d 101: the packages must not start their own daemons; the tests start them on loopback.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.newscrawl
    chmod +x /usr/sbin/policy-rc.d.newscrawl
    [ -e /usr/sbin/policy-rc.d ] || ln -s /usr/sbin/policy-rc.d.newscrawl /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ "$(readlink /usr/sbin/policy-rc.d 2>/dev/null)" = /usr/sbin/policy-rc.d.newscrawl ] && rm -f /usr/sbin/policy-rc.d
    rm -f /usr/sbin/policy-rc.d.newscrawl
else
    echo "Note: not installed: ${missing[*]}; the tests that need them are skipped. Install with: sudo apt-get install ${missing[*]}" >&2
fi
