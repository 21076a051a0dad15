"""Phone numbers a message gives the reader to call, found by structure, in any language.

A linear scan finds digit runs in the canonical text (which already folded every script's digits
and full-width forms), tolerating the letters scammers put for digits (O/o for 0, l/I/| for 1; Z, S
and B between digits) and a number broken over two lines. Runs that are something else by their
shape are left alone: glued to letters (file names, ids, URLs), dates, version strings, IBAN and
card-number blocks, hyphenated order numbers too long for a phone. The rest go to `phonenumbers`,
tried in the regions the message suggests (its languages, by their lure phrases and everyday
words, currencies and domains) before the usual callback regions. A number a brand publishes for
its customers is no lure's. When no field holds a whole number, one cut across two fields (its
head in the title, its tail in the notes) is read whole, as a disguise.

No cue word is needed: a number is a number. Whether "call" stands near it is a separate fact
(`callback.phone_cued`), and so is where it sits (title, location, organiser name). A meeting
dial-in is recognised by structure only, never by words a stranger can type: the number sits in
text its authenticated sender wrote (not a relayed stranger's note), the message carries a
conferencing service's join link, and the number is followed by that meeting's id or passcode. In
a relayed invite, only the conference the calendar service attached itself (a property of the
calendar, not its text) has a dial-in, in the block that names that meeting.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate, chain, islice, pairwise
from pathlib import Path
from typing import Literal

import phonenumbers
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from .. import budget
from ..model import Evidence, TextBlock
from ..rules import load_brands, load_conferencing, load_currencies, load_lexicon, load_scripts
from ..view import digit_lookalikes, printed_chat_numbers
from . import brand, payment
from .platform import in_stranger_text, relay
from .reading import Reading
from .spelled import spelled_readings
from .text import BULLETS, ODD_SEPARATORS, PICTOGRAPH_RANGES, WORD_CHAR, trie_pattern, unspaced_script

# phonenumbers compiles its metadata's patterns per call, trusting re's cache of 512; numbers
# tried in ten regions overflow it and every message recompiled hundreds of patterns. The
# patterns come from the library's metadata only, so keeping them all is bounded.
phonenumbers.enable_pattern_cache()

# Always tried, after the regions a message suggests: where callback scams call from and to (a
# lure in Italian may give a North American toll-free number).
DEFAULT_REGIONS = ("US", "GB", "CA", "AU", "IN")
MAX_REGIONS = 10  # suggested regions tried, besides the default ones
MAX_DIGITS = 15  # E.164's longest number
MIN_DIGITS = 7  # the shortest subscriber numbers with their area code
# Each candidate costs a few phonenumbers parses; a message with more digit runs than any real
# one is read only that far, so hostile input cannot buy unbounded work.
MAX_CANDIDATES = 300
DISGUISED_DIGITS_MIN = 3  # real digits in a number written mostly in look-alike letters, one or more a group
DIGIT_BY_DIGIT_MIN = 9  # single digits in a row that are a number written out, not versions ("2.4.1")
CUE_BEFORE = 80
CUE_AFTER = 40
DIALIN_AFTER = 160  # how far after a number its meeting id or passcode may follow

# Letters spammers write for digits: O and o for 0, I, l and | for 1, and the letters of other
# alphabets that UTS #39 finds confusable with a digit (the Greek and Cyrillic capital o, the
# Cyrillic ze U+0417 for 3) anywhere in a number. Z for 2, S for 5 and B for 8 only next to a
# digit and not to another letter ("5Z5", "8OO-S55", "4B 7l"), and never opening a number, since
# ids start with them ("ES B85550011", a Spanish VAT number, read as a disguised number in round 15).
_ASCII_LOOKALIKES = {"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}
_DIGIT_LOOKALIKES = {**digit_lookalikes(), **_ASCII_LOOKALIKES}
_LOOKALIKES = re.escape("".join(_DIGIT_LOOKALIKES))
_TRUNK_ONES = frozenset("Il|")  # the letters written for the "1" a North American number opens with
_INNER_LOOKALIKES = "ZSB"
_INNER = (rf"(?<=[0-9])[{_INNER_LOOKALIKES}](?![^\W\d_])"
          rf"|(?<![^\W\d_])[{_INNER_LOOKALIKES}](?=[0-9])")
_LOOKALIKE_CHARS = frozenset((*_DIGIT_LOOKALIKES, *_INNER_LOOKALIKES))
# The marks other scripts write between words, written between a number's groups as a space or
# hyphen would be: the Ethiopic wordspace ("09፡11፡48፡2730"), the katakana middle dot, the
# hyphenation point.
_WORD_MARKS = "\u1361\u30fb\u2027"
_ODD_SEPARATOR = re.compile(f"[{ODD_SEPARATORS}]")
_TO_DIGIT = str.maketrans({**_DIGIT_LOOKALIKES, "Z": "2", "S": "5", "B": "8", "_": " ", "~": " ",
                           **dict.fromkeys(BULLETS + _WORD_MARKS, " "),
                           **{code: " " for first, last in PICTOGRAPH_RANGES for code in range(first, last + 1)}})
# Spaces, dots, hyphens and dashes, slashes, brackets, the underscores of file names
# ("Fatura_0212_555_4417.pdf"), the katakana long-vowel mark Japanese text uses as a dash
# ("03ー5550ー0159", also half-width), bullets, pictographs and tildes, other scripts' word marks,
# and one line or paragraph break (checked below).
_SEPARATOR = rf" .\-\u2010-\u2015\u2212\u30fc\uff70/()_\n{BULLETS}{_WORD_MARKS}{ODD_SEPARATORS}"
# A number laid out one character a table cell, the cells parted by " | " as a table's text is
# written ("1 | - | 8 | 4 | 4 | ..."), runs longer than any number written in a line, which is as
# far as a candidate reaches: such a row is a candidate of its own.
_CELLS = re.compile(r"(?<![\w|])[+(]?[0-9](?: ?\| ?[0-9()+\-]){6,24}(?![\w|])")
CANDIDATE_REACH = 42  # the most a candidate below takes: longer rows of cells and columns are their own
# A number written downwards, one character a line or paragraph ("0\n3\n-\n8\n9\n..."), so that no
# line holds a number; the candidate below reaches the short ones.
_COLUMN = re.compile(r"(?<![^\n])[+(]?[0-9](?:\n\n?[0-9()+\-.]){6,24}(?![^\n])")
# A letter written for a digit opens a number only where no word's letters stand before it: the
# "ll" of "call" is no "11" ("call l-8OO-555-Ol5O").
_CANDIDATE = re.compile(
    rf"(?:\+|(?<![0-9])00)?(?:[0-9(]|(?<![^\W\d_])[{_LOOKALIKES}])"
    rf"(?:[0-9{_LOOKALIKES}{_SEPARATOR}]|{_INNER}){{5,40}}[0-9{_LOOKALIKES})]")
_TOKEN = re.compile(rf"(?:[0-9{_LOOKALIKES}]|{_INNER})+")
# A North American number written with hyphens or dots keeps its shape when a word is hyphenated
# onto it ("Help-833-555-0109.pdf", "CALL-614.555.0107_before_Fri.pdf", in look-alike letters too:
# "Call-1.8OO.555.Ol72.pdf"); an id ("INV-2024-0012") does not have it.
_HYPHENATED_NANP = re.compile(r"(?:1-)?\d{3}-\d{3}-\d{4}|(?:1\.)?\d{3}\.\d{3}\.\d{4}")
# What may not touch a number: ASCII letters and digits (file names, ids, "pin=123") and URL or
# address characters before it; after it, a lower-case letter or digit ("20011005logs2.zip"). An
# upper-case letter may follow: text run together from HTML ("Desk: 1 808 371-4987Automated").
# Letters of scripts written without spaces may touch it (Japanese "お電話は0120…"), and so may
# the underscores that stand for spaces in file names.
_GLUE_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@/=&?%#\\$€£¥")
_GLUE_AFTER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@/=&%\\")
# A file name may carry a whole number between underscores ("Invoice_Call_+1-855-555-0166.pdf").
_FILE_EXTENSION = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|png|jpe?g|gif|html?|txt|zip|ics)\b", re.IGNORECASE)
# What joins groups into one (`_spans`): an id joined by tildes ("4711~0815~2234") is as whole as
# one joined by hyphens.
_JOINERS = frozenset(".-~")
_DATE = re.compile(r"^(?:(\d{4})[./-](\d{1,2})[./-](\d{1,2})|\d{1,2}[./-]\d{1,2}[./-]\d{4})$")
# A date with a two-digit year ("05/11/25"), the shape in which Central Asia and Russia write a
# number's last six digits ("71-08-36"): a date only with a day and a month in it, either way round.
_SHORT_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-]\d{2}$")
DAYS, MONTHS = 31, 12
# Dates with a space after each dot, as Central Europe writes them ("30. 4. 2025", Hungary's
# "2025. 04. 30."): a year of this or the last century and its day and month.
_SPACED_DATE = re.compile(r"(?<!\d)(?:\d{1,2}\.\s\d{1,2}\.\s(?:19|20)\d\d|(?:19|20)\d\d\.\s\d{1,2}\.\s\d{1,2})(?!\d)")
_VERSION = re.compile(r"^\d{1,3}(?:\.\d{1,3}){1,4}(?:-\d{1,3})?$")
_BLOCKS_OF_FOUR = re.compile(r"^(?:\d{4}[ -]){3,}\d{1,4}$")
# An IBAN as printed: country letters, check digits, then groups of four (letters in some
# countries' groups). Its tail alone ("0532 0130 00") can be a valid number somewhere.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[0-9A-Z]{4}){2,7}(?: ?[0-9A-Z]{1,4})?(?![A-Za-z0-9])")
# A day and a month ("24/09"): two of them in a run are a table of dates ("8-9 24/09 18/09", the
# due dates of a tax calendar's row), not a number's groups.
_DAY_MONTH = re.compile(r"(?:[0-2]?[0-9]|3[01])/(?:0?[1-9]|1[0-2])")
_DATED_ID = re.compile(r"^(?:19|20)\d\d/\d")  # an invoice's "2025/11/212": a year, then its serial
_YEARS = re.compile(r"^(?:19|20)\d\d\s*[-\u2010-\u2015/]\s*(?:19|20)\d\d$")  # "© 1999-2026"
_TIME_RANGE = re.compile(r"\d{1,2}[.:][0-5]\d\s*[-\u2010-\u2015]\s*\d{1,2}[.:][0-5]\d")  # "10.00-11.00", any dash
# A toll-free code, then seven keypad letters and digits in at most two groups (the second may be
# one key: "1-855-REFUND-1"; or the first a digit, the word after it the rest: "1-888-4-PAYPAL"),
# capitals only; a word may run past the seventh key, as in "1-800-CONTACTS": the phone dials the
# first seven and ignores the rest. A second group is otherwise short: "800 MG TABLET" is a dose.
# Any dash between the groups: a non-breaking hyphen (U+2011) is a hyphen (U+2010) once canonical.
_KEYS = (r"(?:[0-9][\s.\-\u2010-\u2015][A-Z0-9]{6,10}"
         r"|[A-Z0-9]{2,11}(?:[\s.\-\u2010-\u2015][A-Z0-9]{1,5})?)")
_VANITY = re.compile(r"(?<![\w+])(?:\+?1[\s.\-\u2010-\u2015]?)?\(?(?P<code>8(?:00|33|44|55|66|77|88))\)?"
                     rf"[\s.\-\u2010-\u2015](?P<rest>{_KEYS})(?!\w)")
VANITY_CHARS = 7
# Toll-free and local-rate codes elsewhere that brands write with letters too ("0800 TAAKE 1" in
# New Zealand, "1300 MY BANK" in Australia, "0800 TV LICENCE" in Britain): the code with its
# trunk prefix, then keypad letters and digits. The number takes six or seven keys after the code
# by country, so the longer reading is tried first and the message's regions decide. Where the
# free code has no trunk prefix it is 800 ("800-ZWROTY" in Poland, six keys as in Italy and
# Czechia); after North America's country code ("1-800-MEDICARE") it is the North American reader's.
_NATIONAL_VANITY = re.compile(r"(?<![\w+])(?P<code>0800|0808|0508|0860|0861|1800|1300|(?<!1[\s.\-\u2010-\u2015])800)"
                              r"[\s.\-\u2010-\u2015]"
                              rf"(?P<rest>{_KEYS})(?!\w)")
NATIONAL_VANITY_KEYS = (7, 6)
VANITY_WORD_MAX = 11  # keys of the longest word a vanity number is written as ("1-800-MATTRESS")
VANITY_LETTERS_MIN = 3  # fewer are digits with look-alike letters, the digit scan's ("8OO-555-O199")
_PADDED_SEPARATOR = re.compile(rf"\d\s+[.\-\u2010-\u2015\u2212/{BULLETS}]\s+\d")
# After a dial-in number: the meeting id or passcode, as one-tap ",,ID#", ";ID#" or "123 456 789#".
_MEETING_ID = re.compile(r"(?:,,|;)\s*\d{4,}|\d{3}[ -]?\d{3}[ -]?\d{2,5}\s*#|\d{6,}\s*#")
_LINK_MEETING_ID = re.compile(r"/(?:j|w|s|join|meeting)/(\d{6,13})\b")
MEETING_CODE_MIN = 8  # an attested meeting's code ("bwe-rqxa-tnc"), shorter is no evidence
MEETING_ID_AFTER = 1000  # Zoom lists a dozen numbers before it repeats the meeting id


@dataclass(frozen=True)
class PhoneMention:
    as_written: str
    e164: str
    service: bool  # toll-free, shared-cost or universal access (_SERVICE_NUMBER_TYPES)
    obfuscated: bool
    cued: bool
    dialin: bool
    stranger: bool  # in text a stranger wrote (a relayed note)
    source: str


# ---------------------------------------------------------------- regions

_GENERIC_TLDS = frozenset({"com", "net", "org", "info", "biz", "io", "co", "app", "me", "example", "invalid", "test"})
FIRST_SCRIPT = 0x0370  # below are Latin letters, IPA and symbols, which say nothing of a region
SCRIPT_LETTERS_MIN = 2  # a stray "μ" is no Greek text; "售后" (after-sales) is Chinese


@lru_cache(maxsize=4096)
def _script_of(char: str) -> int | None:
    """The first entry of rules/scripts.yaml that names the letter, by its place there."""
    small = char.lower()
    name = unicodedata.name(small if len(small) == 1 else char, "")
    return next((at for at, script in enumerate(load_scripts()) if name.startswith(script.names)), None)


def _script_regions(text: str) -> list[str]:
    """The regions of the scripts the text is written in, more particular scripts first."""
    counts = Counter(_script_of(char) for char in text if ord(char) >= FIRST_SCRIPT and char.isalnum())
    scripts = load_scripts()
    written_in = sorted(at for at, count in counts.items() if at is not None and count >= SCRIPT_LETTERS_MIN)
    return [region for at in written_in for region in scripts[at].regions]


def _country_of(domain: str) -> str | None:
    """The region of a domain's country-code suffix ("uk": GB); none for a generic one."""
    tld = domain.rpartition(".")[2].upper()
    if len(tld) != 2 or tld.lower() in _GENERIC_TLDS:
        return None
    return "GB" if tld == "UK" else tld


def _domain_regions(reading: Reading) -> list[str]:
    message = reading.message
    domains = [a.domain for a in (message.from_, message.sender, *message.reply_to, *message.recipients) if a]
    domains += [i.organizer.domain for i in message.invites if i.organizer]
    domains += [re.sub(r"^https?://", "", link).split("/", 1)[0].rsplit(":", 1)[0] for link in message.links[:50]]
    return [country for domain in domains if (country := _country_of(domain))]


BRANDS_LOOKED_AT = 10


def _brand_regions(reading: Reading) -> list[str]:
    """The country of each national brand the message names, one whose every domain is under that
    country's domain (BROU's brou.com.uy: Uruguay), where its lure's national numbers are dialled
    ("0800 2198"); a brand of many countries' domains (Amazon's) names none."""
    regions = []
    for mention in islice(brand.mentions(reading), BRANDS_LOOKED_AT):
        countries = {_country_of(domain) for domain in mention.brand.domains}
        if len(countries) == 1 and (country := countries.pop()):
            regions.append(country)
    return regions


# Only "+": "00" opens too many ids ("Order 004512..." would suggest Denmark, whose 8-digit numbers
# then read every 8-digit id). Dialled where a number starts, after a space, a bracket, a colon or
# a quote, never inside a link ("maps/search/Via+Washington+44,+20146+Milano" spaces its words with
# "+": no call to Egypt).
_COUNTRY_CODE = re.compile(r"(?<![^\s(\[:;\"'\u00ab\u201c\u2018>])\+ ?(\d{1,3})")
COUNTRY_CODES_LOOKED_AT = 20


def _dialled_regions(text: str) -> list[str]:
    """The main region of each country code the message dials ("+27 11 555 0172": South Africa),
    so that its national numbers elsewhere ("0861 555 014") are read there. Country codes are a
    prefix code: at most one of a run's first one, two or three digits is one."""
    regions = []
    for found in islice(_COUNTRY_CODE.finditer(text), COUNTRY_CODES_LOOKED_AT):
        digits = found.group(1)
        code = next((int(digits[:n]) for n in (1, 2, 3)
                     if int(digits[:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE), None)
        if code is not None:
            regions.append(phonenumbers.region_code_for_country_code(code))
    return regions


@cache
def _zone_countries() -> dict[str, str]:
    """Each time zone's country: tzdata's zone.tab for Olson names ("Africa/Lusaka": ZM), each
    of which one country keeps, and icalendar's table for the Windows names Outlook writes
    ("South Africa Standard Time"), through the Olson zone it stands for."""
    countries = {}
    for line in (resources.files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country, _, zone = line.split("\t")[:3]
            countries[zone] = country
    countries.update({windows: countries[olson] for windows, olson in WINDOWS_TO_OLSON.items() if olson in countries})
    return countries


def _zone_regions(reading: Reading) -> list[str]:
    """The countries of the time zones the message's invites are set in: the calendar of whoever
    wrote the event, whose national numbers its text may give ("zero nine seven seven ..." in an
    invite set in Africa/Lusaka)."""
    countries = _zone_countries()
    return [countries[i.zone] for i in reading.message.invites if i.zone in countries]


COUNTRY_NAME_MIN = 4  # letters of a country's name ("Peru"); shorter ones are initials or words
UNSPACED_NAME_MIN = 2  # characters of one in a script written without spaces ("智利", "チリ")
COUNTRY_NAMES_LOOKED_AT = 10


def _locale_data() -> dict[str, dict[str, str]]:
    """phonenumbers' country names (phonenumbers/geodata/locale.py), read on their own: imported
    as a module they first import their package, every number prefix's place names, about 100 MB
    a worker that the detector never reads."""
    spec = importlib.util.spec_from_file_location(
        "phonenumbers.geodata.locale", Path(phonenumbers.__file__).parent / "geodata" / "locale.py")
    assert spec is not None and spec.loader is not None, "phonenumbers ships geodata/locale.py"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    locale_data: dict[str, dict[str, str]] = module.LOCALE_DATA
    return locale_data


@cache
def _country_names() -> tuple[re.Pattern[str], dict[str, str]]:
    """Every region's name in the languages phonenumbers' geocoder names it in ("Schweiz",
    "Suisse", "Chile", "智利"), matched as written or in capitals; a name two regions share names
    neither."""
    regions_of: dict[str, set[str]] = {}
    for region, names in _locale_data().items():
        for name in names.values():
            for _ in range(len(names)):  # "*aa": the name language aa gives, which may point on
                if not name.startswith("*"):
                    break
                name = names.get(name[1:], "")
            least = UNSPACED_NAME_MIN if name and unspaced_script(name[0]) else COUNTRY_NAME_MIN
            if len(name) >= least and not name.startswith("*") and region in phonenumbers.SUPPORTED_REGIONS:
                # Written in capitals too, as letterheads and authorities' names are ("ZAMBIA
                # REVENUE AUTHORITY").
                for written in dict.fromkeys((name, name.upper())):
                    regions_of.setdefault(written, set()).add(region)
    named = {name: regions.pop() for name, regions in regions_of.items() if len(regions) == 1}
    # Names in scripts written without spaces stand inside a sentence; the others are whole words.
    unspaced = {name for name in named if unspaced_script(name[0])}
    # One alternative per first character, each opening with it (the word boundary checked after
    # it), so that re's search skips every position where no name starts in its own loop; the
    # whole words' alternatives first, as in "(?<!\w)(?:words)(?!\w)|(?:unspaced)".
    alternatives = [f"{re.escape(first)}(?<!\\w.){_trie_after(rests)}(?!\\w)"
                    for first, rests in _by_first(set(named) - unspaced)]
    alternatives += [f"{re.escape(first)}{_trie_after(rests)}" for first, rests in _by_first(unspaced)]
    return re.compile("|".join(alternatives)), named


def _by_first(names: set[str]) -> list[tuple[str, set[str]]]:
    grouped: dict[str, set[str]] = {}
    for name in names:
        grouped.setdefault(name[0], set()).add(name[1:])
    return sorted(grouped.items())


def _trie_after(rests: set[str]) -> str:
    """The trie of what follows a first character ("" among them: a name may end there)."""
    pattern = trie_pattern(rests)
    return f"(?:{pattern})" if pattern else ""


def _named_regions(text: str) -> list[str]:
    """The regions of the countries the message names ("our billing desk in Chile", "Kundendienst
    Schweiz"), whose numbers it may give in their national form."""
    pattern, named = _country_names()
    # A name of several words may be broken across a line ("New\nZealand").
    return [named[" ".join(found.group().split())] for found in islice(pattern.finditer(text), COUNTRY_NAMES_LOOKED_AT)]


# Regions tried per language the message uses: its main ones. Each region more accepts more
# short digit runs as valid numbers somewhere.
REGIONS_PER_LANGUAGE = 2
# A language counts when it has at least 1/LANGUAGE_SHARE of the main language's hits.
LANGUAGE_SHARE = 3
EVERYDAY_TEXT = 4000  # characters of the message read for its everyday words
# A word, vowel signs included (the dandas, "।" and "॥", end a word).
_WORD = re.compile(WORD_CHAR + "+")


def _languages(reading: Reading, text: str) -> list[str]:
    """The languages the message is written in, most hits first: the lures' phrases it uses and
    the everyday words of its text ("vous", "und"), so a short note with no lure phrase in it
    still says where its national numbers are dialled."""
    # Sorted: ties keep one order whatever the process's hash seed (a set's order is not).
    ordered: dict[frozenset[str], list[str]] = {}  # phrases share their languages' sets
    hits: Counter[str] = Counter(language for found in reading.vocabulary for phrase in found
                                 for language in ordered.get(phrase.languages)
                                 or ordered.setdefault(phrase.languages, sorted(phrase.languages)))
    everyday = _everyday_words()
    hits.update(language for word in _WORD.findall(text.lower(), 0, EVERYDAY_TEXT)
                for language in everyday.get(word, ()))
    if not hits:
        return []
    # A language the message only brushes (a shared word, a loan word) does not crowd out the
    # regions of its currencies and domains.
    enough = hits.most_common(1)[0][1] / LANGUAGE_SHARE
    return [code for code, count in hits.most_common() if count >= enough]


@cache
def _everyday_words() -> dict[str, tuple[str, ...]]:
    """Each language's everyday word -> the languages that use it."""
    languages: dict[str, list[str]] = {}
    for language in load_lexicon().languages:
        for word in sorted(language.common_words):
            languages.setdefault(word, []).append(language.code)
    return {word: tuple(codes) for word, codes in languages.items()}


@cache
def _regions_of_languages() -> dict[str, tuple[str, ...]]:
    return {language.code: language.regions for language in load_lexicon().languages}


def _language_regions(languages: list[str]) -> list[str]:
    """The main regions of each language, in the languages' order."""
    regions = _regions_of_languages()
    return [region for code in languages for region in regions.get(code, ())[:REGIONS_PER_LANGUAGE]]


def _shared_regions(languages: list[str], named_regions: list[str]) -> list[str]:
    """Regions where a language the message uses meets a currency it names or a country domain it
    comes from (English and euros: Ireland; French and Swiss francs: Switzerland; Dutch-looking
    words from a .nl address: the Netherlands, not South Africa): the likeliest home of its
    numbers, before each language's main regions."""
    regions = _regions_of_languages()
    named = set(named_regions)
    return [region for code in languages for region in regions.get(code, ()) if region in named]


_AMOUNT_NUMBER = re.compile(r"\d[\d\s.,'\u2019\u00a0\u202f]*")


@cache
def _currency_symbols() -> tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]:
    """Per currency, the symbols that tell it ("kr", "€"; not "$", which many share), the single
    letters that tell it when they open an amount ("R 12 480,55": rand, where "R$" is the real's
    own symbol), and its regions."""
    return tuple((tuple(s.lower() for s in (*c.prefixes, *c.suffixes) if len(s) > 1 or not s.isascii()),
                  tuple(s.lower() for s in c.prefixes if len(s) == 1 and s.isascii() and s.isalpha()), c.regions)
                 for c in load_currencies())


def _currency_regions(reading: Reading) -> list[str]:
    """Regions of the currencies the message's amounts are in ("6 750 kr": Sweden, Denmark, Norway)."""
    written = tuple(dict.fromkeys(amount.text.lower() for found in payment.amounts(reading) for amount in found))
    if not written:
        return []
    # What each amount says besides its number, whole and word by word: "pkr" is the rupee's,
    # not the krona's "kr" inside it.
    besides = [_AMOUNT_NUMBER.sub(" ", text).strip() for text in written]
    said = {part for words in besides for part in (words, *words.split())}
    opened = {text[0] for text in written if len(text) > 1 and (text[1].isdigit() or text[1].isspace())}
    return [region for symbols, letters, regions in _currency_symbols()
            if said.intersection(symbols) or opened.intersection(letters) for region in regions]


def suggested_regions(reading: Reading) -> tuple[str, ...]:
    text = " ".join(block.text[:500] for block in reading.blocks)
    languages, currencies, domains = _languages(reading, text), _currency_regions(reading), _domain_regions(reading)
    # A currency says more than a sender's domain (Swiss francs from a web.de mailbox: Switzerland).
    # A script's region that a currency or domain names comes before the script's others (Tamil
    # with ringgit: Malaysia, whose mobiles Sri Lanka's numbering would read too), and so does a
    # place the text names that a currency or domain names too (Guadeloupe with euros, where
    # German numbering reads Guadeloupe's mobiles too).
    scripts, places, zones = _script_regions(text), _named_regions(text), _zone_regions(reading)
    named = {*currencies, *domains, *zones}
    ordered = [*(region for region in scripts if region in named), *scripts,
               *(region for region in places if region in named), *_dialled_regions(text),
               *_shared_regions(languages, currencies),
               *_shared_regions(languages, domains), *_shared_regions(languages, zones), *_language_regions(languages),
               *currencies, *domains, *zones, *_brand_regions(reading), *places]
    suggested = [r for r in dict.fromkeys(ordered) if r in phonenumbers.SUPPORTED_REGIONS][:MAX_REGIONS]
    return tuple(dict.fromkeys([*suggested, *DEFAULT_REGIONS]))


# ---------------------------------------------------------------- candidates

def _spans(raw: str) -> list[tuple[int, int]]:
    """Sub-spans of a candidate run worth parsing, the whole first.

    A run can swallow a neighbour ("+1 808 555 0199 (24/7)", two numbers after each other), so it
    is also tried without trailing, then leading, groups, but only cut where a space, slash,
    bracket or line break separates groups: hyphen- or dot-joined groups (an order number
    "112-4567890-1234567") stay whole. Letters that belong to words ("Tel 800...") are never part
    of a span.
    """
    tokens = list(_TOKEN.finditer(raw))
    # A lone letter for 1 or 0 joined to the next group may be the "1-" of "l-8OO-555-Ol86" or the
    # trunk "0." of a number dotted digit by digit ("o.6.1 - 4.4.8 - 2.9.5.0"), or the end of a
    # word ("dial-1-866-..."): both readings are tried, the longer first.
    opener = tokens[0] if len(tokens) > 1 and _DIGIT_LOOKALIKES.get(tokens[0].group()) in ("0", "1") \
        and set(raw[tokens[0].end():tokens[1].start()]) <= _JOINERS and raw[tokens[0].end()] in _JOINERS else None
    while tokens and not any(c.isdigit() for c in tokens[0].group()):
        tokens.pop(0)
    while tokens and not any(c.isdigit() for c in tokens[-1].group()):
        tokens.pop()
    if not tokens:
        return []
    # Groups: tokens joined by hyphens or dots count as one.
    groups: list[list[re.Match[str]]] = [[tokens[0]]]
    for previous, token in pairwise(tokens):
        between = raw[previous.end():token.start()]
        if between and set(between) <= _JOINERS:
            groups[-1].append(token)
        else:
            groups.append([token])
    choices = [(0, len(groups))]
    if len(groups) >= 2:
        choices += [(0, len(groups) - drop) for drop in range(1, min(4, len(groups)))]
        choices += [(drop, len(groups)) for drop in range(1, min(4, len(groups)))]
    spans = []
    for first, last in choices:
        start, end = groups[first][0].start(), groups[last - 1][-1].end()
        while start > 0 and raw[start - 1] in "+(":
            start -= 1
        if raw[start] == "(" and ")" not in raw[start:end] and (end >= len(raw) or raw[end] != ")"):
            start += 1  # a bracket the number opens but never closes is the text's: "(0120-955-307/受付"
        if end < len(raw) and raw[end] == ")" and raw.count("(", start, end) > raw.count(")", start, end):
            end += 1  # "(0)20 ..." or "+1 (855" closes its own bracket; "(+448081570944)" keeps its ")" out
        digits_from = groups[first][0].start()
        if raw.count("(", digits_from, end) > raw.count(")", digits_from, end):
            # A bracket opened after the number began and left open is what follows it: "(24 jam)",
            # "(24/7)". Read with it, "1-800-555-0199 (24" dialled a longer number in India.
            continue
        spans.append((start, end))
    if opener is not None and tokens and tokens[0].start() == opener.end() + 1:
        spans = [(opener.start(), end) for start, end in spans if start == tokens[0].start()] + spans
    return spans


# Bantu languages write a locative or possessive prefix onto a number with a hyphen as onto any
# noun (isiZulu "shayela ku-0860 555 037", "i-Revenue"): a short lower-case word before a number in
# its groups, not an id's code ("INV-2024-0012").
_PREFIX_WORD = re.compile(r"(?<![\w\-])[a-z]{1,3}-\Z")


# A mobile network's service code that carries a number, closed by "#" after it: South Africa's
# "Please Call Me" (*140*number#) and call forwarding (**21*number#, *21*number#).
_DIALLING_CODE = re.compile(r"(?<![\w*#])(?:\*\*|\*|\*#)[0-9]{2,3}\*\Z")


def _glued(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    # A "+" opens an international number even right after a word ("Refund_Line+1(855)555-0176").
    if before in _GLUE_BEFORE and not (before.isalpha() and text.startswith("+", start)):
        return True
    ahead = text[start - 2] if start > 1 else " "
    hyphenated_id = before == "-" and ahead.isascii() and ahead.isalnum() and not _HYPHENATED_NANP.fullmatch(
        text[start:end].translate(_TO_DIGIT)) and not (
        _PREFIX_WORD.search(text, max(0, start - 5), start) and " " in text[start:end])
    if hyphenated_id or (before == "." and ahead.isdigit()):
        return True  # "INV-2024-0012", "2.4.18" (but "Tel.0800 ..." and "Help-833-555-0109" are numbers)
    after = text[end] if end < len(text) else " "
    if after == "/" and _slash_parts_words(text, end):
        return False
    if after == "#" and _DIALLING_CODE.search(text, max(0, start - 6), start):
        return False  # "*140*0825550147#": a number the reader dials inside a code
    if after in _GLUE_AFTER or text[end:end + 3].lstrip(" ").startswith("#"):
        return True  # "#" closes a meeting id or PIN ("PIN: 482 195 733#"), never a phone
    if after == "." and _FILE_EXTENSION.match(text, end):
        return False
    return after in _JOINERS and end + 1 < len(text) and text[end + 1].isascii() and text[end + 1].islower()


def _slash_parts_words(text: str, slash: int) -> bool:
    """A slash after a number that parts it from words, not a path's or a date's next step: a
    space or a letter outside ASCII after it, as Japanese and Chinese write "0120-955-307/受付9時~21時"
    (a path or a date goes on in ASCII)."""
    following = text[slash + 1] if slash + 1 < len(text) else " "
    return following.isspace() or (not following.isascii() and following.isalpha())


# A file name or slug hyphenates its words onto a number as onto each other
# ("rinnovo-annulla-al-800-913-472.pdf", "Help-(888)555-0155.pdf", "rappel-0800.226.381.pdf"): a
# word before the number's hyphen, and after it the name's end, its extension or another word.
# Read only in the groups of the number's own plan, or with its trunk prefix and code as the first
# group (`_code_apart`; `_mentions`), as ids and dates hyphenated into slugs seldom are.
_SLUG_BEFORE = re.compile(r"(?:^|[\s_\-])[A-Z]?[a-z]{2,}-\Z")  # a word, capitalised or not; not an id's "INV-"
_SLUG_AFTER = re.compile(r"(?:[\s_]|\Z|\.[A-Za-z]{2,4}\b|-[a-z]+(?![\w]))")
# Digits, hyphens, dots and brackets only ("800-913-472", "0800.226.381", "(888)555-0155"), and
# the letters written for digits ("1800-41O-2277"); one class, not groups of digits, so the check
# is linear in the span however it fails.
_SLUG_NUMBER = re.compile(rf"[\d().\-{''.join(_ASCII_LOOKALIKES)}]+")
SLUG_WORD_MAX = 40  # letters of the word before the number looked at


def _in_slug(text: str, start: int, end: int, span: str) -> bool:
    """Words of letters hyphenated on both sides, not a link's path or an id's hex groups
    ("9fe5dfdb-0942-1318-b691")."""
    word_start = max(0, start - SLUG_WORD_MAX)
    return (bool(_SLUG_BEFORE.search(text, word_start, start)) and "/" not in text[word_start:start].split()[-1]
            and bool(_SLUG_AFTER.match(text, end)) and bool(_SLUG_NUMBER.fullmatch(span)))


def _grouped_in_slug(span: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether a slug's number is written in its plan's groups, or with its code apart
    (`_code_apart`); a letter written for a digit is a digit of its group ("41O" is "410")."""
    written = span.translate(_TO_DIGIT)
    return _in_national_groups(written, number) or _code_apart(written, number)


def _code_apart(written: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether a number written with its trunk prefix sets its area or mobile code apart as the
    first group, as its national format does ("0733-902-415", Kenya's "0733 902415"), however it
    groups the rest: a file name's hyphens seldom follow a plan's further groups, and an id's first
    group is seldom a code."""
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    written_groups, groups = re.findall(r"\d+", written), re.findall(r"\d+", formatted)
    prefix = _trunk_prefix(number)
    return len(written_groups) > 2 and bool(prefix) and bool(groups) and groups[0].startswith(prefix) \
        and written_groups[0] == groups[0]


def _trunk_prefix(number: phonenumbers.PhoneNumber) -> str:
    """The prefix the number's plan dials it with at home ("0", Russia's "8", Hungary's "06"), or ""."""
    return phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        number.country_code, phonenumbers.region_code_for_number(number)).national_prefix or ""


VERSION_DIGITS_MAX = 9  # a version with a phone's ten digits and more is a dotted number ("1.877.555.01.58")


def _is_version(group: str) -> bool:
    """"2.4.18", "2.4.18-3" or an IPv4 address: dotted parts, one of them a single digit (with
    fewer digits than a phone has) or all of them octets, but not a number dotted out digit by
    digit ("8.8.8.5.5.5.0.1.9.9"), in French pairs ("01.99.00.58.63") or in a national number's
    groups ("22.630.48.71")."""
    if not _VERSION.match(group) or "-" in group.split(".", 1)[0]:
        return False
    parts = group.replace("-", ".").split(".")
    dotted_digits = len(parts) >= 7 and all(len(p) == 1 for p in parts)
    pairs = len(parts) >= 4 and all(len(p) == 2 for p in parts)
    address = len(parts) == 4 and all(int(p) <= 255 for p in parts)
    short = any(len(p) == 1 for p in parts) and sum(map(len, parts)) <= VERSION_DIGITS_MAX
    return (short or address) and not (dotted_digits or pairs)


def _is_date(group: str) -> bool:
    """A date's shape: with a year of four digits last always, first only before a month and a day
    (a hotline's "1900.63.21" is no date), with one of two only holding a day and a month
    (`_SHORT_DATE`)."""
    found = _DATE.match(group)
    if found:
        # A year of four digits, or an invoice's serial before month and year ("87/11/2025").
        return found.group(1) is None or _day_and_month(int(found.group(2)), int(found.group(3)))
    found = _SHORT_DATE.match(group)
    return found is not None and _day_and_month(int(found.group(1)), int(found.group(2)))


def _day_and_month(first: int, second: int) -> bool:
    return (1 <= first <= DAYS and 1 <= second <= MONTHS) or (1 <= first <= MONTHS and 1 <= second <= DAYS)


def _not_a_phone(span: str) -> bool:
    """Shapes that are something else: dates, times of day, versions, IBAN or card blocks, more
    than a phone's digits, several line breaks."""
    compact = span.strip("()+ ")
    breaks = span.count("\n")
    if (_YEARS.match(compact) or _DATED_ID.match(compact) or _BLOCKS_OF_FOUR.match(compact)
            or _TIME_RANGE.search(compact) or _SPACED_DATE.search(compact)
            or any(_is_date(g) for g in compact.split())
            or sum(bool(_DAY_MONTH.fullmatch(g)) for g in compact.split()) >= 2):
        return True
    if (breaks > 2 or (breaks == 2 and "\n\n" not in span)) and not _stacked(span):
        return True
    digits = re.findall(r"\d+", compact)
    if len(digits) >= DIGIT_BY_DIGIT_MIN and all(len(d) == 1 for d in digits) \
            and (_PADDED_SEPARATOR.search(span) or span.lstrip("( ").startswith("+")):
        # Dotted out digit by digit, its groups set apart ("0.8.0.0 - 5.5.5 - 0.1.9.3") or opened by
        # the "+" of a country code ("+3.7.1 2.9.1.4 5.0.8.3"), which no list of versions has.
        return False
    return any(_is_version(group) for group in compact.split())


STACKED_LINES = range(3, 7)  # lines a stacked number takes: its groups, and its country code ("+46")


def _stacked(span: str) -> bool:
    """A number set a group or two to a line or paragraph ("810\n\n555\n\n0124", "+46\n73\n465 05
    \n31", as in table cells), as a lure hides it from readers of whole lines. It counts only in
    the groups of its region's format (`_mentions`): a column of figures is seldom grouped so."""
    lines = span.split("\n")
    groups = [line for line in lines if line.strip()]
    return (len(groups) in STACKED_LINES and len(lines) < 2 * len(groups)
            and all(len(group.split()) <= 2 for group in groups))


def _in_national_groups(written: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether the digits are written in the groups of the number's national format, or of its
    international one when the country code is written ("+46 73 465 05 31")."""
    if written.lstrip().startswith(("+", "00")):
        international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        if _grouped_as(written.lstrip().removeprefix("00"), international, ""):
            return True
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return _grouped_as(written, formatted, _trunk_prefix(number))


def _area_code_first(written: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether the first group is the trunk prefix and the area code, after which a plan with
    area codes lets the subscriber's digits follow in groups of the writer's choice ("02/5778 3320"
    is Bratislava's "02/577 833 20"): that boundary is the region's own, the rest is habit. Only in
    plans with a trunk prefix: Italy's area codes keep their 0 in every number, so "085 ..." is as
    much a Dutch trunk and area code as Pescara's. Many regions' trunks and area codes are alike
    ("040" is Hamburg's and a Finnish mobile's), so this is asked only of the home region."""
    area, trunk = phonenumbers.length_of_geographical_area_code(number), _trunk_prefix(number)
    if not area or not trunk:
        return False
    groups = re.findall(r"\d+", written)
    return len(groups) > 1 and groups[0] == trunk + phonenumbers.national_significant_number(number)[:area]


def _is_obfuscated(span: str) -> bool:
    return any(c in _LOOKALIKE_CHARS for c in span) or bool(_PADDED_SEPARATOR.search(span)) \
        or bool(_ODD_SEPARATOR.search(span)) \
        or _stacked(span) or _digit_by_digit(span)


DIGIT_BY_DIGIT_GROUPS = 6


def _written_disguised(span: str, disguised: tuple[str, ...]) -> bool:
    """The number is one the message wrote in disguise (invisible characters between its digits,
    full-width digits), which its canonical text no longer shows (view.disguised_numbers)."""
    digits = "".join(c for c in span.translate(_TO_DIGIT) if c.isdigit())
    return any(digits in written or written in digits for written in disguised)


def _digit_by_digit(span: str) -> bool:
    """A number set out one digit at a time ("11-5-8-7-3-4-0-9-2"): as a number is said, so its
    grouping tells nothing of its region's way of writing it."""
    groups = re.findall(r"\d+", span)
    return len(groups) >= DIGIT_BY_DIGIT_GROUPS and sum(len(g) == 1 for g in groups) >= DIGIT_BY_DIGIT_GROUPS


def _written_nationally(written: str, number: phonenumbers.PhoneNumber, region: str, spoken: bool = False) -> bool:
    """Whether a number read in a region is written as that region writes it: with its trunk
    prefix when its national form has one ("07741 390255" in the UK; a bare "7741390255" is a
    waybill, not a mobile). Numbers dialled without one (Korea's 1588, China's 400) pass."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix
    if not prefix:
        return True
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if (spoken or _grouped_as(written, formatted, prefix)) and _prefix_optional(
            metadata, phonenumbers.national_significant_number(number)):
        return True  # said, or grouped as the region groups it ("98765 43210"), not an id ("114-5550182")
    national = re.sub(r"\D", "", formatted)
    return not national.startswith(prefix) or re.sub(r"\D", "", written).startswith(prefix)


MOBILE_GROUP_MIN = 3  # digits in each group of a mobile written in groups of the writer's own
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def _mobile_in_groups(written: str, number: phonenumbers.PhoneNumber, home: str) -> bool:
    """Whether the digits, as read in the message's first region, are a mobile of a plan that
    writes its mobiles without the trunk prefix, set out in groups of three digits or more other
    than the plan's own ("8929 416 305" for India's "89294 16305"): people group a mobile as they
    say it. Asked only where no region reads the digits in its own groups, only of the home region
    (every message tries India's plan, and a stranger's digits are some region's mobile), and never
    of one run or short groups, as ids are written ("114-5550182"). Not in North America, which
    groups every number 3-3-4."""
    groups = re.findall(r"\d+", written)
    if len(groups) < 2 or min(map(len, groups)) < MOBILE_GROUP_MIN or written.lstrip().startswith(("+", "(")):
        return False
    significant = phonenumbers.national_significant_number(number)
    return (number.country_code != NANP_CODE and "".join(groups) == significant and phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) in _MOBILE_TYPES
            and _prefix_optional(phonenumbers.PhoneMetadata.metadata_for_region(home), significant))


def _grouped_as(written: str, formatted: str, prefix: str) -> bool:
    """Whether the digits are written in the groups of the region's national format, with or
    without its trunk prefix: "98765 43210" is India's "098765 43210"; a bare run or
    "114-5550182" is not."""
    written_groups = [len(g) for g in re.findall(r"\d+", written)]
    groups = re.findall(r"\d+", formatted)
    if written_groups == [len(g) for g in groups]:
        return True
    if prefix and groups and groups[0].startswith(prefix):
        groups[0] = groups[0][len(prefix):]
    return [len(g) for g in groups if g] == written_groups


def _prefix_optional(metadata: phonenumbers.PhoneMetadata, significant: str) -> bool:
    """Whether the region writes such a number with or without its trunk prefix, as India writes
    its mobiles ("98765 43210"): the metadata's flag on the format the number takes."""
    for layout in metadata.number_format:
        if layout.leading_digits_pattern and not re.match(layout.leading_digits_pattern[-1], significant):
            continue
        if re.fullmatch(layout.pattern, significant):
            return bool(layout.national_prefix_optional_when_formatting)
    return False


# Numbers a business rents nationwide, not a line in a place: toll-free, shared-cost (China's 400,
# the UK's 0845) and universal access (South Africa's 0861, Australia's 1300). Call centres, real
# and fake, answer on them.
_SERVICE_NUMBER_TYPES = frozenset({phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST,
                                   phonenumbers.PhoneNumberType.UAN})


def _is_service_number(number: phonenumbers.PhoneNumber) -> bool:
    return phonenumbers.number_type(number) in _SERVICE_NUMBER_TYPES


def _dialled_internationally(written: str) -> bool:
    return written.lstrip("(").startswith(("+", "00"))


# "00" is the international prefix almost everywhere outside North America. It reads as one only
# with a country code set apart from the rest ("0034 631 207 584", "00 44 20 ..."): an id that
# starts with zeros is one unbroken run ("Order 004512...").
_PREFIX_00 = re.compile(r"\(?00 ?([1-9]\d{0,2})(?=[ .\-/()])")


def _with_plus(written: str) -> str | None:
    """The number as dialled with "+" for its "00" prefix, None when no country code follows it."""
    written = written.lstrip()
    found = _PREFIX_00.match(written)
    if found is None or int(found.group(1)) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return None
    return "+" + written[found.start(1):]


PLAN_GROUPS_MIN = 3  # groups of a number written as its plan groups it, in a file name


def _unmistakable(span: str, number: phonenumbers.PhoneNumber) -> bool:
    """A number no id could be: dialled with its country code, a service number, or written in
    three or more groups as its own plan groups it ("976 44 21 08" in Spain, "1-808-555-0161").
    File names are full of dated ids ("FV_2025_10_044.pdf") that read as some region's landline."""
    return _dialled_internationally(span) or _is_service_number(number) or (
        len(re.findall(r"[0-9]+", span)) >= PLAN_GROUPS_MIN
        and (_in_national_groups(span, number) or bool(_HYPHENATED_NANP.fullmatch(span.strip()))))


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@cache
def _published_numbers() -> frozenset[str]:
    return frozenset(phone for brand in load_brands() for phone in brand.phones)


def _published(number: phonenumbers.PhoneNumber) -> bool:
    """A number a brand publishes for its customers (its genuine mail prints it in the footer): a
    call to it reaches the brand, so it is no lure's number, whoever wrote it down."""
    return _e164(number) in _published_numbers()


# Pure in its arguments, and asked again for the same digits by every reading of one message
# (`inviteguard fit` and eval judge each as three inputs): a seventh of their time was here.
@lru_cache(maxsize=8192)
def _parse(digits: str, regions: tuple[str, ...], spoken: bool = False) -> phonenumbers.PhoneNumber | None:
    """The number the digits dial in the first region where it is valid and written as there,
    in that region's groups if a region the message suggests has them ("06 12 34 56 78" is
    French in Arabic text though euros name Germany first, where the digits are valid too);
    `spoken` when they were read from words, as a number is said, not from a run of digits."""
    written = digits.replace("\n", " ")
    if written.lstrip("( ").startswith("00"):
        with_plus = _with_plus(written)
        if with_plus is None:
            return None
        written = with_plus
    grouped = len(re.findall(r"\d+", written)) > 1
    first_valid = home_mobile = None
    fiction_regions: tuple[str, ...] = ()  # the regions tried before the one first_valid was read in
    home = regions[0] if regions else None
    for region in (None,) if _dialled_internationally(written) else regions:
        try:
            number = phonenumbers.parse(written, region)
        except phonenumbers.NumberParseException:
            continue
        if region is not None and region == home and _mobile_in_groups(written, number, region):
            home_mobile = number  # the fallback when no region reads the digits in its own groups
        if phonenumbers.is_valid_number(number) and (region is None
                                                    or _written_nationally(digits, number, region, spoken)):
            # The usual callback regions are tried for any message: their groups are no evidence.
            # The region the message suggests most strongly reads the digits after its trunk and
            # area code in any groups; a region suggested by less must match its own groups.
            in_groups = region is None or not grouped or _in_national_groups(written, number) \
                or (region == home and _area_code_first(written, number))
            if in_groups and (first_valid is None or region not in DEFAULT_REGIONS):
                return number
            if first_valid is None:
                first_valid, fiction_regions = number, regions[:regions.index(region)] if region else ()
    if first_valid is not None:
        # A range kept for fiction in a region tried first, before a number valid in a later one
        # but not in its groups ("0115 496 0381" is Nottingham's drama range, not a Delhi number).
        return _fictional(written, fiction_regions) or first_valid
    return home_mobile or _nanp_shaped(written) or _fictional(written, regions) or _dialled_possible(written)


# Ranges a numbering plan keeps for film, TV and examples, which phonenumbers holds invalid: to a
# reader they are numbers like any other, and a message that prints one asks to be called like any
# other. By country code, the national significant numbers: Ofcom's 01632 960xxx, 07700 900xxx and
# 0115 496 0xxx (the others of its drama list are valid ranges), and North America's 555-0100 to
# 555-0199 in every area code, which phonenumbers knows only where the area code's metadata happens
# to allow 555 ("17585550137" is as much a number as "+1 (758) 555-0137").
FICTION_RANGES: dict[int, re.Pattern[str]] = {
    44: re.compile(r"(?:1632960|7700900|1154960)[0-9]{3}"),
    1: re.compile(r"[2-9][0-9]{2}55501[0-9]{2}"),
}
NANP_CODE = 1


def _fictional(written: str, regions: tuple[str, ...]) -> phonenumbers.PhoneNumber | None:
    for region in regions:
        country_code = phonenumbers.country_code_for_region(region)
        numbers = FICTION_RANGES.get(country_code)
        if numbers is None:
            continue
        try:
            number = phonenumbers.parse(written, region)
        except phonenumbers.NumberParseException:
            continue
        # North America's range is in every area code, so far more digit strings fall in it than in
        # Ofcom's two prefixes: there it counts written in the plan's groups, and "1-868-5550124"
        # is an id's grouping.
        if (number.country_code == country_code
                and numbers.fullmatch(phonenumbers.national_significant_number(number))
                and (country_code != NANP_CODE or _in_plan_groups(written, number))
                and (_dialled_internationally(written) or _written_nationally(written, number, region))):
            return number
    return None


def _in_plan_groups(written: str, number: phonenumbers.PhoneNumber) -> bool:
    """Written whole, in the plan's national or international groups with a group perhaps cut
    further ("l-868-555-Ol l6"), or as its local number alone in the local groups ("555-0131",
    the area code the one of the region)."""
    if len(re.findall(r"[0-9]+", written)) == 1:
        return True
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if _within_groups(written, national) or _within_groups(written, international):
        return True
    groups, written_digits = re.findall(r"[0-9]+", national), re.sub(r"[^0-9]", "", written)
    local = next((groups[at:] for at in range(1, len(groups)) if "".join(groups[at:]) == written_digits), None)
    return local is not None and _within_groups(written, " ".join(local))


PLUS_LEFT_OUT_GROUPS = 3  # a country code and at least two groups: "258 84 712 0093"


def _plus_left_out(written: str) -> phonenumbers.PhoneNumber | None:
    """A number in a file name, where no "+" can stand, written in its international groups with
    the "+" left out ("ligar_258_84_712_0093"): read when it is valid and its groups are exactly
    its country's international ones, whatever the message suggests, as a number dialled with
    its country code says its country itself. Only in file names: a meeting id ("351 884 207
    615") is grouped as some countries' numbers are, and prose can write the "+"."""
    bare = written.strip()
    if not bare[:1].isdigit() or len(re.findall(r"\d+", bare)) < PLUS_LEFT_OUT_GROUPS:
        return None
    try:
        number = phonenumbers.parse("+" + bare, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return number if _within_groups("+" + bare, international) else None


def _within_groups(written: str, formatted: str) -> bool:
    """The digits are written in the formatted groups, a group perhaps cut further into parts of
    two or more digits ("242_06_618_44_07" for "+242 06 618 4407"), never two groups run together."""
    written_ends = list(accumulate(len(g) for g in re.findall(r"\d+", written)))
    formatted_ends = set(accumulate(len(g) for g in re.findall(r"\d+", formatted)))
    if not formatted_ends <= set(written_ends):
        return False
    # A part of one digit is a whole group of the format ("+33 1 ..."), not a cut.
    return all(end - start >= 2 or (start in formatted_ends | {0} and end in formatted_ends)
               for start, end in pairwise([0, *written_ends]))


# A North American number written whole, its country code first: "+1 (345) 555-0122",
# "1-868-555-0124". phonenumbers holds only the exchanges each Caribbean and Pacific area code has
# opened valid, so new ones and the fictional 555 range read as no number there, but nothing else
# is written in this shape: a number, dialled where the area code says.
_NANP_SHAPE = re.compile(r"\(?\+?1[\s.\-\u2010-\u2015]?\(?[2-9]\d\d\)?[\s.\-\u2010-\u2015]?[2-9]\d\d"
                         r"[\s.\-\u2010-\u2015]\d{4}")


def _nanp_shaped(written: str) -> phonenumbers.PhoneNumber | None:
    if not _NANP_SHAPE.fullmatch(written.strip()):
        return None
    number = phonenumbers.parse("+" + re.sub(r"\D", "", written), None)
    region = phonenumbers.region_code_for_number(number)
    return number if phonenumbers.is_possible_number(number) and region not in (None, "ZZ", "001") else None


def _dialled_possible(written: str) -> phonenumbers.PhoneNumber | None:
    """A number written with "+" and its country code ("+264 61 555 0190") that has the length of
    that country's numbers where phonenumbers holds its range unassigned: metadata lags the ranges
    operators open, and writers of lures use fictional ones; nothing else is written "+" and a
    country code. Its national part neither opens with a trunk zero nor repeats one digit."""
    if not written.lstrip("( ").startswith("+"):
        return None
    try:
        number = phonenumbers.parse(written, None)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    region = phonenumbers.region_code_for_number(number)
    if (region in (None, "ZZ", "001") or national.startswith("0") or len(set(national)) == 1
            or phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE):
        return None
    return number


# ---------------------------------------------------------------- context

def _join_links(reading: Reading) -> list[str]:
    links = [re.sub(r"^https?://(?:www\.)?", "", link.lower()) for link in reading.message.links]
    links += [i.conference.lower() for i in reading.message.invites if i.conference]
    return [link for link in links
            if any(pattern in link for provider in load_conferencing() for pattern in provider.join_links)]


def _attested_meetings(reading: Reading) -> frozenset[str]:
    """The meeting codes of conferences the calendar service attached itself (a Google Meet's
    "bwe-rqxa-tnc"): its dial-in block is the service's text, even inside a relayed invite."""
    codes = set()
    for invite in reading.message.invites:
        link = re.sub(r"^https?://(?:www\.)?", "", invite.attested_conference.lower()).split("?", 1)[0].rstrip("/")
        if any(pattern in link for provider in load_conferencing() for pattern in provider.join_links):
            codes.add(link.rsplit("/", 1)[-1])
    return frozenset(code for code in codes if len(code) >= MEETING_CODE_MIN)


def _dialin_possible(reading: Reading) -> bool:
    """A meeting whose dial-in block its own sender wrote (not a relayed stranger's text; a proven
    sender, or mail nothing authenticated at all; a conferencing service's join link), or one the
    relaying calendar service attached itself."""
    if relay(reading) is not None:
        return bool(_attested_meetings(reading))
    proven = bool(reading.sender_org) or not reading.message.auth
    return proven and bool(_join_links(reading))


def _meeting_ids(reading: Reading) -> frozenset[str]:
    """The meeting numbers in the message's join links (zoom.us/j/9396880476): a dial-in block
    repeats its meeting's number after the phone numbers."""
    return frozenset(m.group(1) for link in _join_links(reading) for m in _LINK_MEETING_ID.finditer(link))


def _repeats_meeting_id(text: str, end: int, meeting_ids: frozenset[str]) -> bool:
    after = re.sub(r"\D", "", text[end:end + MEETING_ID_AFTER])
    return any(meeting_id in after for meeting_id in meeting_ids)


def _cue_starts(reading: Reading, block_index: int) -> list[int]:
    return [m.start for m in reading.listed_in(block_index, "callback_cues")]


def _cued(cues: list[int], start: int, end: int) -> bool:
    index = bisect_left(cues, start - CUE_BEFORE)
    return index < len(cues) and cues[index] <= end + CUE_AFTER


# A file name cannot hold "+", so one spells it out glued to the country code
# ("callback_plus972_77_4013856.pdf"): read as the "+" it stands for, in the same width, so offsets
# and the number as written stay the message's own.
_PLUS_SPELLED = re.compile(r"(?<![^\W\d_])plus(?=[0-9]{1,3}_[0-9])", re.IGNORECASE)


def _plus_spelled(text: str) -> str:
    return _PLUS_SPELLED.sub("   +", text) if "lus" in text.lower() else text


def _written_from(written: str, scanned: str, offset: int) -> int:
    """Where a number found in the scanned text starts as written: at its spelled-out "plus"."""
    return offset - 3 if scanned[offset] == "+" and written[offset] != "+" else offset


# An area code in square brackets is one in round ones ("[03] 9018 4472", as a PDF statement or
# a form sets it): read in the same width, so the number is shown as written.
_SQUARE_AS_ROUND = str.maketrans("[]", "()")


def _mentions(reading: Reading) -> tuple[PhoneMention, ...]:
    regions = suggested_regions(reading)
    dialin_possible = _dialin_possible(reading)
    meeting_ids = _meeting_ids(reading) if dialin_possible else frozenset()
    attested = _attested_meetings(reading) if dialin_possible else frozenset()
    found: list[PhoneMention] = []
    candidates = 0
    for index, block in enumerate(reading.blocks):
        text = _plus_spelled(block.text).translate(_SQUARE_AS_ROUND)
        cues: list[int] | None = None
        stranger = in_stranger_text(reading, block)
        # In a stranger's text only the block that names the attached meeting holds its dial-in.
        dialin_here = dialin_possible and (not stranger or any(code in text.lower() for code in attested))
        ibans = [found_iban.span() for found_iban in _IBAN.finditer(text)]
        money = payment.amounts(reading)[index]
        rows = (row for row in _CELLS.finditer(text) if len(row.group()) > CANDIDATE_REACH) if "|" in text else ()
        columns = [column for column in _COLUMN.finditer(text) if len(column.group()) > CANDIDATE_REACH]
        # A candidate inside a longer column would read the column's first digits as a number.
        column_spans = [column.span() for column in columns]
        in_lines = (found for found in _CANDIDATE.finditer(text) if not _inside(column_spans, found.start()))
        for candidate in chain(in_lines, rows, columns):
            candidates += 1
            if candidates > MAX_CANDIDATES:
                return tuple(found)
            if candidates % 64 == 0:
                budget.check()
            if _inside(ibans, candidate.start()):
                continue
            for start, end in _spans(candidate.group()):
                span = candidate.group()[start:end]
                offset = candidate.start() + start
                if _runs_into(money, text, offset + len(span)):
                    continue  # "31. Mär 2025 · 200,00 €": its last digits are an amount's whole part
                glued = _glued(text, offset, offset + len(span))
                slug = glued and _in_slug(text, offset, offset + len(span), span)
                if glued and not slug:
                    continue
                number = next(filter(None, (_read_span(written, regions, block.source)
                                            for written in _readings(span))), None)
                if number is None or (slug and not _grouped_in_slug(span, number)):
                    continue
                if _published(number):
                    break
                if cues is None:
                    cues = _cue_starts(reading, index)
                end_offset = offset + len(span)
                dialin = dialin_here and (
                    bool(_MEETING_ID.search(text, end_offset, end_offset + DIALIN_AFTER))
                    or _repeats_meeting_id(text, end_offset, meeting_ids))
                found.append(PhoneMention(
                    as_written=" ".join(block.text[_written_from(block.text, text, offset):end_offset].split()),
                    e164=_e164(number),
                    service=_is_service_number(number),
                    obfuscated=_is_obfuscated(span) or _written_disguised(span, reading.message.disguised_numbers),
                    cued=_cued(cues, offset, end_offset),
                    dialin=dialin,
                    stranger=stranger,
                    source=block.source,
                ))
                break
        for readings, disguised in _written_out(block.text):
            candidates += 1
            if candidates > MAX_CANDIDATES:
                return tuple(found)
            read = _first_number(readings, regions, disguised)
            if read is None or _published(read[2]):
                continue
            start, end, number = read
            if cues is None:
                cues = _cue_starts(reading, index)
            found.append(PhoneMention(
                as_written=" ".join(block.text[start:end].split()),
                e164=_e164(number),
                service=_is_service_number(number),
                obfuscated=disguised, cued=_cued(cues, start, end), dialin=False, stranger=stranger,
                source=block.source,
            ))
    if not found:
        found.extend(_asided_numbers(reading, regions))
    if not found:
        found.extend(_split_numbers(reading, regions))
    if not found:
        found.extend(_lakh_grouped_mobiles(reading, regions))
    if not found:
        found.extend(_numbers_down_the_margin(reading, regions))
    known = {mention.e164 for mention in found}
    found.extend(mention for mention in _in_identifiers(reading, regions) if mention.e164 not in known)
    return tuple(found)


# A number whose groups are parted by bracketed words ("09 (appel non surtaxé) 77 40 (du lundi au
# samedi) 31 62"): the reader skips the asides and dials the groups; a filter that reads digits
# and separators sees three short numbers. Opened as a number is, by "+", a trunk 0 or North
# America's 1; each aside holds a letter and no digit, on one line.
_ASIDE = re.compile(r"[ \t]*\([^()0-9\n]{1,40}\)[ \t]*")
_ASIDED = re.compile(rf"(?<![\w+.,\-/])(?:\+|0|1)[0-9 .\-\u2010-\u2015]{{0,14}}[0-9]"
                     rf"(?:{_ASIDE.pattern}[0-9][0-9 .\-\u2010-\u2015]{{0,14}}[0-9]){{1,3}}"
                     r"(?![\w]|[.,:/][0-9])")
ASIDED_MATCHES = 16  # per field


def _disguised(reading: Reading, block: TextBlock, number: phonenumbers.PhoneNumber, as_written: str,
               cued: bool) -> PhoneMention:
    """A number the fallback readers found written in disguise in a block: never a dial-in."""
    return PhoneMention(as_written=as_written, e164=_e164(number), service=_is_service_number(number),
                        obfuscated=True, cued=cued, dialin=False, stranger=in_stranger_text(reading, block),
                        source=block.source)


def _asided_numbers(reading: Reading, regions: tuple[str, ...]) -> Iterator[PhoneMention]:
    """Numbers parted by bracketed words, when no whole number was read: a disguise."""
    for index, block in enumerate(reading.blocks):
        for found in islice(_ASIDED.finditer(block.text), ASIDED_MATCHES):
            asides = _ASIDE.findall(found.group())
            if not all(any(char.isalpha() for char in aside) for aside in asides):
                continue
            number = _read_span(_ASIDE.sub(" ", found.group()), regions, block.source)
            if number is None or _published(number):
                continue
            yield _disguised(reading, block, number, " ".join(found.group().split()),
                             _cued(_cue_starts(reading, index), found.start(), found.end()))
            return


# An Indian mobile written with lakh and crore commas, as an amount is ("7,04,52,18,836" for
# 70452 18836): ten digits opening with 6 to 9 in the grouping 1,2,2,2,3, with no currency before
# it. Read when no number was, and only where India is among the message's regions.
_LAKH_GROUPED = re.compile(r"(?<![\w.,])[6-9](?:,[0-9]{2}){3},[0-9]{3}(?![\w]|[.,][0-9])")
_CURRENCY_BEFORE = re.compile(r"(?:₹|rs\.?|inr|rupees?|\$|€|£)\s*\Z", re.IGNORECASE)
LAKH_MATCHES = 8  # per field


def _lakh_grouped_mobiles(reading: Reading, regions: tuple[str, ...]) -> Iterator[PhoneMention]:
    """A mobile grouped as a rupee amount is, when no whole number was read: a disguise."""
    if "IN" not in regions:
        return
    for index, block in enumerate(reading.blocks):
        for found in islice(_LAKH_GROUPED.finditer(block.text), LAKH_MATCHES):
            if _CURRENCY_BEFORE.search(block.text, max(0, found.start() - 8), found.start()):
                continue
            number = phonenumbers.parse(found.group().replace(",", ""), "IN")
            if not phonenumbers.is_valid_number(number) or _published(number):
                continue
            yield _disguised(reading, block, number, found.group(),
                             _cued(_cue_starts(reading, index), found.start(), found.end()))
            return


# A number printed down the right edge of a letter, a character at the end of each line ("Dear
# Pastor Reyes, 1" / "Your plan 8" / ...), so no line holds more than a digit: read top to bottom
# when no number was. Lines of a letter's sentences, in a run of MARGIN_LINES: a table's labels and
# their counts ("Chile 3" / "China 3" / ...) are a word or two a line, and a count down a list's
# lines (1, 2, 3...) is no number.
MARGIN_LINES = range(7, 17)
MARGIN_BLOCK_LINES = 400  # lines of a field looked at
MARGIN_WORDS_MEAN = 3.5  # words a line, on average, before its digit


def _numbers_down_the_margin(reading: Reading, regions: tuple[str, ...]) -> Iterator[PhoneMention]:
    """A number printed a digit a line down a letter's right edge, when no whole number was read."""
    for block in reading.blocks:
        lines = [line.strip() for line in block.text.split("\n")[:MARGIN_BLOCK_LINES] if line.strip()]
        run: list[str] = []
        words_in_run = 0
        for line in [*lines, ""]:
            words, _, last = line.rpartition(" ")
            if len(last) == 1 and last in "0123456789+" and any(char.isalpha() for char in words):
                run.append(last)
                words_in_run += len(words.split())
                continue
            digits, words_mean = "".join(run), words_in_run / max(len(run), 1)
            run, words_in_run = [], 0
            if len(digits) not in MARGIN_LINES or _counting(digits) or words_mean < MARGIN_WORDS_MEAN:
                continue
            number = _parse(digits, regions)
            if number is None or _published(number):
                continue
            yield _disguised(reading, block, number, digits, cued=False)
            return


def _counting(digits: str) -> bool:
    """Digits that count up or down a step at a time ("1234567"), as a numbered list's do."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits.lstrip("+"))}
    return len(steps) == 1


# A number run into an identifier the reader sees, where no separator lets a text scan read it: a
# messenger contact's address ("5561981234567@s.whatsapp.net" among an invite's guests) is its
# number as surely as a wa.me link is; a toll-free or service number run into a mail address's
# local part or a cashtag ("gs.billing.18885550191@outlook.com", "$RefundDsk8885550125") is one
# the message points the reader to ("dial the digits in my tag"). A mobile or landline run into an
# address is the owner's own ("13812345678@163.com"), no callback: left alone, except at a
# carrier's email-to-text gateway ("3125550148@vzwpix.com"), where the address is the mobile a
# reply reaches, as a messenger contact's is.
_IDENTIFIER_DIGITS = re.compile(r"(?<![0-9])[0-9]{10,15}(?![0-9])")
_CASHTAG = re.compile(r"(?<![\w$])\$[A-Za-z][A-Za-z0-9_]{0,19}(?![\w])")  # Cash App's: at most 20 characters
MESSENGER_DOMAINS = frozenset({"s.whatsapp.net", "c.us"})  # WhatsApp's contact ids: the number, no "+"
GUESTS_READ = 50  # an invite's guests looked at; a list invite names hundreds
CASHTAGS_READ = 20  # per block
IDENTIFIER_NUMBERS_TRIED = 20  # digit runs parsed per message: each parse tries every suggested region


def _seen_addresses(reading: Reading) -> list[str]:
    """The mail addresses a reader sees: the sender's, the reply-to, each invite's organiser and guests."""
    message = reading.message
    addresses = [a.address for a in (message.from_, *message.reply_to) if a is not None]
    for invite in message.invites:
        if invite.organizer is not None:
            addresses.append(invite.organizer.address)
        addresses.extend(guest.address for guest in invite.attendees[:GUESTS_READ])
    return list(dict.fromkeys(a for a in addresses if "@" in a))


# Whose number an identifier holds: a messenger contact's (dialled with its country code, no
# "+"), a text gateway's mobile, or "" for an identifier that is nobody's number to reach.
IdentifierOwner = Literal["messenger", "gateway", ""]


def _identifiers(reading: Reading) -> Iterator[tuple[str, IdentifierOwner, TextBlock]]:
    """Each identifier a number may be run into, whose it is (a messenger contact's, a text
    gateway's mobile or "" for any other) and the block it stands in: the seen addresses' local
    parts (`address`), then each block's chat links written out and its cashtags."""
    addresses = _seen_addresses(reading)
    seen = TextBlock("address", " ".join(addresses))
    gateways = load_lexicon().text_gateway_domains
    for address in addresses:
        local, _, domain = address.rpartition("@")
        yield local, "messenger" if domain in MESSENGER_DOMAINS else "gateway" if domain in gateways else "", seen
    for block in reading.blocks:
        # A chat link written out opens the chat as its link would ("wa.me/5215512340987" in a
        # location): a messenger contact's number, country code first.
        for number in printed_chat_numbers(block.text):
            yield number, "messenger", block
        if "$" in block.text:
            for cashtag in islice(_CASHTAG.finditer(block.text), CASHTAGS_READ):
                yield cashtag.group(), "", block


def _in_identifiers(reading: Reading, regions: tuple[str, ...]) -> Iterator[PhoneMention]:
    """Numbers run into the addresses a reader sees and the cashtags of its text: a messenger
    contact's or a text gateway's whatever its kind, a service number anywhere."""
    runs = ((found.group(), owner, block) for identifier, owner, block in _identifiers(reading)
            for found in _IDENTIFIER_DIGITS.finditer(identifier))
    for digits, owner, block in islice(runs, IDENTIFIER_NUMBERS_TRIED):
        number = _parse("+" + digits if owner == "messenger" else digits, regions)
        if number is not None and (owner or _is_service_number(number)) and not _published(number):
            yield PhoneMention(as_written=digits, e164=_e164(number),
                               service=_is_service_number(number), obfuscated=False, cued=False, dialin=False,
                               stranger=in_stranger_text(reading, block), source=block.source)


# A number cut in two across the fields a reader sees together: its head stands in one field
# ("Helpdesk 1800 419" as the location, "+48 22 307" or "910 48" as the title), its tail in
# another ("then extension 7731" in the notes). The head is two or more digit groups; one opened
# by "+" may be the country and area codes alone ("+39 02"), and may touch the letters before it
# as a name written without spaces does ("热线+65 6817"). Only read when no field holds a whole
# number, and only as a number valid in a region the message suggests.
# A number after "#" or "№" is a receipt's, an order's or a ticket's ("Su recibo #2291-4478"): neither
# a head nor a tail.
_HEAD_GROUPS = r"(?:(?<![\w+.,(#\u2116])|(?<=[^\W\d_])(?=\+))\(?\+?[0-9][0-9 .\-\u2010-\u2015()]{1,14}[0-9]"
_SPLIT_HEAD = re.compile(rf"{_HEAD_GROUPS}(?![0-9]|[.,][0-9])")
# A tail may open its field or a word with the dash it was cut at ("-0129" as the location, "add
# -0198 at the end"), never follow one inside a word ("INV-0129"). An ellipsis says "continued"
# anywhere ("the line in this event's title: ...3868 0417"), but not as the last dots of a leader
# ("Total ....... 240"). Its first group may be a single digit when groups follow ("3 51 29 04", a
# Bolivian mobile's rest after "+591 7"); its groups may be parted by bullets ("6400 · 219") or
# by a dash with spaces ("503 - 8817", an en dash as often as not).
_SPLIT_TAIL = re.compile(r"(?:(?<=^[\-\u2010-\u2015])|(?<=\s[\-\u2010-\u2015])|(?<=(?<!\.)\.\.\.)"
                         r"|(?<![\w.,+\-\u2010-\u2015#\u2116]))"
                         r"(?:[0-9]{2,4}|[0-9](?=[ \-\u2010-\u2015][0-9]))"
                         rf"(?:(?:[ \-\u2010-\u2015]| ?[\-\u2010-\u2015{BULLETS}] ?)[0-9]{{2,4}}){{0,3}}"
                         r"(?![\w]|[.,:/][0-9])")
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_PLAIN_GROUPS = re.compile(r"[0-9]{2,5}(?:[ \-][0-9]{2,4})+")  # a head not opened by "+", "0" or "1"
SPLIT_WINDOW = 2000  # characters of each field searched for the parts
SPLIT_HEADS = 2  # heads tried per field
SPLIT_HEAD_DIGITS = 5  # in at least two groups: a lone "0148" is a house or a ticket, not half a number
# Four digits in two groups ("33 19", half of a Danish "33 19 54 28") are a head only when no
# longer head makes a number: "41 96" is more often the tail of "+48 22 307".
SPLIT_SHORT_HEAD_DIGITS = 4
SPLIT_DIALLED_HEAD_DIGITS = 4  # "+39 02": a country and an area code
SPLIT_TAILS = 4  # tails tried per field
# A lone pair of digits is a day, a count or an age ("jueves 22"), not the rest of a number: with
# a bill's "4471-0988" in the subject it made a Mexican number that was not there.
SPLIT_TAIL_DIGITS = 3
SPLIT_TAIL_MATCHES = 16  # groups of a field looked at for them
# A head of one group, a trunk prefix and code ("0848") or a country code ("+41"), counts only
# where it ends its field and its tail opens another ("service litiges 0848" as the title,
# "77 31 05 (lun-sam)" as the location): a lone group inside a text is a house or a ticket.
# Where a field ends, an invitation's title ends too: Google Calendar's subject goes on from the
# title with " @ " and the time, in every language ("línea 2207 @ jue 14 ago"), and Outlook shows
# that subject as the meeting's, without the invite's own title.
_FIELD_END = r"(?:\Z|\s@\s)"
_LONE_HEAD = re.compile(rf"(?<![\w+.,\-\u2010-\u2015/])(?:\+[1-9][0-9]{{1,3}}|0[0-9]{{2,4}})"
                        rf"(?=[\s:\-\u2010-\u2015]*{_FIELD_END})")
_OPENING_TAIL = re.compile(r"[0-9]{2,8}(?:[ \-\u2010-\u2015][0-9]{2,4}){0,3}(?![\w]|[.,:/][0-9])")
SPLIT_FIELDS = 8  # the first fields of the message, in reading order, the parts may stand in
# A head that ends its field, dots after it saying it goes on ("Customer care 077 341 ...."), and
# a tail said digit by digit in another field ("the last four digits: 5 8 2 9").
_ENDING_HEAD = re.compile(rf"{_HEAD_GROUPS}(?=[\s.\u2026:]*{_FIELD_END})")
_DIGIT_BY_DIGIT_TAIL = re.compile(r"(?<![\w.,+\-\u2010-\u2015])[0-9](?: [0-9]){2,5}(?![\w]|[.,:/]?[0-9])")
_SHORT_HEAD = re.compile(rf"(?<![\w+.,\-\u2010-\u2015/])[0-9]{{3,4}}(?=[\s:]*{_FIELD_END})")
# A service prefix dialled without a trunk 0 ending its field: a toll-free "1800" or "1-888" (North
# America, Australia), a local-rate "1300", a premium or hotline "1900" (Australia, Vietnam) says a
# service number begins there ("xác minh qua tổng đài 1900" as the title, "ref line: 1800" as the
# location), so its rest may be any group of another field ("The rest of the ref line is 961 447").
_SERVICE_HEAD = re.compile(rf"(?<![\w+.,\-\u2010-\u2015/])(?:1[\- ]?8[0-9]{{2}}|1[39]00)(?=[\s:]*{_FIELD_END})")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015")


def _split_head(written: str, plain_least: int) -> bool:
    groups = re.findall(r"[0-9]+", written)
    least = SPLIT_DIALLED_HEAD_DIGITS if written.startswith("+") else plain_least
    # An area code in brackets is a group like any other ("(888) 555-" as an invite's location).
    plain = re.sub(r"[()]", "", written)
    # A trunk prefix may open a head alone: 0 in most plans, 1 in North America's, 8 in Russia's,
    # Kazakhstan's and Belarus's ("8 727 24" as an invite's title end).
    if not written.startswith(("+", "0", "1", "8 ")) and (not _PLAIN_GROUPS.fullmatch(plain) or _YEAR.match(plain)):
        return False  # "240.00", "96.600", "2025 07": amounts and dates, not the head of a number
    return len(groups) > 1 and least <= sum(map(len, groups)) <= 9 and not _not_a_phone(written)


def _split_numbers(reading: Reading, regions: tuple[str, ...]) -> Iterator[PhoneMention]:
    """A number whose head stands in one field and whose tail in another, when no field holds a
    whole number: a disguise, read as the number it spells."""
    # A field shown twice (the invite's title is also the subject) is one field: its head and
    # tail are not two parts of a number.
    first: dict[str, TextBlock] = {}
    for block in reading.blocks:
        if block.source != "attachment":
            first.setdefault(block.text, block)
    written = list(first.values())[:SPLIT_FIELDS]
    blocks = [replace(block, text=_digits_between_digits(block.text)) for block in written]
    for heads, tails in _split_passes(blocks):
        mention = _joined_parts(reading, regions, written, heads, tails)
        if mention is not None:
            yield mention
            return
    for block in written:
        mention = (_answered_parts(reading, regions, block) or _said_parts(reading, regions, block)
                   or _labelled_parts(reading, regions, block) or _told_parts(reading, regions, block))
        if mention is not None:
            yield mention
            return


# A form asks for a number in two or three answers, or a table gives it in labelled cells: the area
# code alone on its line or after its label ("809", "(0157)", "+1 809", "Vorwahl: 040", a numbered
# question's "1. Bahagian pertama talian: 03"), then, each after at most one line of a question,
# label or answer without digits, the rest opening its own line or its label's answer ("555 0155
# ext. 4", "Rufnummer: 86 43 71"), whole or in two parts ("2297", then "8164"). Lines, not words:
# it reads the same in any language.
_ANSWER_HEAD = re.compile(r"\(?\+?[0-9]{2,4}\)?(?:[ \-\u2010-\u2015][0-9]{1,4})?")
_ANSWER_TAIL = re.compile(r"[0-9]{2,5}(?:[ \-\u2010-\u2015][0-9]{2,5}){0,3}(?![0-9]|[.,:/][0-9])")
_QUESTION_NUMBER = re.compile(r"\s*(?:[0-9]{1,2}[.)]|\(?[0-9]{1,2}\))\s")  # "2. ", "3) ", "(1) "
ANSWER_HEAD_DIGITS = (2, 6)
ANSWER_LABEL_CHARS = 60  # a question or a cell's label, not a paragraph
ANSWER_PARTS = 3  # the head and at most two more


def _is_label(text: str) -> bool:
    """A question or a cell's label: short, and no digit in it but its question's number."""
    numbered = _QUESTION_NUMBER.match(text)
    return len(text) <= ANSWER_LABEL_CHARS and not any(c.isdigit() for c in text[numbered.end() if numbered else 0:])


def _answer(line: str) -> tuple[str, bool]:
    """A line's answer: what follows its label ("Vorwahl: 040", "2. Bahagian kedua: 2297"), or the
    whole line; and whether a label stood before it on the line."""
    label, colon, value = line.rpartition(":")
    if colon and value.strip() and _is_label(label):
        return value.strip(), True
    return line.strip(), False


def _next_answer(lines: list[tuple[str, bool]], index: int) -> tuple[str, int, bool] | None:
    """The part of a number the answer after line `index` opens with, past at most one line of a
    label or an answer without digits; the line it stands on; and whether a label stood before it."""
    following, labelled = index + 1, False
    if following < len(lines) and _is_label(lines[following][0]) and following + 1 < len(lines):
        following, labelled = following + 1, True
    if following >= len(lines):
        return None
    part = _ANSWER_TAIL.match(lines[following][0])
    if part is None or _YEAR.fullmatch(part.group()):
        return None
    return part.group(), following, labelled or lines[following][1]


def _answered_parts(reading: Reading, regions: tuple[str, ...], block: TextBlock) -> PhoneMention | None:
    """A number whose area code is one answer or cell and whose rest the next one, or the next two
    when each stands under its own label, read when no field holds a whole number. A split a form
    or table made for it is its layout, not a disguise; a column of figures is no number ("212",
    "5550", "147" under "Units")."""
    lines = [answer for line in block.text[:SPLIT_WINDOW].splitlines() if (answer := _answer(line))[0]]
    for index, (head, _) in enumerate(lines[:-1]):
        head_digits = sum(c.isdigit() for c in head)
        if not (_ANSWER_HEAD.fullmatch(head) and ANSWER_HEAD_DIGITS[0] <= head_digits <= ANSWER_HEAD_DIGITS[1]) \
                or _YEAR.fullmatch(head):
            continue
        parts, at, all_labelled = [head], index, True
        while len(parts) < ANSWER_PARTS and (len(parts) < 2 or all_labelled) \
                and (found := _next_answer(lines, at)) is not None:
            part, at, labelled = found
            parts.append(part)
            all_labelled = all_labelled and labelled
            mention = _pieced(reading, regions, block, tuple(parts), " … ".join(parts), obfuscated=False)
            if mention is not None:
                return mention
    return None


# A sentence that gives a number's head and then, after a few words, its rest ("Skambinkite +370 6
# ir surinkite likusius skaitmenis: 41 20 839", "počinje sa 067, a ostatak je 44 18 90"), or a
# booking's location that ends with the head and the note under it that goes on ("marque +34 911",
# "Notas del invitado:", "Continúe con 23 45 67"), or a money request's "Note from Billing Help +56
# 9:" and the note, in quotation marks or not, opening with the rest ("61142273"): the head is
# dialled, a country code (after "+" or "00") with what follows it or a trunk prefix and code, so
# it is no amount, date or id; the words between hold no digit and no sentence's end; the rest may
# be one unbroken run. Words, not which words: it reads the same in any language.
_SAID_PARTS = re.compile(r"(?<![\w+.,\-\u2010-\u2015/])"
                         r"(?P<head>(?:\+|00)[1-9][0-9]{0,2}(?: [0-9]{1,4}){0,2}|0[0-9]{2,4})"
                         r"(?P<words>[^\d.!?;]{3,60}?)"
                         r"(?<=[\s:\"\u201c\u201e\u00ab'])(?P<tail>[0-9]{2,8}(?:[ \-\u2010-\u2015][0-9]{2,5}){0,3})"
                         r"(?![0-9]|[.,:/][0-9])")
SAID_HEAD_DIGITS = 3
SAID_PARTS_TRIED = 4


def _said_parts(reading: Reading, regions: tuple[str, ...], block: TextBlock) -> PhoneMention | None:
    """A number whose head a sentence gives and whose rest it gives a few words on, read when no
    field holds a whole number: a disguise, read as the number it dials."""
    for found in islice(_SAID_PARTS.finditer(block.text, 0, SPLIT_WINDOW), SAID_PARTS_TRIED):
        head, tail = found.group("head"), found.group("tail")
        if sum(c.isdigit() for c in head) < SAID_HEAD_DIGITS or _YEAR.fullmatch(tail):
            continue
        mention = _pieced(reading, regions, block, (head, tail), f"{head} … {tail}", obfuscated=True)
        if mention is not None:
            return mention
    return None


# A sentence that gives a number's head and tells the reader to go on with a value the message
# gives under a label ("i-dial ang 02 8 at isunod agad ang Case No. ninyo", then "Case No.: 771
# 9440"; "dial 0161 and then your customer number", then "Customer number: 496 0213"): the label's
# words stand in the sentence after the head, and its value is the rest. The head is dialled as in
# `_SAID_PARTS` or a trunk prefix and code in up to two groups; the label opens its line and holds
# no digit. Words, not which words: the label is whatever the message calls its value.
_LABELLED_HEAD = re.compile(r"(?<![\w+.,\-\u2010-\u2015/])(?:(?:\+|00)[1-9][0-9]{0,2}(?: [0-9]{1,4}){0,2}"
                            r"|0[0-9]{1,4}(?: [0-9]{1,4})?)(?![0-9]|[.,:/\-\u2010-\u2015][0-9])")
_LABELLED_VALUE = re.compile(r"^[ \t]*(?P<label>[^\d:\n]{3,40}?)[ \t]*:[ \t]*"
                             r"(?P<tail>[0-9]{2,8}(?:[ \-\u2010-\u2015][0-9]{2,5}){0,3})[ \t]*$", re.MULTILINE)
LABELLED_REACH = 160  # characters after the head in which the label is named
LABELLED_TRIED = 4


def _labelled_parts(reading: Reading, regions: tuple[str, ...], block: TextBlock) -> PhoneMention | None:
    """A number whose head a sentence gives and whose rest is a value it names by its label, read
    when no field holds a whole number: a disguise, read as the number it dials."""
    text = block.text[:SPLIT_WINDOW]
    values = list(islice(_LABELLED_VALUE.finditer(text), LABELLED_TRIED))
    if not values:
        return None
    tried = 0
    for head in _LABELLED_HEAD.finditer(text):
        if sum(c.isdigit() for c in head.group()) < SAID_HEAD_DIGITS:
            continue
        for value in values:
            named_in = text[head.end():min(value.start(), head.end() + LABELLED_REACH)].casefold()
            label = " ".join(value.group("label").split()).casefold()
            if value.start() < head.end() or any(c.isdigit() for c in named_in) or label not in " ".join(
                    named_in.split()):
                continue
            mention = _pieced(reading, regions, block, (head.group(), value.group("tail")),
                              f"{head.group()} … {value.group('tail')}", obfuscated=True)
            if mention is not None:
                return mention
            tried += 1
            if tried == LABELLED_TRIED:
                return None
    return None


# A number told in three parts, each after words of its own, in one passage, the parts in digits
# or in number words ("Dial area code two-zero-two. The exchange is five-five-five. The line ends
# in zero, one, four, three"; "area code 22, and then the officer's line, which is block 398
# followed by 4710"): each part two to four digits, the words between a clause or two holding no
# digit. Read only when a callback cue comes before the first part (one is told to call, then
# told the number): three small numbers in a row are otherwise a table's, an address's or a
# statement's, and none is a year or an id ("#2104"). Words, not which words, but for the cue.
_TOLD_PART = re.compile(r"(?<![\w+.,:/#\-\u2010-\u2015])[0-9]{2,4}(?![\w]|[.,:/\-\u2010-\u2015][0-9])")
TOLD_PARTS = 3
TOLD_PART_DIGITS = (2, 4)
TOLD_BETWEEN = (3, 60)  # characters between two parts
TOLD_TRIED = 4  # cued passages tried per field


def _told_part_spans(text: str) -> list[tuple[int, int, str]]:
    """The field's short digit groups and short runs of number words, in order, none overlapping."""
    parts = [(found.start(), found.end(), found.group()) for found in _TOLD_PART.finditer(text)]
    parts += [(start, end, digits) for start, end, digits in (readings[0] for readings in
                                                               spelled_readings(text, TOLD_PART_DIGITS[0]))
              if TOLD_PART_DIGITS[0] <= len(digits) <= TOLD_PART_DIGITS[1] and digits.isdigit()]
    kept: list[tuple[int, int, str]] = []
    for part in sorted(parts):
        if not kept or part[0] >= kept[-1][1]:
            kept.append(part)
    return kept


def _told_apart(text: str, parts: tuple[tuple[int, int, str], ...]) -> bool:
    if any(_YEAR.fullmatch(digits) for _, _, digits in parts):
        return False
    return all(TOLD_BETWEEN[0] <= after[0] - before[1] <= TOLD_BETWEEN[1]
               and not any(c.isdigit() for c in text[before[1]:after[0]]) for before, after in pairwise(parts))


def _cued_before(cues: list[int], start: int) -> bool:
    index = bisect_left(cues, start - CUE_BEFORE)
    return index < len(cues) and cues[index] < start


def _told_parts(reading: Reading, regions: tuple[str, ...], block: TextBlock) -> PhoneMention | None:
    """A number told in three parts a clause or two apart after a callback cue, read when no field
    holds a whole number: a disguise, read as the number the parts dial."""
    text = block.text[:SPLIT_WINDOW]
    parts = _told_part_spans(text)
    if len(parts) < TOLD_PARTS:
        return None
    cues = _cue_starts(reading, reading.blocks.index(block))
    tried = 0
    for at in range(len(parts) - TOLD_PARTS + 1):
        told = tuple(parts[at:at + TOLD_PARTS])
        if not _cued_before(cues, told[0][0]) or not _told_apart(text, told):
            continue
        mention = _pieced(reading, regions, block, tuple(digits for _, _, digits in told),
                          " … ".join(text[start:end] for start, end, _ in told), obfuscated=True)
        if mention is not None:
            return mention
        tried += 1
        if tried == TOLD_TRIED:
            break
    return None


def _pieced(reading: Reading, regions: tuple[str, ...], block: TextBlock, parts: tuple[str, ...], shown: str,
            obfuscated: bool) -> PhoneMention | None:
    """The number a head and a tail (or a number's told parts) dial, read as one run of digits:
    two fields' or answers' groups are not a number's grouping, so a region's trunk prefix is asked
    for ("116 116" and a card's "8830")."""
    joined = " ".join(parts)
    if not 8 <= sum(c.isdigit() for c in joined) <= 13 or _not_a_phone(joined):
        return None
    # A head dialled with "00" keeps its country code apart from the rest only while the parts are.
    dialled = _with_plus(joined) if joined.startswith("00") else joined
    if dialled is None:
        return None
    number = _parse("".join(c for c in dialled if not c.isspace() and c not in BULLETS), regions)
    if number is None or _published(number):
        return None
    return PhoneMention(
        as_written=shown, e164=_e164(number),
        service=_is_service_number(number), obfuscated=obfuscated, cued=False, dialin=False,
        stranger=in_stranger_text(reading, block), source=block.source)


# A letter written for a digit between two digits ("4\u041e9-58-12", a Cyrillic capital o): a part of a split
# number is disguised as a whole one is, and reads as the digit it stands for, in the same width.
_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9])[{_LOOKALIKES}](?=[0-9])")


def _digits_between_digits(text: str) -> str:
    return _BETWEEN_DIGITS.sub(lambda found: found.group().translate(_TO_DIGIT), text)


Parts = list[list[re.Match[str]]]  # per field, the heads or the tails it offers


def _split_passes(blocks: list[TextBlock]) -> Iterator[tuple[Parts, Parts]]:
    """The heads and tails to piece, surest first; each pass is worked out only when the ones
    before it made no number."""
    tails = [_split_tails(b.text) for b in blocks]
    for plain_least in (SPLIT_HEAD_DIGITS, SPLIT_SHORT_HEAD_DIGITS):
        yield [[h for h in islice(_SPLIT_HEAD.finditer(b.text, 0, SPLIT_WINDOW), SPLIT_HEADS * 2)
                if _split_head(h.group(), plain_least)][:SPLIT_HEADS] for b in blocks], tails
    yield [_ending(_LONE_HEAD, b.text) for b in blocks], [
        [t] if (t := _OPENING_TAIL.match(b.text, len(b.text) - len(b.text.lstrip())))
        and not _YEAR.fullmatch(t.group()) else [] for b in blocks]
    yield [_ending(_SERVICE_HEAD, b.text) for b in blocks], tails
    # A lone group of three or four digits ending its field ("línea 2207" as the title) is a head
    # only for a tail that opens with the dash it was cut at ("-4815" as the location).
    yield [_ending(_SHORT_HEAD, b.text) for b in blocks], [
        [t for t in found if t.start() > 0 and b.text[t.start() - 1] in _DASHES]
        for b, found in zip(blocks, tails, strict=True)]
    yield ([[h for h in _ending(_ENDING_HEAD, b.text) if _split_head(h.group(), SPLIT_HEAD_DIGITS)] for b in blocks],
           [list(islice(_DIGIT_BY_DIGIT_TAIL.finditer(b.text, 0, SPLIT_WINDOW), SPLIT_TAILS)) for b in blocks])


def _ending(head: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The head that ends the field, if there is one, found in its last SPLIT_WINDOW characters."""
    found = head.search(text, max(0, len(text) - SPLIT_WINDOW))
    return [found] if found else []


def _split_tails(text: str) -> list[re.Match[str]]:
    """The tails a field offers, at most SPLIT_TAILS: those opened with the dash the number was cut
    at first ("Line ref -0198" far down an invoice), as that says "continued" wherever it stands,
    then the others in reading order."""
    found = [t for t in islice(_SPLIT_TAIL.finditer(text, 0, SPLIT_WINDOW), SPLIT_TAIL_MATCHES)
             if not _YEAR.fullmatch(t.group()) and sum(c.isdigit() for c in t.group()) >= SPLIT_TAIL_DIGITS]
    dashed = [t for t in found if t.start() > 0 and text[t.start() - 1] in _DASHES]
    return (dashed + [t for t in found if t not in dashed])[:SPLIT_TAILS]


def _joined_parts(reading: Reading, regions: tuple[str, ...], blocks: list[TextBlock],
                  heads: Parts, tails: Parts) -> PhoneMention | None:
    """The first head and tail of different fields that together dial a number. The plain and HTML
    bodies are one field in two forms: a head and a tail within it are no more pieced across the
    two than within either, as Outlook, which reads one, would not. The parts were found in the
    fields with their look-alike digits read (same width), and are shown as the blocks write them."""
    for index, block in enumerate(blocks):
        for head in heads[index]:
            for other, later in enumerate(tails):
                for tail in later if other != index and not block.source == blocks[other].source == "body" else ():
                    if blocks[other].text.endswith(head.group(), 0, tail.end()):
                        continue  # the head again, as the body repeats the name it ends ("热线+65 6817")
                    shown = f"{block.text[head.start():head.end()]} … {blocks[other].text[tail.start():tail.end()]}"
                    mention = _pieced(reading, regions, block, (head.group(), tail.group()), shown, obfuscated=True)
                    if mention is not None:
                        return mention
    return None


def _vanity(text: str) -> Iterator[tuple[int, int, str]]:
    """North American toll-free numbers written with letters for their last seven digits, the way
    the letters stand on a phone's keys ("1-800-FLOWERS", "(888) BEST-BUY"): (start, end, +1
    digits). Brands advertise them and so do scammers; read as what they dial, not as disguise."""
    for found in _VANITY.finditer(text):
        keys = "".join(c for c in found.group("rest") if c.isalnum())
        dialled, ignored = keys[:VANITY_CHARS], keys[VANITY_CHARS:]
        if (VANITY_CHARS <= len(keys) <= VANITY_WORD_MAX and (not ignored or ignored.isalpha())
                and sum(c.isalpha() for c in dialled) >= VANITY_LETTERS_MIN):
            digits = phonenumbers.convert_alpha_characters_in_number(dialled)
            yield found.start(), found.end(), f"+1{found.group('code')}{digits}"


def _national_vanity(text: str) -> Iterator[tuple[tuple[int, int, str], ...]]:
    """Toll-free and local-rate numbers outside North America written with keypad letters: the
    readings of each, seven keys after the code first, then six (national digits)."""
    for found in _NATIONAL_VANITY.finditer(text):
        keys = "".join(c for c in found.group("rest") if c.isalnum())
        readings = tuple(
            (found.start(), found.end(),
             found.group("code") + phonenumbers.convert_alpha_characters_in_number(keys[:length]))
            for length in NATIONAL_VANITY_KEYS
            if length <= len(keys) <= VANITY_WORD_MAX and (keys[length:].isalpha() or not keys[length:])
            and sum(c.isalpha() for c in keys[:length]) >= VANITY_LETTERS_MIN)
        if readings:
            yield readings


def _first_number(readings: tuple[tuple[int, int, str], ...], regions: tuple[str, ...], spoken: bool
                  ) -> tuple[int, int, phonenumbers.PhoneNumber] | None:
    """The first reading that dials a number, with where it stands."""
    for start, end, digits in readings:
        number = _parse(digits, regions, spoken)
        if number is not None:
            return start, end, number
    return None


@lru_cache(maxsize=16)  # a message's blocks, read again by its other inputs (see _parse)
def _written_out(text: str) -> tuple[tuple[tuple[tuple[int, int, str], ...], bool], ...]:
    """Numbers written otherwise than in digits: their readings, likeliest first, each (start,
    end, digits), and whether writing them so disguises them."""
    return (*((readings, True) for readings in spelled_readings(text)),
            *(((found,), False) for found in _vanity(text)),
            *((readings, False) for readings in _national_vanity(text)))


_SPACED_PIPE = re.compile(r"(?<=\s)\||\|(?=\s)")


def _readings(span: str) -> tuple[str, ...]:
    """The ways a candidate may be written. A "|" set off by a space separates, as between table
    cells ("1 | (8 | 44) | 55"); one between digits stands for a 1 ("8OO-|55-O1|9") or separates
    ("0|9|7|3|1|8|2|0|5|4"): both are read, the 1 first, and the reading that makes no number drops
    out. A column of one character a line is the line it was written downwards from, a character
    at a time: set apart, its digits read as a number given digit by digit, which may come without
    its region's grouping (run together they would be a bare id)."""
    if _written_downwards(span):
        return (span.replace("\n", " "),)
    spaced = _SPACED_PIPE.sub(" ", span)
    return (spaced, spaced.replace("|", " ")) if "|" in spaced else (spaced,)


def _written_downwards(span: str) -> bool:
    """One character a line, seven digits or more, and not a count up or down ("1 2 3 4 5 6 7 8",
    a pager's page numbers or a scale, stacked as a narrow table shows them)."""
    lines = [line for line in span.split("\n") if line]
    digits = [int(line) for line in lines if line.isascii() and line.isdigit()]
    return (len(lines) > max(STACKED_LINES) and all(len(line) == 1 for line in lines) and len(digits) >= MIN_DIGITS
            and {b - a for a, b in pairwise(digits)} not in ({1}, {-1}))


def _read_span(span: str, regions: tuple[str, ...], source: str) -> phonenumbers.PhoneNumber | None:
    """The number a candidate's span dials, if it is one."""
    digits = sum(c.isdigit() for c in span)
    lookalikes = sum(c in _LOOKALIKE_CHARS for c in span)
    # Mostly digits: a letter for a digit is a disguise, more letters than digits a word, unless
    # every group holds a digit ("O8OO l5O 6l2"): words are not written so. North America's "1"
    # may open such a number as a letter of its own ("l-8OO-555-Ol5O").
    groups = _TOKEN.findall(span)
    if len(groups) > 1 and groups[0] in _TRUNK_ONES:
        groups = groups[1:]
    disguised = digits >= DISGUISED_DIGITS_MIN and all(any(c.isdigit() for c in group) for group in groups)
    if not 7 <= digits + lookalikes <= MAX_DIGITS + 2 or _not_a_phone(span) \
            or ((digits < 5 or lookalikes > digits) and not disguised):
        return None
    number = _parse(span.translate(_TO_DIGIT), regions, spoken=_digit_by_digit(span))
    plus_left_out = number is None and ("_" in span or source == "file_name") \
        and (number := _plus_left_out(span.translate(_TO_DIGIT))) is not None
    if number is None or (source == "file_name" and not plus_left_out and not _unmistakable(span, number)) \
            or (_stacked(span) and not _in_national_groups(span, number)):
        return None
    return number


def _runs_into(amounts: list[payment.Amount], text: str, end: int) -> bool:
    """Whether a run of digits ending at `end` is the whole part of an amount of money, its
    decimals after the comma or point there."""
    return text[end:end + 1] in (",", ".") and any(amount.start < end < amount.end for amount in amounts)


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether the position falls in one of the spans (in order, not overlapping)."""
    index = bisect_right(spans, position, key=lambda span: span[0]) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def mentions(reading: Reading) -> tuple[PhoneMention, ...]:
    return reading.memo(_mentions)


# ---------------------------------------------------------------- signals

_PROMINENT = frozenset({"summary", "location", "organizer_name", "subject", "from_name", "address"})


def callback_numbers(reading: Reading) -> Iterable[Evidence]:
    """callback.phone and what is known of it: cued, prominent, toll-free, obfuscated, in a stranger's text."""
    numbers = [m for m in mentions(reading) if not m.dialin]
    if not numbers:
        return
    # The number the reasons name: an obfuscated one, else a cued one, else the first.
    best = next((m for m in numbers if m.obfuscated), None) or next((m for m in numbers if m.cued), numbers[0])
    facts = {"phone": best.as_written, "e164": best.e164, "where": best.source,
             "numbers": tuple(dict.fromkeys(m.e164 for m in numbers))}
    yield Evidence("callback.phone", facts)
    cued = next((m for m in numbers if m.cued), None)
    if cued:
        yield Evidence("callback.phone_cued", {"phone": cued.as_written, "e164": cued.e164, "where": cued.source})
    prominent = next((m for m in numbers if m.source in _PROMINENT), None)
    if prominent:
        yield Evidence("callback.phone_prominent", {"phone": prominent.as_written, "e164": prominent.e164,
                                                    "where": prominent.source})
    obfuscated = next((m for m in numbers if m.obfuscated), None)
    if obfuscated:
        yield Evidence("callback.obfuscated_phone", {"phone": obfuscated.as_written, "e164": obfuscated.e164,
                                                     "where": obfuscated.source, "obfuscated": True})
    toll_free = next((m for m in numbers if m.service), None)
    if toll_free:
        yield Evidence("callback.toll_free", {"phone": toll_free.as_written, "e164": toll_free.e164})
    # The attack's mechanism in any language: the platform let a stranger write where the number
    # stands, so the platform's good name does not vouch for it.
    stranger = next((m for m in numbers if m.stranger), None)
    if stranger:
        yield Evidence("callback.stranger_phone", {"phone": stranger.as_written, "e164": stranger.e164,
                                                   "where": stranger.source})


def all_numbers(reading: Reading) -> tuple[str, ...]:
    """Every non-dial-in number in the message, E.164; reports count these."""
    return tuple(dict.fromkeys(m.e164 for m in mentions(reading) if not m.dialin))

