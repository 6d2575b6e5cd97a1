"""Consent walls: a page that asks for consent before it shows the article is never an article.

Two forms, both named ``skipped:consent_wall`` (never ``failure:offsite`` or an item):

* **a redirect to a consent service.** DPG Media's sites (NU.nl, Het Parool, AD …) answer an
  article URL without a consent cookie with a 303 to ``myprivacy.dpgmedia.nl``, which would send
  the reader back to the article once they agree. The known consent hosts are kept here
  (:data:`CONSENT_HOSTS`) and per site (``Site.consent_hosts``); any other host counts when the
  redirect's host, path or query speaks of consent, privacy or cookies *and* names the article as
  the place to come back to. The consent host itself is never requested: it is off the site.
* **a consent page served at the article URL** (:func:`consent_page`): a page with no article
  metadata that offers a consent choice (a button or link to accept or to set preferences) and
  speaks the vocabulary of cookie notices. A title, an h1 and paragraphs do not make it an
  article; an article about cookies, with its metadata, is never a consent page.

The operator may send the consent cookies they are entitled to send (CONSENT_COOKIES,
newscrawl/crawl/middlewares.py); nothing here clicks or accepts anything.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from lxml import etree

#: consent services that stand between a reader and publishers' articles (per site: Site.consent_hosts)
CONSENT_HOSTS = frozenset(
    {
        "myprivacy.dpgmedia.nl",  # DPG Media Nederland: NU.nl, AD, Het Parool, de Volkskrant, Trouw …
        "myprivacy.dpgmedia.be",  # DPG Media België
        "consent.google.com",
        "consent.youtube.com",
        "consent.yahoo.com",
        "guce.yahoo.com",
    }
)

# A redirect target that speaks of consent (path or query), in Dutch or English.
_CONSENT_WORDS = re.compile(r"consent|privacy|cookie|toestemming|gdpr|\bcmp\b|tcf", re.IGNORECASE)

# What a consent choice says (a button, a submit, a link): accept, agree, preferences.
_CHOICE = re.compile(
    r"^\s*(?:ja,?\s*)?(?:ik\s+ga\s+akkoord|akkoord|accepteren|alles\s+accepteren|accepteer(?:\s+alles)?|"
    r"alle\s+cookies\s+accepteren|cookies\s+accepteren|toestaan|alles\s+toestaan|accept(?:\s+all)?(?:\s+cookies)?|"
    r"i\s+agree|agree|allow\s+all|(?:cookie-?|privacy-?)?instellingen(?:\s+(?:aanpassen|beheren|wijzigen))?|"
    r"voorkeuren(?:\s+(?:aanpassen|beheren))?|manage\s+(?:preferences|settings|options)|weigeren|reject\s+all)\s*[.!]?\s*$",
    re.IGNORECASE,
)

#: words a consent page may show beside its notice (a site header, a footer); more is an article
#: with a cookie bar, not a consent page
MAX_WORDS_BESIDE_NOTICE = 80

# The vocabulary of cookie notices; a consent page uses several of these, an article rarely.
_VOCABULARY = (
    "cookie",
    "toestemming",
    "privacy",
    "partners",
    "derde partijen",
    "advertenties",
    "gepersonaliseerde",
    "persoonsgegevens",
    "instellingen",
    "consent",
    "third parties",
    "personalised",
    "personalized",
)


def consent_redirect(target: str, origin: str, hosts: frozenset[str] = frozenset()) -> str | None:
    """Why a redirect from the article ``origin`` to ``target`` (a host off the site) is a consent
    wall, or None when it is not one (an ordinary off-site redirect)."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if host in CONSENT_HOSTS or host in hosts:
        return f"redirected to the consent service {host}"
    if not _CONSENT_WORDS.search(f"{host}{parts.path}?{parts.query}"):
        return None
    if _names(parts.query, origin):
        return f"redirected to {host}, which asks for consent and sends the reader back to the article"
    return None


def _names(query: str, origin: str) -> bool:
    """Whether a query names the article as where to come back to: its URL or its path, in the
    query as it is or decoded up to three times (a callback inside a callback)."""
    try:
        article = urlsplit(origin)
    except ValueError:
        return False
    wanted = {origin.split("#")[0], article.path} - {"", "/"}
    text = query
    for _ in range(4):
        if any(name in text for name in wanted):
            return True
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return False


def _label(element: etree._Element) -> str:
    """What a button, submit or link says to the reader."""
    return str((element.get("value") if element.tag == "input" else element.xpath("string()")) or "")


def consent_page(root: etree._Element, visible_text: str) -> str | None:
    """Why this page is a consent page served instead of the article, or None. The caller has
    made sure the page has no article metadata (JSON-LD article, article:published_time or
    og:type article); here, both must hold: a consent choice a reader can make (a button, submit
    or link whose whole text is "Akkoord", "Alles accepteren", "Instellingen aanpassen" …), and
    the vocabulary of cookie notices (three of its words in the visible text), with no article's
    prose beside the notice."""
    choice = next((element for element in root.iter("button", "a", "input") if _CHOICE.match(_label(element))), None)
    if choice is None:
        return None
    lowered = visible_text.lower()
    words = [word for word in _VOCABULARY if word in lowered]
    if len(words) < 3:
        return None
    # No article beside it: a cookie bar on an article leaves the article's prose outside the notice.
    notice_words = next(
        (
            len(text.split())
            for block in choice.iterancestors("form", "dialog", "section", "aside", "div", "main")
            if sum(word in (text := block.xpath("string()")).lower() for word in _VOCABULARY) >= 2
        ),
        0,
    )
    if len(visible_text.split()) - notice_words > MAX_WORDS_BESIDE_NOTICE:
        return None
    return f"a consent page instead of the article: it offers {_label(choice).strip()!r} and speaks of {', '.join(words[:4])}"
