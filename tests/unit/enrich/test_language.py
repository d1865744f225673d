"""Only English text goes through the English pipeline; other languages are named, not tagged."""

import pytest

from enrich.language import detect_language, is_english

ENGLISH = (
    "Russian military officials have arrived in Venezuela for talks on defense industry "
    "cooperation, Russian state media reported on Monday. The government of Vladimir Putin "
    "is one of the strongest backers of the government in Caracas."
)
TEXTS = {
    "es": (
        "El gobierno de Venezuela anunció el lunes que recibirá a una delegación militar rusa "
        "para conversar sobre la cooperación en la industria de defensa, según informaron los "
        "medios estatales de ambos países."
    ),
    "de": (
        "Die Regierung in Caracas hat am Montag eine russische Militärdelegation empfangen, um "
        "über die Zusammenarbeit in der Rüstungsindustrie zu sprechen, wie staatliche Medien "
        "beider Länder berichteten."
    ),
    "fr": (
        "Des responsables militaires russes sont arrivés au Venezuela pour des discussions sur "
        "la coopération dans l'industrie de la défense, ont rapporté lundi les médias d'État."
    ),
    "ru": (
        "Российские военные прибыли в Венесуэлу для переговоров о сотрудничестве в оборонной "
        "промышленности, сообщили в понедельник государственные СМИ."
    ),
    "zh": "俄罗斯军事官员抵达委内瑞拉，就国防工业合作进行会谈，俄罗斯官方媒体周一报道。",
    "ar": "وصل مسؤولون عسكريون روس إلى فنزويلا لإجراء محادثات حول التعاون في الصناعات الدفاعية.",
}


def test_english_prose_is_english() -> None:
    assert detect_language(ENGLISH) == "en"


def test_a_short_english_report_is_english() -> None:
    assert detect_language("Vladimir Putin spoke in Moscow on Monday about the war.") == "en"


@pytest.mark.parametrize(("language", "text"), TEXTS.items(), ids=list(TEXTS))
def test_other_languages_are_named(language: str, text: str) -> None:
    assert detect_language(text) == language


def test_english_is_recognised_whatever_the_case() -> None:
    assert detect_language(ENGLISH.upper()) == "en"


@pytest.mark.parametrize("text", ["", "   ", "2026-11-27 12:00", "Putin"])
def test_too_little_text_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


def test_a_short_line_without_english_words_is_undetermined_rather_than_english() -> None:
    assert detect_language("Nicolas Maduro habló en Caracas.") == "und"


def test_only_the_start_of_long_texts_is_read() -> None:
    assert detect_language(" ".join([ENGLISH] * 30 + [TEXTS["es"]] * 100)) == "en"
    assert detect_language(" ".join([TEXTS["es"]] * 40 + [ENGLISH] * 100)) == "es"


@pytest.mark.parametrize(("tag", "english"), [("en", True), ("en-gb", True), ("es", False)])
def test_is_english(tag: str, english: bool) -> None:
    assert is_english(tag) is english
