"""Only English text goes through the English pipeline."""

import pytest

from enrich.language import guess_language

ENGLISH = (
    "Russian military officials have arrived in Venezuela for talks on defense industry "
    "cooperation, Russian state media reported on Monday. The government of Vladimir Putin "
    "is one of the strongest backers of the government in Caracas."
)
SPANISH = (
    "El gobierno de Venezuela anunció el lunes que recibirá a una delegación militar rusa "
    "para conversar sobre la cooperación en la industria de defensa, según informaron los "
    "medios estatales de ambos países."
)
GERMAN = (
    "Die Regierung in Caracas hat am Montag eine russische Militärdelegation empfangen, um "
    "über die Zusammenarbeit in der Rüstungsindustrie zu sprechen, wie staatliche Medien "
    "beider Länder berichteten."
)


def test_english_prose_is_english() -> None:
    assert guess_language(ENGLISH) == "en"


@pytest.mark.parametrize("text", [SPANISH, GERMAN], ids=["spanish", "german"])
def test_other_languages_are_undetermined(text: str) -> None:
    assert guess_language(text) == "und"


def test_english_is_recognised_whatever_the_case() -> None:
    assert guess_language(ENGLISH.upper()) == "en"


def test_only_the_start_of_long_texts_is_read() -> None:
    assert guess_language(" ".join([ENGLISH] * 30 + [SPANISH] * 100)) == "en"
    assert guess_language(" ".join([SPANISH] * 40 + [ENGLISH] * 100)) == "und"
