"""What typed text may hold: no control characters, and not only invisible ones.

Every service that stores a name, a subject or a message checks it here, so the pages and
the API refuse the same text with the same message.
"""

import unicodedata

from flask_babel import gettext as _

# Line breaks and tabs belong in messages, notes and descriptions; browsers send CR LF.
_LAYOUT = frozenset("\t\n\r")
# Joiners are invisible but spell words (Persian, Indic scripts) and emoji sequences.
_JOINERS = frozenset("\u200c\u200d")
# Letters that draw nothing: the Hangul fillers, and the blank braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Categories that show nothing on their own: format characters, controls, marks (which sit
# on a letter), spaces and line or paragraph separators.
_INVISIBLE = frozenset({"Cf", "Cc", "Cs", "Mn", "Me", "Zs", "Zl", "Zp"})


def _code(char: str) -> str:
    """U+001B, with the character's Unicode name when it has one."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _refused(char: str, multiline: bool) -> str | None:
    """Why this one character cannot be in the text, or None."""
    category = unicodedata.category(char)
    if category == "Cs":
        return _("Remove %(character)s: half a character pair is not text.", character=_code(char))
    if multiline:
        if category == "Cc" and char not in _LAYOUT:
            return _("Remove the control character %(character)s.", character=_code(char))
        return None
    if category in ("Zl", "Zp") or char in "\n\r":
        return _("Keep this to one line: remove the line break.")
    if category == "Cc":
        return _("Remove the control character %(character)s.", character=_code(char))
    if category == "Cf" and char not in _JOINERS:
        return _("Remove the invisible character %(character)s.", character=_code(char))
    return None


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` cannot be stored as typed, or None (an empty or blank text is the
    caller's rule: most strip it first).

    A single-line text (names, subjects, labels) holds no control, format or line-break
    characters besides the joiners; a multi-line one (messages, notes, descriptions) may
    hold tabs and line breaks but no other control character. Neither may be made only of
    invisible characters such as spaces, a BOM or zero-width spaces.
    """
    for char in text:
        if message := _refused(char, multiline):
            return message
    if text.strip() and all(
        unicodedata.category(char) in _INVISIBLE or char in _BLANK_LETTERS for char in text
    ):
        return _("Enter visible text: this holds only invisible characters.")
    return None
