"""News agencies an article credits for its copy, read from its credit and byline forms.

A credit names the agency as a whole part of the line: "NU.nl/ANP", "ANP", "Door: ANP",
"Reuters/NU.nl", "(AFP)", "Bron: ANP/Belga", or the dateline that opens the text ("PARIJS (AFP) -").
Precision comes first: an agency is credited only when a part of the credit is its name, whole,
so a journalist called "Anouk Panders" credits nothing, a sentence that quotes Reuters is not a
credit, and a photo credit ("Foto: ANP", "Beeld: Reuters") is about the picture, never the text.
Pure functions on text: no Scrapy, no page.
"""

from __future__ import annotations

import re
import unicodedata

#: canonical name → the ways credits write it (compared without case, accents and dots)
AGENCIES: dict[str, tuple[str, ...]] = {
    "ANP": ("ANP", "Algemeen Nederlands Persbureau"),
    "Reuters": ("Reuters", "Thomson Reuters"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "DPA": ("DPA", "Deutsche Presse-Agentur"),
    "Belga": ("Belga",),
    "Bloomberg": ("Bloomberg",),
    "Novum": ("Novum", "Novum Nieuws"),
    "EFE": ("EFE", "Agencia EFE"),
    "ANSA": ("ANSA",),
    "Xinhua": ("Xinhua",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Yonhap": ("Yonhap",),
    "TASS": ("TASS",),
    "Interfax": ("Interfax",),
    "PA Media": ("PA Media", "Press Association"),
    "UPI": ("UPI", "United Press International"),
    "APA": ("APA",),
    "Ritzau": ("Ritzau",),
    "NTB": ("NTB",),
}


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s.\-]+", " ", folded).strip().lower()


_BY_KEY = {_key(alias): name for name, aliases in AGENCIES.items() for alias in aliases}

# A label before the credit: "Door:", "Bron:", "Tekst:" (what it credits is the text).
_TEXT_LABEL = re.compile(r"^(?:door|bron(?:nen)?|tekst)\b\s*:?\s*", re.IGNORECASE)
# A label that makes the credit a picture's: never the text's.
# A copyright sign or label ("© ANP") is a picture's notice too, as captions and footers write it.
_PICTURE_LABEL = re.compile(
    r"^(?:©|\(c\)|copyright\b|foto(?:'s|grafie|graaf)?\b|beeld\b|afbeelding\b|video\b|illustratie\b|"
    r"graphic\b|infographic\b|photo\b|image\b)",
    re.IGNORECASE,
)
# The parts of a credit: "NU.nl/ANP", "ANP, AFP", "Redactie en ANP", "ANP | Reuters", "Redactie
# m.m.v. ANP" (met medewerking van: with the agency's copy).
_PARTS = re.compile(r"\s*(?:/|,|;|&|\||\+|\ben\b|\band\b|\bm\.\s?m\.\s?v\.|\s[–—-]\s)\s*", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\(([^()]{1,60})\)")
# A publication named in a credit ("NU.nl", "nos.nl"): the site itself, not a person or an agency.
_PUBLICATION = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,12}$", re.IGNORECASE)
# The dateline that opens agency copy: "PARIJS (AFP) - …", "Den Haag (ANP) – …", "(Reuters) - …".
_DATELINE = re.compile(r"^(?:[A-ZÀ-Þ][\w'’.-]*(?:\s[\w'’.-]+){0,3}\s)?\(([^()]{2,60})\)\s*[-–—:]\s")
# The sign-off that closes agency copy: "… skeptisch geäußert. (dpa)", "… aldus de politie. (ANP)".
_SIGN_OFF = re.compile(r"[.!?…”\"’]\s*\(([^()]{2,60})\)\s*$")
MAX_CREDIT = 120  # characters: a longer line is a sentence, not a credit


def agency(text: str) -> str | None:
    """The canonical name of the agency ``text`` names, whole ("anp", "Associated Press"), else None."""
    return _BY_KEY.get(_key(text.strip(" ()[].:")))


def is_publication(text: str) -> bool:
    return bool(_PUBLICATION.match(text.strip()))


def parts(credit: str) -> list[str]:
    """The names a credit or byline lists, without its label: "Door: NU.nl/ANP" → ["NU.nl", "ANP"].
    A picture's credit lists nothing."""
    text = " ".join(credit.split())
    if not text or _PICTURE_LABEL.match(text):
        return []
    text = _TEXT_LABEL.sub("", text, count=1)
    return [part for part in _PARTS.split(text) if part]


def credited(credit: str) -> list[str]:
    """The agencies a credit or byline names: each part that is an agency's name, whole, or an
    agency in parentheses after a name ("Lotte Bakker (ANP)"). Nothing from a picture's credit
    or from a line too long to be a credit."""
    if len(credit) > MAX_CREDIT:
        return []
    found: list[str] = []
    for part in parts(credit):
        if _PICTURE_LABEL.match(part):
            continue  # "Door: Lotte Bakker | Foto: ANP": the picture's credit inside a byline
        for name in (agency(part), *(agency(inner) for inner in _PARENTHESISED.findall(part))):
            if name and name not in found:
                found.append(name)
    return found


def is_credit_line(text: str) -> bool:
    """A line that is a credit and nothing else ("Bron: ANP", "(AFP)", "ANP/NU.nl"): every part is
    an agency or a publication, at least one an agency. Such a line under the text is not text."""
    if len(text) > MAX_CREDIT:
        return False
    names = parts(text)
    return bool(names) and any(agency(n) for n in names) and all(agency(n) or is_publication(n) for n in names)


def dateline(first_block: str) -> list[str]:
    """The agencies of the dateline that opens agency copy ("DEN HAAG (ANP) - Het kabinet …"):
    only at the very start of the text, and only when every name in it is an agency's."""
    match = _DATELINE.match(first_block.strip())
    return _only_agencies(match.group(1)) if match else []


def sign_off(last_block: str) -> list[str]:
    """The agencies of the parenthesised credit that closes the text after its last sentence
    ("… aldus de politie. (ANP)"), when every name in it is an agency's."""
    match = _SIGN_OFF.search(last_block.strip())
    return _only_agencies(match.group(1)) if match else []


def _only_agencies(names: str) -> list[str]:
    """The agencies a parenthesised credit names ("Reuters/AFP"), if every name in it is one."""
    found = [agency(name) for name in parts(names)]
    return [name for name in dict.fromkeys(found) if name] if found and all(found) else []


def people(names: list[str]) -> list[str]:
    """The people of a byline's parts: agencies and publications are sources, not authors; an
    agency in parentheses after a name goes ("Lotte Bakker (ANP)" → "Lotte Bakker")."""
    kept = []
    for name in names:
        if agency(name) or is_publication(name):
            continue
        name = _PARENTHESISED.sub(lambda m: "" if agency(m.group(1)) else m.group(0), name).strip()
        if name:
            kept.append(name)
    return kept
