from __future__ import annotations

import pytest

from civility.scoring.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The council voted to close the library on Sundays.", "en"),
        ("you are an idiot", "en"),
        ("lol", "en"),
        ("Le conseil municipal a voté pour la fermeture de la bibliothèque le dimanche.", "fr"),
        ("Der Stadtrat hat beschlossen, dass die Bibliothek am Sonntag geschlossen ist.", "de"),
        ("El ayuntamiento votó para cerrar la biblioteca los domingos y no hay más.", "es"),
        ("Городской совет проголосовал за закрытие библиотеки", "ru"),
        ("市议会投票决定周日关闭图书馆", "zh"),
        ("", "und"),
        ("12345 !!!", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
