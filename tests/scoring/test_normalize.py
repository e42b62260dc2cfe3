"""Normalization against evasion: variants fold to the plain form, offsets map back."""

from __future__ import annotations

import pytest

from civility.scoring.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("You are an I D I O T", "you are an idiot"),
        ("i.d.i.o.t", "idiot"),
        ("f-u-c-k you", "fuck you"),
        ("iiiidiot", "idiot"),
        ("shiiiiit", "shit"),
        ("sh1t", "shit"),
        ("1d10t", "idiot"),
        ("b!tch", "bitch"),
        ("@ss", "ass"),
        ("ｉｄｉｏｔ", "idiot"),  # fullwidth
        ("𝐢𝐝𝐢𝐨𝐭", "idiot"),  # math bold
        ("іdіоt", "idiot"),  # Cyrillic і and о
        ("idi\u200bot", "idiot"),  # zero-width space
        ("Ïdïøt", "idiot"),
    ],
)
def test_variants_fold_to_plain(raw: str, plain: str) -> None:
    assert normalize(raw).text == plain


@pytest.mark.parametrize(
    "text",
    [
        "5 soldiers killed in 2019",
        "covid19 cases",
        "the 4th of July",
        "$5 fee",
        "@USER hello",
        "Scunthorpe class assess",
        "I am a cat",
        "cool book",
        "wow!",
    ],
)
def test_plain_text_keeps_words(text: str) -> None:
    # Only lower-casing: numbers, mentions and ordinary words are not rewritten.
    assert normalize(text).text == text.lower()


def test_word_boundaries_kept() -> None:
    out = normalize("The class will assess Scunthorpe's pass rate").text
    assert out.split() == ["the", "class", "will", "assess", "scunthorpe's", "pass", "rate"]


@pytest.mark.parametrize(
    "text",
    [
        "You are an I D I O T!!",
        "idi\u200bot and ｍｏｒｏｎ",
        "sooooo 1d10t",
        "ß straße",
        "",
        "𝐢𝐝𝐢𝐨𝐭 i.d.i.o.t",
        "e\u0301cole",
    ],
)
def test_offsets_map_to_original(text: str) -> None:
    n = normalize(text)
    assert len(n.offsets) == len(n.text)
    assert all(0 <= o < len(text) for o in n.offsets)
    assert n.offsets == sorted(n.offsets)


def test_span_maps_back_to_what_the_reader_wrote() -> None:
    raw = "well, you are a total I D I O T, mate"
    n = normalize(raw)
    i = n.text.index("idiot")
    s, e = n.to_original(i, i + len("idiot"))
    assert raw[s:e] == "I D I O T"
