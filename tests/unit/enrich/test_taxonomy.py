"""Topic tagging from the taxonomy file, with the real spaCy pipeline."""

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from enrich import EnrichSettings
from enrich.taxonomy import DEFAULT_TOPICS_FILE, TaxonomyError, TopicTagger, load_taxonomy

REQUIRED_TOPICS = {
    "arms_deal",
    "military_exercise",
    "defense_cooperation",
    "military_aid",
    "sanctions",
    "troop_deployment",
    "weapons_test",
}


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(EnrichSettings().model)


@pytest.fixture(scope="module")
def tagger(nlp: Language) -> TopicTagger:
    return TopicTagger.from_file(DEFAULT_TOPICS_FILE, nlp.vocab)


def labels(tagger: TopicTagger, nlp: Language, text: str) -> list[str]:
    return tagger.labels(tagger.tag(nlp(text)))


def test_the_shipped_taxonomy_describes_and_references_each_topic() -> None:
    taxonomy = load_taxonomy(DEFAULT_TOPICS_FILE)

    assert set(taxonomy.topics) >= REQUIRED_TOPICS
    for topic in taxonomy.topics.values():
        assert topic.description
        assert topic.iptc
        assert all(reference.code.startswith("medtop:") for reference in topic.iptc)
    assert {"163"} <= {reference.code for reference in taxonomy.topics["sanctions"].cameo}
    assert {"072"} <= {reference.code for reference in taxonomy.topics["military_aid"].cameo}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Vietnam agreed to buy 12 Yak-130 trainer jets and 64 T-90 tanks from Russia, the "
         "defence ministry said.", "arms_deal"),
        ("The navies of India and Japan began a week of joint drills in the Bay of Bengal.",
         "military_exercise"),
        ("Indonesia and Australia signed a defence cooperation agreement on Monday.",
         "defense_cooperation"),
        ("Canada announced a military aid package for Ukraine worth C$500 million.",
         "military_aid"),
        ("The European Union imposed sanctions on six Belarusian officials.", "sanctions"),
        ("Washington will deploy 2,000 additional troops to the Middle East, officials said.",
         "troop_deployment"),
        ("North Korea test-fired a new intermediate-range missile on Sunday.", "weapons_test"),
    ],
)  # fmt: skip
def test_each_topic_is_found_in_plain_wire_copy(
    tagger: TopicTagger, nlp: Language, text: str, topic: str
) -> None:
    assert topic in labels(tagger, nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "The two countries signed a trade deal that cuts tariffs on cars and wine.",
        "Regular exercise lowers blood pressure, researchers found.",
        "The company started drilling for oil off the coast of Namibia.",
        "The bank sold its insurance arm to a private equity firm.",
        "Emirates ordered 50 Boeing 777X jets at the Dubai Airshow.",
        "Crowds watched tanks of tropical fish at the new aquarium.",
        "The cyclist was sanctioned for doping and stripped of her title.",
        "The team deployed a new version of its app to millions of users.",
        "Airbus remains VietJet's largest supplier, with more than 100 A321neo jets on order.",
        "NATO ships sailed past the island, where the alliance will meet next year.",
    ],
)
def test_look_alike_senses_get_no_topic(tagger: TopicTagger, nlp: Language, text: str) -> None:
    assert labels(tagger, nlp, text) == []


def test_a_match_carries_its_sentence_matched_words_and_confidence(
    tagger: TopicTagger, nlp: Language
) -> None:
    doc = nlp("Talks went on all day. Poland signed a deal to buy 96 Apache attack helicopters.")

    (match,) = [m for m in tagger.tag(doc) if m.topic == "arms_deal"]

    assert 0.5 <= match.confidence <= 1
    evidence = match.evidence[0]
    assert evidence.sentence == "Poland signed a deal to buy 96 Apache attack helicopters."
    assert "buy" in evidence.matched
    assert evidence.cue in {cue.name for cue in tagger.taxonomy.topics["arms_deal"].cues}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


BLOCKADE = """
version: 1
threshold: 0.5
lexicons:
  blockade_nouns: [blockade, quarantine]
topics:
  naval_blockade:
    description: A blockade of ports or sea lanes by naval forces.
    threshold: 0.7
    cues:
      - name: imposes_blockade
        weight: 0.6
        trees:
          - lemma: [impose, enforce, declare]
            children:
              - {dep: [dobj], lemma: $blockade_nouns}
      - name: naval_blockade_phrase
        weight: 0.6
        phrases:
          - [{lower: [naval]}, {lemma: $blockade_nouns}]
"""


def test_a_new_topic_is_a_change_to_the_file_only(tmp_path: Path, nlp: Language) -> None:
    tagger = TopicTagger.from_file(write(tmp_path / "topics.yaml", BLOCKADE), nlp.vocab)

    one_cue = tagger.tag(nlp("The navy said it would enforce a blockade of the port."))
    two_cues = tagger.tag(nlp("The navy imposed a naval blockade on the port."))

    assert [m.confidence for m in one_cue] == [0.6]
    assert tagger.labels(one_cue) == []  # under the topic's own threshold
    # Two distinct cues combine by noisy-OR: 1 - 0.4 * 0.4.
    assert [m.confidence for m in two_cues] == [pytest.approx(0.84)]
    assert tagger.labels(two_cues) == ["naval_blockade"]


def test_lexicons_may_include_other_lexicons(tmp_path: Path, nlp: Language) -> None:
    text = BLOCKADE.replace(
        "blockade_nouns: [blockade, quarantine]",
        "closures: [quarantine]\n  blockade_nouns: [blockade, $closures]",
    )
    tagger = TopicTagger.from_file(write(tmp_path / "topics.yaml", text), nlp.vocab)

    assert tagger.labels(tagger.tag(nlp("Ships enforced a naval quarantine of the island."))) == [
        "naval_blockade"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BLOCKADE.replace("$blockade_nouns}]", "$no_such}]"), "unknown lexicon '$no_such'"),
        (BLOCKADE.replace("weight: 0.6", "weight: 2", 1), "less than or equal to 1"),
        (BLOCKADE.replace("trees:", "treez:"), "treez"),
        ("topics: [", "cannot read the topic file"),
        (BLOCKADE.replace("[blockade, quarantine]", "[blockade, $blockade_nouns]"), "itself"),
        (BLOCKADE.replace("lexicons:", "domain_lexicon: naval\nlexicons:"), "'naval'"),
    ],
)
def test_an_invalid_taxonomy_says_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(TaxonomyError, match="topic file") as raised:
        load_taxonomy(write(tmp_path / "topics.yaml", text))

    assert problem in str(raised.value)


def test_a_veto_keeps_a_sentence_from_a_topic_unless_its_exception_holds(
    tmp_path: Path, nlp: Language
) -> None:
    vetoed = BLOCKADE.replace(
        "    threshold: 0.7\n",
        "    threshold: 0.5\n    vetoes:\n      - when: {lemma: [exercise]}\n"
        "        unless: {lemma: [real]}\n",
    )
    tagger = TopicTagger.from_file(write(tmp_path / "topics.yaml", vetoed), nlp.vocab)

    drill = tagger.tag(nlp("The navy imposed a blockade of the port in an exercise."))
    real = tagger.tag(nlp("The navy imposed a blockade of the port in a real exercise."))

    assert drill == []
    assert tagger.labels(real) == ["naval_blockade"]


LEAD = "Navy enforces blockade. The navy imposed a blockade of the port on Monday. "
FILLER = "Talks on fishing quotas went on for another week in the capital. " * 12
MENTION = "Last year the navy imposed a blockade of a port. "


def test_a_passing_mention_after_the_lead_counts_for_less_than_one_in_it(
    tmp_path: Path, nlp: Language
) -> None:
    tagger = TopicTagger.from_file(write(tmp_path / "topics.yaml", BLOCKADE), nlp.vocab)
    factor = tagger.taxonomy.background_factor

    def confidence(title: str, body: str) -> float:
        doc = nlp(title + "\n\n" + body)
        return next(m.confidence for m in tagger.tag(doc, title_end=len(title)))

    in_lead = confidence("Navy enforces blockade.", LEAD + FILLER)
    once_later = confidence("Fishing talks drag on.", FILLER + MENTION)
    twice_later = confidence("Fishing talks drag on.", FILLER + MENTION + FILLER + MENTION)

    assert in_lead == pytest.approx(0.6)
    assert once_later == pytest.approx(0.6 * factor)
    assert twice_later == pytest.approx(1 - (1 - 0.6 * factor) ** 2)
    # A headline without a full stop, which the parser may run into the first sentence: the
    # lead still counts from where the body starts.
    filler = "Talks on fishing quotas went on for another week in the capital. "
    assert confidence("Fishing talks drag on", filler * 5 + MENTION) == pytest.approx(0.6 * factor)


def test_a_later_sentence_counts_by_all_its_cues_together(tmp_path: Path, nlp: Language) -> None:
    # A later paragraph that reports the event plainly, with two cues agreeing, counts for more
    # than a passing mention: its cues combine before the discount.
    tagger = TopicTagger.from_file(write(tmp_path / "topics.yaml", BLOCKADE), nlp.vocab)
    factor = tagger.taxonomy.background_factor
    title = "Fishing talks drag on."
    body = FILLER + "Last year the navy imposed a naval blockade of a port. "

    (match,) = tagger.tag(nlp(title + "\n\n" + body), title_end=len(title))

    assert match.confidence == pytest.approx((1 - 0.4 * 0.4) * factor)
    assert {evidence.cue for evidence in match.evidence} == {
        "imposes_blockade",
        "naval_blockade_phrase",
    }


def test_weapons_given_in_an_aid_package_are_aid_not_a_deal(
    tagger: TopicTagger, nlp: Language
) -> None:
    given = labels(
        tagger,
        nlp,
        "Germany will supply Ukraine with drones as part of a new military support package.",
    )
    sold = labels(
        tagger,
        nlp,
        "Germany will sell Ukraine 50 howitzers under a contract that is part of a wider package.",
    )

    assert given == ["military_aid"]
    assert "arms_deal" in sold


def test_words_of_an_institutions_name_are_no_evidence(tagger: TopicTagger, nlp: Language) -> None:
    text = "The Defense Security Cooperation Agency notified Congress on Monday, officials said."

    assert "defense_cooperation" not in labels(tagger, nlp, text)
    assert "defense_cooperation" in labels(
        tagger, nlp, "Japan and the Philippines agreed to expand defense cooperation."
    )


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("The last French soldiers left Niger on Friday, completing the withdrawal of 1,500 "
         "troops.", "troop_deployment"),
        ("The carrier strike group left port for an eight-month deployment to the Pacific.",
         "troop_deployment"),
        ("Britain added a trading company to its sanctions list on Tuesday.", "sanctions"),
        ("The two countries agreed on technology transfer and joint production of the "
         "fighter jets.", "defense_cooperation"),
    ],
)  # fmt: skip
def test_movements_lists_and_industrial_ties_are_found(
    tagger: TopicTagger, nlp: Language, text: str, topic: str
) -> None:
    assert topic in labels(tagger, nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "Russian troops pulled back from positions near the city after a counteroffensive.",
        "The firms were accused of supplying engines and electronics for the country's drones.",
        "China sent warships and fighter jets around the island for a second day of drills.",
    ],
)
def test_retreats_parts_and_shows_of_force_are_not_movements_deals_or_aid(
    tagger: TopicTagger, nlp: Language, text: str
) -> None:
    found = labels(tagger, nlp, text)

    assert not {"troop_deployment", "arms_deal", "military_aid"} & set(found), found


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Norway pledged 1 billion crowns to buy artillery shells for Ukraine.", "military_aid"),
        ("Iran unveiled a new ballistic missile and said it had been tested successfully.",
         "weapons_test"),
    ],
)  # fmt: skip
def test_weapons_bought_for_a_state_and_tests_told_of_a_pronoun_are_found(
    tagger: TopicTagger, nlp: Language, text: str, topic: str
) -> None:
    assert topic in labels(tagger, nlp, text)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("The army will begin pulling its soldiers out of Mali next month.", "troop_deployment"),
        ("The air force is deploying four stealth fighter jets to the base in Romania.",
         "troop_deployment"),
        ("The alliance agreed to double its contingent in Estonia by next year.",
         "troop_deployment"),
        ("Officials ruled out any boots on the ground in the conflict.", "troop_deployment"),
        ("The kingdom said it would donate its remaining artillery stock to Kyiv.", "military_aid"),
        ("The weapons will come from Pentagon stocks under presidential drawdown authority.",
         "military_aid"),
        ("Canada will train 2,000 Ukrainian soldiers at bases in Poland this winter.",
         "military_aid"),
        ("The exercises are meant to improve interoperability between the allied navies.",
         "defense_cooperation"),
        ("The ministers held their second annual defence dialogue in Manila.",
         "defense_cooperation"),
        ("The two firms will co-produce armoured vehicles at a plant near Riga.",
         "defense_cooperation"),
        ("Berlin said it would finance the purchase of two more air defence systems for Ukraine.",
         "military_aid"),
        ("Russia has moved S-400 air defence batteries closer to the Finnish border.",
         "troop_deployment"),
        ("Israel called up 300,000 reservists after the attack.", "troop_deployment"),
        ("The two arms makers formed a partnership to manufacture artillery shells in India.",
         "defense_cooperation"),
        ("French forces arrived in Abidjan to train Ivorian troops for the mission.",
         "defense_cooperation"),
        ("The EU training mission in Mali resumed its courses for the army.",
         "defense_cooperation"),
    ],
)  # fmt: skip
def test_withdrawals_presence_drawdowns_training_and_dialogues_are_found(
    tagger: TopicTagger, nlp: Language, text: str, topic: str
) -> None:
    assert topic in labels(tagger, nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "A Navy F/A-18 crashed during a routine training mission off Virginia on Tuesday.",
        "Japan will train Indian railway personnel to run the new high-speed line.",
        "The club will train Saudi sailors for the America's Cup.",
    ],
)
def test_a_crash_on_a_training_flight_and_civil_training_are_no_training_mission(
    tagger: TopicTagger, nlp: Language, text: str
) -> None:
    cues = {e.cue for match in tagger.tag(nlp(text)) for e in match.evidence}
    assert "training_mission" not in cues


def test_an_airlines_or_a_railways_trainees_are_no_foreign_forces(
    tagger: TopicTagger, nlp: Language
) -> None:
    def cues(text: str) -> set[str]:
        return {e.cue for match in tagger.tag(nlp(text)) for e in match.evidence}

    assert "trains_foreign_forces" not in cues("Emirates will train Indian pilots and crews.")
    assert "trains_foreign_forces" not in cues("Japan will train Indian railway personnel.")
    assert "trains_foreign_forces" in cues("Britain will train Ukrainian pilots on fighter jets.")


def test_a_defence_agreement_is_a_pact_not_a_sale(tagger: TopicTagger, nlp: Language) -> None:
    found = labels(tagger, nlp, "The two countries signed a mutual defence agreement on Wednesday.")

    assert found == ["defense_cooperation"]


@pytest.mark.parametrize(
    "text",
    [
        "The bank pledged to improve interoperability between payment systems across the bloc.",
        "The retailer will double its presence in Asia by opening forty stores.",
        "The two oil majors signed a strategic partnership to develop gas fields off the coast.",
        "The city's emergency drill tested how fire brigades, police and hospitals would respond.",
        "The airport's exercise let its staff and the emergency forces rehearse a hijacking.",
        "Police commandos staged a drill at the central bus terminal to rehearse a siege.",
        "The Treasury said the network bought engines abroad for the Shahed-136 drones.",
        "The government deployed 500 troops to help rescue residents stranded by the floods.",
    ],
)
def test_payment_systems_store_openings_civil_drills_and_smuggling_get_no_topic(
    tagger: TopicTagger, nlp: Language, text: str
) -> None:
    assert labels(tagger, nlp, text) == []


def test_troops_ordered_somewhere_with_their_jets_are_deployed_not_bought(
    tagger: TopicTagger, nlp: Language
) -> None:
    found = labels(
        tagger,
        nlp,
        "The minister ordered 1,500 more troops and a squadron of fighter jets to the region.",
    )

    assert found == ["troop_deployment"]


def test_the_domain_lexicon_gives_the_domain_words(tmp_path: Path) -> None:
    text = BLOCKADE.replace("lexicons:", "domain_lexicon: blockade_nouns\nlexicons:")

    assert load_taxonomy(write(tmp_path / "topics.yaml", text)).domain_words == {
        "blockade",
        "quarantine",
    }
    assert load_taxonomy(write(tmp_path / "plain.yaml", BLOCKADE)).domain_words == frozenset()
