"""The catalogs are complete: every message the code and templates show is translated in
Polish and German, nothing fuzzy, the placeholders of each translation match its English,
and Polish has its three plural forms (1 godzina, 2 godziny, 5 godzin)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("pl", "de")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _searched(path: str) -> bool:
    """Every folder but hidden ones and caches (templates/_partials and _macros count)."""
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def _extracted() -> dict:
    """Every message id the code and templates hold, as `make translations` extracts them."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=_searched
    ):
        found.setdefault(message if isinstance(message, str) else tuple(message), filename)
    return found


EXTRACTED = _extracted()


def _catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def test_the_code_has_messages_to_translate():
    # Guards the test below from passing on an extraction that found nothing.
    assert len(EXTRACTED) > 500
    assert "Log in" in EXTRACTED
    assert "Issue date" in EXTRACTED  # templates/_partials/invoice.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalog = _catalog(language)
    problems = []
    for msgid, filename in EXTRACTED.items():
        message = catalog.get(msgid)
        strings = () if message is None else message.string
        strings = (strings,) if isinstance(strings, str) else tuple(strings)
        if message is None:
            problems.append(f"missing ({filename}): {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not strings or not all(strings):
            problems.append(f"untranslated: {msgid!r}")
    assert not problems, f"{len(problems)} in {language}, run make translations:\n" + "\n".join(
        problems[:40]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_no_message_the_code_dropped(language):
    stale = [m.id for m in _catalog(language) if m.id and m.id not in EXTRACTED]
    assert not stale, f"run make translations: {stale[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_english(language):
    problems = []
    for message in _catalog(language):
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            wanted = set(PLACEHOLDER.findall(message.id[1])) - {"num"}
            forms = message.string
        else:
            wanted = set(PLACEHOLDER.findall(message.id))
            forms = (message.string,)
        for form in forms:
            got = set(PLACEHOLDER.findall(form))
            if isinstance(message.id, tuple):
                # A singular may spell out its count ("jedna godzina"); the rest must match.
                got -= {"num"}
            if got != wanted:
                problems.append(f"{message.id!r} -> {form!r}")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_finds_no_format_errors(language):
    catalog = _catalog(language)
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, errors[:20]


def test_polish_has_three_plural_forms_and_german_two():
    assert _catalog("pl").num_plurals == 3
    assert _catalog("de").num_plurals == 2
    plurals = [m for m in _catalog("pl") if isinstance(m.id, tuple) and m.string]
    for message in plurals:
        assert len(message.string) == 3 and all(message.string), message.id


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 miesiąc"),
        (2, "2 miesiące"),
        (5, "5 miesięcy"),
        (12, "12 miesięcy"),
        (22, "22 miesiące"),
    ],
)
def test_polish_plural_forms_read_right(count, expected):
    # The plan list's rollover terms: the compiled catalog chooses the form by the Polish
    # rule (one, few: 2-4 but not 12-14, many).
    translations = Translations.load(str(TRANSLATIONS), ["pl"])
    text = translations.ngettext(
        "rolls over %(num)d month, no cap", "rolls over %(num)d months, no cap", count
    ) % {"num": count}
    assert text == f"przeniesienie na {expected}, bez limitu"
