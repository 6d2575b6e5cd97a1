"""Scrapyd's application, refusing to start without credentials (``application`` in deploy/*.cfg/conf).

Scrapyd without a username and password accepts egg uploads, i.e. runs code as its user, from
anyone who reaches its port. Credentials come from the environment (SCRAPYD_USERNAME,
SCRAPYD_PASSWORD: Scrapyd reads them itself, any characters allowed) or the config file. Only an
operator who says so (NEWSCRAWL_SCRAPYD_NO_AUTH=1) gets an unauthenticated Scrapyd, and then
only on a loopback address.
"""

from __future__ import annotations

import ipaddress
import os
import sys

from scrapyd.app import application as scrapyd_application


class CredentialsMissing(SystemExit):
    pass


def check_credentials(config, environ=os.environ) -> None:
    username = environ.get("SCRAPYD_USERNAME") or config.get("username", "")
    password = environ.get("SCRAPYD_PASSWORD") or config.get("password", "")
    if username and password:
        return
    bind = environ.get("SCRAPYD_BIND_ADDRESS") or config.get("bind_address", "127.0.0.1")
    if environ.get("NEWSCRAWL_SCRAPYD_NO_AUTH") == "1":
        try:
            loopback = ipaddress.ip_address(bind).is_loopback
        except ValueError:
            loopback = bind == "localhost"
        if loopback:
            return
        raise CredentialsMissing(
            f"NEWSCRAWL_SCRAPYD_NO_AUTH=1 is for a loopback address only, not bind_address = {bind}"
        )
    raise CredentialsMissing(
        "Scrapyd needs credentials: set SCRAPYD_USERNAME and SCRAPYD_PASSWORD in its environment "
        "(or NEWSCRAWL_SCRAPYD_NO_AUTH=1 for an unauthenticated Scrapyd on 127.0.0.1 only)"
    )


def application(config):
    try:
        check_credentials(config)
    except CredentialsMissing as refusal:
        print(f"newscrawl: {refusal}", file=sys.stderr)
        raise
    return scrapyd_application(config)
