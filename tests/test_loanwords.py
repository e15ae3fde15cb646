"""French words in Darija, said as a Moroccan speaker says them (``awal.text.loanwords``), in the
voices' spoken text."""

from __future__ import annotations

import pytest

from awal.text.arabizi import Lexicon
from awal.text.loanwords import FRENCH, french_word
from awal.text.scripts import ARAB, token_script
from awal.text.voicing import spoken_text


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("merci", "ميرسي"),  # the Arabizi rules would say مركي (c is /k/)
        ("Merci", "ميرسي"),
        ("téléphone", "تيليفون"),  # accents optional
        ("telephone", "تيليفون"),
        ("l'appel", "لاپيل"),  # the elided article joins the word
        ("L’appel", "لاپيل"),
        ("d'accord", "داكور"),
        ("l'hôpital", "لوپيطال"),  # before و the vowel's seat goes
        ("rendez-vous", "رونديڤو"),
    ],
)
def test_french_words_as_darija_says_them(word: str, said: str) -> None:
    assert french_word(word) == said


def test_other_words_are_not_in_the_table() -> None:
    for word in ("3afak", "salam", "l'3id", "x'appel", "appels", ""):
        assert french_word(word) is None, word
    assert all(token_script(spoken) == ARAB for spoken in FRENCH.values())


def test_spoken_text_uses_the_table_unless_the_lexicon_knows_the_word() -> None:
    assert spoken_text("merci, l'appel dyalk mzyan", "ary") == "ميرسي، لاپيل ديالك مزيان"
    assert spoken_text("عافاك l'appel ديالك", "ary") == "عافاك لاپيل ديالك"
    lexicon = Lexicon.from_pairs([("merci", "مرسي")])
    assert spoken_text("merci bzaf", "ary", lexicon=lexicon) == "مرسي بزاف"
