"""Phone numbers written in words, in any language the lexicon knows.

Read digit by digit ("one eight eight eight, five five five"), in groups the way people say them
("eight hundred, sixty-six, thirty-two"; "quatre-vingt-dix-neuf"; "cincuenta y seis"; Swiss
"neunzehn, achtzig"), glued the way some languages write them ("vierundfünfzig", "tjugotvå",
"ottocento"), or as numerals of scripts written without spaces ("〇一二〇", "ゼロイチニーゼロ").
Each group says its value's digits: "eight hundred" 800, "sixty-six" 66, "zero" 0. The words are
data (`digit_words`, `group_words`, `group_joiners`, `plus_words`, `then_words` and
`repeat_words`, "double seven", in rules/lexicon/*.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from ..rules import load_lexicon
from .text import BULLETS, ODD_SEPARATORS, trie_pattern, unspaced_script

WORDS_MIN = 3  # number words in a spelled-out number: fewer is an ordinary number near a word
DIGITS_MIN = 7
DIGITS_MAX = 15  # E.164's longest number
GLUED_MAX = 4  # number words written as one ("dreihundertfünfundzwanzig" is four)
GLUED_PART_MIN = 3
# The Arabic comma (Arabic, Persian, Urdu) and the ideographic one: pauses like ",".
COMMAS = "\u060c\u3001"
GROUP_DIGITS_MAX = 6  # digits written as numerals among the words: a group as dialled ("98765", UK "900123")
HUNDRED = 100
THOUSAND = 1000
TEENS = (11, 19)  # what may count hundreds as years are said ("eighteen hundred")


@dataclass(frozen=True)
class NumberWords:
    digits: dict[str, int]  # "eight" -> 8
    groups: dict[str, int]  # "sixty" -> 60, "hundred" -> 100, "ochocientos" -> 800
    joiners: frozenset[str]  # "and", "und", "y"
    plus: frozenset[str]  # "plus", "más"
    then: frozenset[str]  # "then", "puis": a pause between the parts of a number said in parts
    hundreds: dict[str, frozenset[str]]  # a word for "hundred" that is also a digit -> languages it is "hundred" in
    digit_languages: dict[str, frozenset[str]]  # a digit word -> the languages it is a digit in
    word_languages: dict[str, frozenset[str]]  # any number word -> the languages that have it
    group_languages: dict[str, frozenset[str]]  # a group word ("sixty") -> the languages it is one in
    runs: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...]  # a run's pattern, its words' pattern
    repeats: dict[str, int]  # "double" -> 2, "triple" -> 3: the next digit said so many times


@cache
def number_words() -> NumberWords:
    """Every language's number words, and the patterns of runs of them. Words of scripts written
    without spaces are numerals that follow each other with no separator and may touch the text
    around them; the others are words, and may be glued into one ("vierundfünfzig")."""
    languages = load_lexicon().languages
    digits = {w.lower(): d for language in languages for w, d in language.digit_words.items()}
    groups = {w.lower(): v for language in languages for w, v in language.group_words.items()}
    joiners = frozenset(w for language in languages for w in language.group_joiners)
    plus = frozenset(w for language in languages for w in language.plus_words)
    then = frozenset(w for language in languages for w in language.then_words)
    repeats = {w.lower(): n for language in languages for w, n in language.repeat_words.items()}
    # Czech counts "pět set" (500) with a word that is Catalan's seven ("set"): such a word is a
    # hundred only after a digit of a language that counts hundreds with it.
    hundreds: dict[str, set[str]] = {}
    digit_languages: dict[str, set[str]] = {}
    word_languages: dict[str, set[str]] = {}
    group_languages: dict[str, set[str]] = {}
    for language in languages:
        for w in language.group_words:
            group_languages.setdefault(w.lower(), set()).add(language.code)
        for w in (*language.digit_words, *language.group_words, *language.group_joiners, *language.plus_words,
                  *language.then_words, *language.repeat_words):
            word_languages.setdefault(w.lower(), set()).add(language.code)
        for w in language.digit_words:
            digit_languages.setdefault(w.lower(), set()).add(language.code)
        for w, v in language.group_words.items():
            if v == HUNDRED and w.lower() in digits:
                hundreds.setdefault(w.lower(), set()).add(language.code)
    unspaced = {w for w in digits if any(unspaced_script(c) for c in w)}
    spaced = (set(digits) - unspaced) | set(groups) | joiners | plus | then | set(repeats)
    word = trie_pattern(spaced)
    # Glued words hold one of GLUED_PART_MIN letters or more ("enogtyve", "vierundfünfzig"): two-letter
    # words alone glue into ordinary words ("Entidade" is Swedish "en", Danish "ti", "da", Haitian "de").
    long = trie_pattern({w for w in spaced if len(w) >= GLUED_PART_MIN})
    glued = rf"(?=(?:{word}){{0,{GLUED_MAX - 1}}}(?:{long}))(?:{word}){{2,{GLUED_MAX}}}"
    token = rf"(?:{glued}|{word}|\d{{1,{GROUP_DIGITS_MAX}}})"
    # Brackets too: an area code said inside them ("8 (seven seven one) 355 12 40"); and semicolons,
    # a longer pause between the groups said ("uno, ocho, ocho, ocho; cinco, cinco, cinco").
    pause = rf"[\s\-\u2010-\u2015.,;/(){COMMAS}{BULLETS}{ODD_SEPARATORS}]"
    between = rf"{pause}{{1,3}}"
    # What any run's first two tokens are (words in a row, or a digit group), each with the pause
    # after it: a cheap lookahead that fails at almost every word of ordinary text before the
    # glued-word alternatives backtrack there. It only asks what a run needs, so runs are the same.
    opening = rf"(?:(?:{word}){{1,{GLUED_MAX}}}|\d{{1,{GROUP_DIGITS_MAX}}})"
    runs = [(re.compile(rf"(?<!\w)(?={opening}{between}{opening}{pause}){token}(?:{between}{token}){{2,24}}(?!\w)",
                        re.IGNORECASE),
             re.compile(rf"{word}|\d+", re.IGNORECASE))]
    if unspaced:
        written = trie_pattern(unspaced)
        numeral = rf"(?:{written}|\d)"
        # A digit may stand among the numerals, but what follows a bracket or a comma is a
        # numeral: "(7x24" after a number is not its last digit. A dash, a dot or a space may part
        # a group of digits from the numerals ("ศูนย์สอง - 108 - สี่สี่7ศูนย์": 02-108-4470 said in
        # part). Bullets part groups as they do in words of spaced scripts ("壹捌肆肆·伍伍伍·零壹捌叁").
        follows = (rf"(?:[\s\-\u2010-\u2015\u30fb\u30fc.,/(){BULLETS}]{{0,3}}{written}"
                   rf"|[\s\-\u2010-\u2015.]{{1,3}}\d{{2,{GROUP_DIGITS_MAX}}}(?!\d)|\d)")
        # "Plus" said before the country code ("加六五 九一二三 四五六七": +65).
        plus_said = trie_pattern({w for w in plus if any(unspaced_script(c) for c in w)})
        opening = rf"(?:{plus_said}\s?)?" if plus_said else ""
        runs.append((re.compile(rf"{opening}{numeral}{follows}{{6,24}}"),
                     re.compile(rf"{plus_said}|{numeral}" if plus_said else numeral)))
    return NumberWords(digits, groups, joiners, plus, then, {w: frozenset(codes) for w, codes in hundreds.items()},
                       {w: frozenset(codes) for w, codes in digit_languages.items()},
                       {w: frozenset(codes) for w, codes in word_languages.items()},
                       {w: frozenset(codes) for w, codes in group_languages.items()}, tuple(runs), repeats)


@lru_cache(maxsize=4096)
def _meaning(written: str) -> tuple[int | None, int | None]:
    """A word's digit and group value. re's IGNORECASE folds more than str.lower does (a Turkish
    dotless i, U+0131, matches "i", so "n\u0131" is read as Danish "ni"), so a word in no table is
    the tables' word that matches it the way the pattern did."""
    words = number_words()
    if written in words.digits or written in words.groups or written in words.joiners or written in words.plus \
            or written in words.then or written in words.repeats or written.isdigit():
        return words.digits.get(written), words.groups.get(written)
    for table in (words.digits, words.groups):
        for word in table:
            if re.fullmatch(re.escape(word), written, re.IGNORECASE):
                return words.digits.get(word), words.groups.get(word)
    return None, None


def _digit(written: str) -> int | None:
    return _meaning(written)[0]


def _value(written: str) -> int | None:
    return _meaning(written)[1]


SHORTER_READINGS = 2  # words a run may lose at its end


def spelled_readings(text: str, digits_min: int = DIGITS_MIN) -> Iterator[tuple[tuple[int, int, str], ...]]:
    """Numbers written in words, each as its readings: (start, end, digits, with a leading "+"
    when one is said) for the whole run, then for the run without its last word or two, for a
    caller that finds the whole is no number: a word after the number may be a number word too
    ("cero uno ocho tres — un agente": "un" is an article). At least three of the words are
    number words, so an ordinary number beside a word is left to the digit scan; `digits_min`
    lower for a caller that reads a number's parts ("two-zero-two")."""
    words = number_words()
    for run, token in words.runs:
        for found in run.finditer(text):
            spoken, ends, end = [], [], 0
            for part in token.finditer(found.group()):
                spoken.append(Spoken(part.group().lower(), _PAUSE.search(found.group(), end, part.start()) is not None,
                                     part.start() == end and end > 0))
                end = part.end()
                ends.append(end)
            if any(word.glued and not _one_language(spoken[at - 1].text, word.text, words)
                   for at, word in enumerate(spoken) if at):
                continue  # words of two languages written as one are an ordinary word ("Sabado": saba, do)
            # A "+" typed before the run dials it as "plus" said does ("+992, сию ҳафт, 227-40-18").
            dialled = found.start() > 0 and text[found.start() - 1] == "+"
            readings = []
            for dropped in range(min(SHORTER_READINGS, len(spoken) - 1) + 1):
                digits, said = read_aloud(spoken[:len(spoken) - dropped], words)
                if dialled and not digits.startswith("+"):
                    digits, said = "+" + digits, said + 1
                if said >= WORDS_MIN and digits_min <= len(digits.removeprefix("+")) <= DIGITS_MAX:
                    readings.append((found.start() - dialled, found.start() + ends[len(spoken) - dropped - 1], digits))
            if readings:
                yield tuple(readings)


def _one_language(first: str, second: str, words: NumberWords) -> bool:
    """Whether two number words written as one belong to one language (a digit group glued to a
    word, "4B", is a disguise, not a word: no language to share)."""
    if first.isdigit() or second.isdigit():
        return True
    return not words.word_languages.get(first, frozenset()).isdisjoint(words.word_languages.get(second, frozenset()))


# Between two words: they are two groups ("eight hundred, five five five", "seis cero uno · tres").
# A dash is a pause when a space stands beside it ("cero ochocientos - siete, uno"); one inside a
# word joins it ("sixty-six").
_PAUSE = re.compile(rf"[.,/{COMMAS}{BULLETS}{ODD_SEPARATORS}]|\s[\-\u2010-\u2015]|[\-\u2010-\u2015]\s")


@dataclass(frozen=True)
class Spoken:
    """A word or digit group of a run, and what stands before it."""

    text: str
    pause: bool  # a comma, full stop or slash before it
    glued: bool  # written onto the word before it ("vierund|fünfzig", "otto|cento")


def read_aloud(spoken: Sequence[Spoken], words: NumberWords) -> tuple[str, int]:
    """The digits a run of words and digit groups says, and how many number words say them."""
    out, said, at = [], 0, 0
    if spoken and spoken[0].text in words.plus:
        out.append("+")
        said, at = 1, 1
    while at < len(spoken):
        group = _group(spoken, at, words)
        if group is None and _value(spoken[at].text) == THOUSAND:
            return "", 0  # a thousand that multiplies a group ("ciento veinte mil"): the run says an amount
        if group is None:  # "then", a joiner or "plus" that joins nothing here, a "hundred" of nothing: a pause
            if spoken[at].text in words.then and out and at + 1 < len(spoken) \
                    and _group(spoken, at + 1, words) is not None:
                # A number said in parts is said though its parts are digits ("072 555, then 01 88").
                said += WORDS_MIN
            at += 1
            continue
        value, used, counted = group
        out.append(value)
        said += counted
        at += used
    return "".join(out), said


def _joined(spoken: Sequence[Spoken], at: int, words: NumberWords) -> int | None:
    """Where the word that continues the group before spoken[at] stands: at, or after a joiner
    ("cincuenta y seis"); None after a pause."""
    if at < len(spoken) and spoken[at].text in words.joiners and not spoken[at].pause:
        at += 1
    if at >= len(spoken) or spoken[at].pause:
        return None
    return at


def _group(spoken: Sequence[Spoken], at: int, words: NumberWords) -> tuple[str, int, int] | None:
    """The group said from spoken[at]: its digits, the words it took and how many were number
    words. Hundreds first ("eight hundred", "ochocientos"), then what is below a hundred."""
    text = spoken[at].text
    if text.isdigit():
        return text, 1, 0
    times = words.repeats.get(text)
    if times is not None:
        # "Double seven", "triple 0": the digit after it, without a pause, said so many times.
        if at + 1 < len(spoken) and not spoken[at + 1].pause:
            following = spoken[at + 1].text
            digit = int(following) if following.isdigit() and len(following) == 1 else _digit(following)
            if digit is not None:
                return str(digit) * times, 2, 2
        return None
    thousands = _thousands(spoken, at, words)
    if thousands is not None:
        return thousands
    digit, group = _digit(text), _value(text)
    if digit and at + 1 < len(spoken) and not spoken[at + 1].pause \
            and _value(spoken[at + 1].text) == HUNDRED and _counts_hundreds(text, spoken[at + 1].text, words):
        hundreds, taken = digit * HUNDRED, 2
    elif group is not None and HUNDRED <= group < THOUSAND and text not in words.hundreds:
        hundreds, taken = group, 1
    elif group is not None and TEENS[0] <= group <= TEENS[1] and at + 1 < len(spoken) and not spoken[at + 1].pause \
            and _value(spoken[at + 1].text) == HUNDRED and spoken[at + 1].text not in words.hundreds:
        # Hundreds counted as years are ("thirteen hundred": 1300, an Australian 1300 number).
        hundreds, taken = group * HUNDRED, 2
    else:
        below = _below_hundred(spoken, at, words)
        return None if below is None else (str(below[0]), below[1], min(below[1], 2))
    rest_at = _joined(spoken, at + taken, words)
    rest = _below_hundred(spoken, rest_at, words) if rest_at is not None else None
    if rest is not None and rest[0] < 10 and rest_at == at + taken and not spoken[rest_at].glued:
        # A unit after a space ends the hundred ("trzysta siedem", 307) unless a digit read on
        # its own follows it, as a number is read out ("eight hundred five five five").
        after = rest_at + rest[1]
        if after < len(spoken) and not spoken[after].pause and _digit(spoken[after].text) is not None:
            rest = None
    if rest is None:
        # "Hundred" alone multiplies nothing: it says a number only with a digit before it or
        # the rest of its hundred after it ("yüz elli bir", 151).
        return (str(hundreds), taken, taken) if taken == 2 or group != HUNDRED else None
    return str(hundreds + rest[0]), rest_at - at + rest[1], taken + min(rest[1], 2)


def _thousands(spoken: Sequence[Spoken], at: int, words: NumberWords) -> tuple[str, int, int] | None:
    """Thousands said from spoken[at], as a prefix is ("cero uno ocho mil", Colombia's 01 8000):
    a digit and "thousand", and the rest of the thousand after it unless that is a lone digit
    another digit follows ("ocho mil cinco cinco"). None when spoken[at] says no thousands;
    "thousand" after a larger group multiplies it, as amounts are said ("ciento veinte mil")."""
    digit = _digit(spoken[at].text)
    if not (digit and at + 1 < len(spoken) and not spoken[at + 1].pause
            and _value(spoken[at + 1].text) == THOUSAND):
        return None
    value, taken = digit * THOUSAND, 2
    rest_at = _joined(spoken, at + taken, words)
    rest = None if rest_at is None else _group(spoken, rest_at, words)
    # Another thousand after it ("ocho mil dos mil") is a group of its own, as is a "0" said.
    if rest is None or not rest[0].isdigit() or rest[0].startswith("0") or int(rest[0]) >= THOUSAND:
        return str(value), taken, taken
    after = rest_at + rest[1]
    if int(rest[0]) < 10 and after < len(spoken) and not spoken[after].pause and _digit(spoken[after].text) is not None:
        return str(value), taken, taken
    return str(value + int(rest[0])), rest_at - at + rest[1], taken + rest[2]


def _counts_hundreds(digit: str, hundred: str, words: NumberWords) -> bool:
    """Whether a digit word and a "hundred" word after it say hundreds: always, unless that word
    is also a digit ("sis set" is Catalan six, seven; "pět set" Czech five hundred)."""
    if hundred not in words.hundreds:
        return True
    return bool(words.hundreds[hundred] & words.digit_languages.get(digit, frozenset()))


def _unit_of_its_language(spoken: Sequence[Spoken], at: int, words: NumberWords) -> bool:
    """Whether the word after spoken[at] is a unit in a language spoken[at] is a tens word in."""
    unit_at = _joined(spoken, at + 1, words)
    return unit_at is not None and _digit(spoken[unit_at].text) is not None \
        and not words.group_languages.get(spoken[at].text, frozenset()).isdisjoint(
            words.digit_languages.get(spoken[unit_at].text, frozenset()))


def _below_hundred(spoken: Sequence[Spoken], at: int, words: NumberWords) -> tuple[int, int] | None:
    """A value under a hundred from spoken[at] and the words it took: a tens word and its unit
    ("sixty-six", "cincuenta y seis", "tjugotvå"; 60 and 80 take a teen, as French counts:
    "soixante et onze"), a unit, "und" and a tens word ("vierundfünfzig"), or one word."""
    text = spoken[at].text
    digit, group = _digit(text), _value(text)
    if group is not None and digit is not None and not _unit_of_its_language(spoken, at, words):
        group = None  # a digit in one language, a tens word in another ("tres": 3, Danish 60): the digit
    if group is not None and group < HUNDRED:
        unit_at = _joined(spoken, at + 1, words) if group % 10 == 0 else None
        if unit_at is not None:
            unit, teen = _digit(spoken[unit_at].text), _value(spoken[unit_at].text)
            if unit:
                return group + unit, unit_at - at + 1
            if group in (60, 80) and teen is not None and 10 <= teen <= 19:
                return group + teen, unit_at - at + 1
        return group, 1
    if digit is not None:
        if digit and at + 2 < len(spoken) and spoken[at + 1].text in words.joiners \
                and not spoken[at + 1].pause and not spoken[at + 2].pause:
            tens = _value(spoken[at + 2].text)
            if tens is not None and tens % 10 == 0 and 20 <= tens < HUNDRED:
                return tens + digit, 3
        return digit, 1
    return None
