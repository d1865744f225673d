"""Topic tagging from a taxonomy file: a generic interpreter of enrich/data/topics.yaml (pure).

The cues are dependency trees (as spaCy's DependencyMatcher's, with `>` and `>>`), token phrases
(as its Matcher's, with `?`, `*`, `+`) and co-occurrence windows. They compile once into an
index from each pattern's first token to the pattern; tagging reads a doc's token attributes
once, as ids, and follows only the patterns its tokens start. spaCy's own matchers did the same
work several times slower (each call costs per token and per pattern, whether a pattern can
start there or not), which mattered because tagging runs on every article.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from spacy.strings import StringStore
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from contracts import TopicEvidence, TopicMatch
from enrich.budget import Deadline
from enrich.errors import EnrichmentError
from enrich.quotes import quote

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parent / "data" / "topics.yaml"

# Evidence kept per cue: enough to show why, without copying a long article into the index.
_MAX_EVIDENCE_PER_CUE = 3


class TaxonomyError(EnrichmentError):
    """The topic taxonomy file cannot be read or is not valid."""


class TopicsOutOfTime(Exception):  # noqa: N818 - a signal, not an error
    """The deadline passed while a doc's topic cues were read."""


# Tokens read between two looks at the clock.
_CLOCK_EVERY_TOKENS = 256


def _words(value: object) -> object:
    return [value] if isinstance(value, str) else value


class TokenTest(BaseModel):
    """A test on one token: any word test (lemma, lower, ent) and every constraint (pos, dep)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lemma: list[str] = Field(default_factory=list)
    lower: list[str] = Field(default_factory=list)
    ent: list[str] = Field(default_factory=list, description="Entity labels, e.g. WEAPON, GPE.")
    pos: list[str] = Field(default_factory=list)
    dep: list[str] = Field(default_factory=list)
    op: Literal["?", "*", "+"] | None = Field(default=None, description="In phrases only.")
    descendant: bool = Field(default=False, description="In trees: anywhere below the parent.")
    children: list["TokenTest"] = Field(default_factory=list)

    @field_validator("lemma", "lower", "ent", "pos", "dep", mode="before")
    @classmethod
    def _expand_lexicons(cls, value: object, info: ValidationInfo) -> object:
        value = _words(value)
        if not isinstance(value, list):
            return value
        lexicons: dict[str, list[str]] = (info.context or {}).get("lexicons", {})
        expanded: list[object] = []
        for item in value:
            if isinstance(item, str) and item.startswith("$"):
                if item[1:] not in lexicons:
                    known = ", ".join(sorted(lexicons)) or "none"
                    raise ValueError(f"unknown lexicon {item!r} (defined: {known})")
                expanded.extend(lexicons[item[1:]])
            else:
                expanded.append(item)
        return expanded


class Near(BaseModel):
    """All `words` within `window` tokens of the first one, in one sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: int = Field(gt=0)
    words: list[TokenTest] = Field(min_length=2)


class Cue(BaseModel):
    """One piece of evidence for a topic, with the weight it adds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1)
    trees: list[TokenTest] = Field(default_factory=list)
    phrases: list[list[TokenTest]] = Field(default_factory=list)
    near: Near | None = None
    context: TokenTest | None = None
    unless: TokenTest | None = None

    @model_validator(mode="after")
    def _has_a_pattern(self) -> Self:
        if not (self.trees or self.phrases or self.near):
            raise ValueError(f"cue {self.name!r} needs trees, phrases or near")
        return self


class Veto(BaseModel):
    """Sentences that tell of something else: in them, no cue counts for the topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: TokenTest = Field(description="A sentence holding a token that passes this...")
    unless: TokenTest | None = Field(default=None, description="...and none that passes this.")


class Reference(BaseModel):
    """A code of an outside vocabulary (IPTC Media Topics, CAMEO) that a topic corresponds to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    label: str
    note: str | None = None


class Topic(BaseModel):
    """A topic of the taxonomy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    iptc: list[Reference] = Field(default_factory=list)
    cameo: list[Reference] = Field(default_factory=list)
    threshold: float | None = Field(default=None, gt=0, le=1)
    vetoes: list[Veto] = Field(default_factory=list)
    cues: list[Cue] = Field(min_length=1)

    @field_validator("cues")
    @classmethod
    def _unique_names(cls, cues: list[Cue]) -> list[Cue]:
        names = [cue.name for cue in cues]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"cue names must be unique within a topic: {duplicates}")
        return cues


class Taxonomy(BaseModel):
    """The whole topic file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    threshold: float = Field(gt=0, le=1)
    lead_tokens: int = Field(
        default=60,
        ge=0,
        description="The lead: the title and the sentences that start this many tokens after it.",
    )
    background_factor: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="What the confidence of a sentence after the lead (the noisy-OR of its "
        "distinct cues) is multiplied by.",
    )
    institutions: list[str] = Field(
        default_factory=list,
        description="Lemmas of institutions' names (agency, administration): no pattern starts "
        "inside an ORG name with one, whose words name it and tell of no event.",
    )
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    domain_lexicon: str | None = Field(
        default=None,
        description="The lexicon of words a story on any topic holds one of at least (lemmas or "
        "lower-case words): in a text with none of them, the classifier alone tags no topic.",
    )
    topics: dict[str, Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def _domain_lexicon_exists(self) -> "Taxonomy":
        if self.domain_lexicon is not None and self.domain_lexicon not in self.lexicons:
            raise ValueError(
                f"domain_lexicon names {self.domain_lexicon!r}, which is not among the lexicons"
            )
        return self

    @property
    def domain_words(self) -> frozenset[str]:
        """The words of the domain lexicon; empty where the taxonomy names none."""
        if self.domain_lexicon is None:
            return frozenset()
        return frozenset(word.lower() for word in self.lexicons[self.domain_lexicon])

    def threshold_of(self, topic: str) -> float:
        """The confidence a topic needs to be tagged."""
        own = self.topics[topic].threshold
        return self.threshold if own is None else own


def load_taxonomy(path: Path) -> Taxonomy:
    """Reads and validates a topic file; a TaxonomyError says what is wrong and where."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TaxonomyError(
            f"cannot read the topic file {path}: {error}. Fix the file or point "
            "WIREWATCH_ENRICH__TOPICS_FILE at a valid one."
        ) from error
    if not isinstance(raw, dict):
        raise TaxonomyError(f"the topic file {path} must hold a mapping with 'topics'")
    try:
        lexicons = _resolved(raw.get("lexicons") or {})
    except (TypeError, ValueError) as error:
        raise TaxonomyError(f"the topic file {path} is not valid: {error}") from error
    try:
        return Taxonomy.model_validate(
            {**raw, "lexicons": lexicons}, context={"lexicons": lexicons}
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
        raise TaxonomyError(
            f"the topic file {path} is not valid: {problems}. Fix it (its header "
            "describes the format)."
        ) from error


def _resolved(lexicons: object) -> dict[str, list[str]]:
    """The lexicons with the "$name" entries inside them replaced by that lexicon's words."""
    if not isinstance(lexicons, dict):
        raise TypeError("lexicons: must map names to lists of words")
    done: dict[str, list[str]] = {}

    def resolve(name: str, path: tuple[str, ...]) -> list[str]:
        if name in done:
            return done[name]
        if name not in lexicons:
            raise ValueError(f"lexicons.{path[-1]}: unknown lexicon '${name}'")
        if name in path:
            raise ValueError(f"lexicons.{name}: refers to itself through {' > '.join(path)}")
        words: list[str] = []
        for word in lexicons[name] or []:
            if isinstance(word, str) and word.startswith("$"):
                words.extend(resolve(word[1:], (*path, name)))
            else:
                words.append(word)
        done[name] = words
        return words

    return {name: resolve(name, ()) for name in lexicons}


# Lemmas of proper nouns keep their case ("Army", "ICBM"): a lemma test matches any of these.
def _cased(words: Iterable[str]) -> set[str]:
    return {
        form for word in words for form in (word, word.lower(), word.capitalize(), word.upper())
    }


class _Test:
    """A token test compiled to the integer ids spaCy stores per token (`Doc.to_array`)."""

    def __init__(self, test: TokenTest, strings: StringStore) -> None:
        self.lemmas = frozenset(strings.add(word) for word in _cased(test.lemma))
        self.lowers = frozenset(strings.add(word.lower()) for word in test.lower)
        self.labels = frozenset(strings.add(label) for label in test.ent)
        # Part-of-speech tags are spaCy symbols: the string store maps them to their ids.
        self.pos = frozenset(strings.add(tag) for tag in test.pos)
        self.deps = frozenset(strings.add(dep) for dep in test.dep)
        self.any_word = not (test.lemma or test.lower or test.ent)
        self.op = test.op
        self.descendant = test.descendant
        self.children = [_Test(child, strings) for child in test.children]

    def passes(self, doc: "_Arrays", i: int) -> bool:
        return (
            self.any_word
            or doc.lemma[i] in self.lemmas
            or doc.lower[i] in self.lowers
            or doc.ent[i] in self.labels
        ) and self.constrained(doc, i)

    def constrained(self, doc: "_Arrays", i: int) -> bool:
        return (not self.pos or doc.pos[i] in self.pos) and (
            not self.deps or doc.dep[i] in self.deps
        )


class _Arrays:
    """A doc's token attributes as ids, read in one call rather than token by token."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        columns: list[list[int]] = (
            doc.to_array(["LEMMA", "LOWER", "ENT_TYPE", "POS", "DEP"]).T.tolist()
            if len(doc)
            else [[]] * 5
        )
        self.lemma, self.lower, self.ent, self.pos, self.dep = columns
        # Each token's sentence, found once: `Token.sent` searches for it on every call.
        self.sentences = list(doc.sents)
        self.sentence_of = [0] * len(doc)
        for number, sentence in enumerate(self.sentences):
            self.sentence_of[sentence.start : sentence.end] = [number] * len(sentence)
        self._passes_in: dict[tuple[int, int], bool] = {}

    def sentence(self, i: int) -> Span:
        """The sentence of token i."""
        return self.sentences[self.sentence_of[i]]

    def any_passes(self, test: "_Test", sentence: Span) -> bool:
        """Whether a token of the sentence passes `test`; each sentence is read once per test,
        however many cues ask (a run-on sentence is asked by every cue that matches in it)."""
        key = (id(test), sentence.start)
        if key not in self._passes_in:
            self._passes_in[key] = any(
                test.passes(self, i) for i in range(sentence.start, sentence.end)
            )
        return self._passes_in[key]


@dataclass(frozen=True)
class _Anchor:
    """Where a pattern starts: a tree's root, a phrase's first token or a near word."""

    cue: int
    kind: Literal["tree", "phrase", "near"]
    pattern: int
    test: _Test


@dataclass(frozen=True)
class _Hit:
    cue: int
    tokens: tuple[int, ...]


class TopicTagger:
    """Tags docs with the topics of a taxonomy. Build once per vocab; `tag` is pure.

    Compiling indexes every pattern's first token test by lemma, word and entity label, so a
    doc is read once: each token looks up the patterns it may start, and only those are
    followed through the parse (trees) or the next tokens (phrases)."""

    def __init__(self, taxonomy: Taxonomy, vocab: Vocab) -> None:
        self.taxonomy = taxonomy
        self._cues: list[tuple[str, Cue]] = []
        self._trees: list[_Test] = []
        self._phrases: list[list[_Test]] = []
        self._context: dict[int, tuple[_Test | None, _Test | None]] = {}
        self._near: dict[int, tuple[int, list[_Test]]] = {}
        self._by_lemma: dict[int, list[_Anchor]] = defaultdict(list)
        self._by_lower: dict[int, list[_Anchor]] = defaultdict(list)
        self._by_label: dict[int, list[_Anchor]] = defaultdict(list)
        self._any_word: list[_Anchor] = []
        strings = vocab.strings
        self._institutions = frozenset(strings.add(word) for word in _cased(taxonomy.institutions))
        self._vetoes = {
            name: [
                (_Test(veto.when, strings), _Test(veto.unless, strings) if veto.unless else None)
                for veto in topic.vetoes
            ]
            for name, topic in taxonomy.topics.items()
        }
        for topic_name, topic in taxonomy.topics.items():
            for cue in topic.cues:
                index = len(self._cues)
                self._cues.append((topic_name, cue))
                self._context[index] = (
                    _Test(cue.context, strings) if cue.context else None,
                    _Test(cue.unless, strings) if cue.unless else None,
                )
                for tree in cue.trees:
                    self._trees.append(_Test(tree, strings))
                    self._index(_Anchor(index, "tree", len(self._trees) - 1, self._trees[-1]))
                for phrase in cue.phrases:
                    self._phrases.append([_Test(test, strings) for test in phrase])
                    first = self._phrases[-1][0]
                    self._index(_Anchor(index, "phrase", len(self._phrases) - 1, first))
                if cue.near:
                    words = [_Test(test, strings) for test in cue.near.words]
                    self._near[index] = (cue.near.window, words)
                    for number, word in enumerate(words):
                        self._index(_Anchor(index, "near", number, word))

    def _index(self, anchor: _Anchor) -> None:
        test = anchor.test
        if test.any_word or test.op in ("?", "*"):
            self._any_word.append(anchor)
            return
        for lemma in test.lemmas:
            self._by_lemma[lemma].append(anchor)
        for lower in test.lowers:
            self._by_lower[lower].append(anchor)
        for label in test.labels:
            self._by_label[label].append(anchor)

    @classmethod
    def from_file(cls, path: Path, vocab: Vocab) -> Self:
        """A tagger for the topic file at `path`."""
        return cls(load_taxonomy(path), vocab)

    def tag(
        self, doc: Doc, title_end: int | None = None, deadline: Deadline | None = None
    ) -> list[TopicMatch]:
        """Every topic with at least one matching cue, with its confidence and evidence,
        most confident first.

        `title_end` is the character offset where the title ends in `doc`: the title and the
        taxonomy's `lead_sentences` after it are the lead, where a story states what it is
        about; cues in later sentences count for less (see `Taxonomy.background_factor`). A
        doc without a title is all lead. Costs time linear in the doc; raises TopicsOutOfTime
        when `deadline` passes."""
        arrays = _Arrays(doc)
        lead_end = self._lead_end(arrays, title_end)
        evidence: dict[int, dict[int, TopicEvidence]] = defaultdict(dict)
        vetoed: dict[tuple[str, int], bool] = {}
        for hit in self._hits(arrays, deadline):
            found = evidence[hit.cue]
            sentence = arrays.sentence(hit.tokens[0])
            if sentence.start in found or len(found) >= _MAX_EVIDENCE_PER_CUE:
                continue
            context, unless = self._context[hit.cue]
            if context is not None and not arrays.any_passes(context, sentence):
                continue
            if unless is not None and arrays.any_passes(unless, sentence):
                continue
            topic = self._cues[hit.cue][0]
            key = (topic, sentence.start)
            if key not in vetoed:
                vetoed[key] = self._vetoed(topic, arrays, sentence)
            if vetoed[key]:
                continue
            found[sentence.start] = TopicEvidence(
                cue=self._cues[hit.cue][1].name,
                sentence=quote(sentence, hit.tokens[0]),
                matched=[doc[i].text for i in sorted(set(hit.tokens))],
            )
        return self._score(evidence, lead_end)

    def _lead_end(self, doc: "_Arrays", title_end: int | None) -> int:
        """The token where the lead ends: the first sentence that starts `lead_tokens` or more
        tokens into the body (a byline or a caption may come before the first paragraph)."""
        if title_end is None:
            return len(doc.lemma)
        # The parser may run a headline without a full stop into the first sentence.
        body = next((token.i for token in doc.doc if token.idx >= title_end), len(doc.lemma))
        for sentence in doc.sentences:
            if sentence.start >= body + self.taxonomy.lead_tokens:
                return sentence.start
        return len(doc.lemma)

    def _vetoed(self, topic: str, arrays: "_Arrays", sentence: Span) -> bool:
        return any(
            arrays.any_passes(when, sentence)
            and (unless is None or not arrays.any_passes(unless, sentence))
            for when, unless in self._vetoes[topic]
        )

    def labels(self, matches: Iterable[TopicMatch]) -> list[str]:
        """The topics of `matches` whose confidence reaches their threshold."""
        return [m.topic for m in matches if m.confidence >= self.taxonomy.threshold_of(m.topic)]

    def _hits(self, doc: _Arrays, deadline: Deadline | None = None) -> Iterator[_Hit]:
        near: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        named = self._inside_institution_names(doc)
        for i in range(len(doc.lemma)):
            if deadline is not None and i % _CLOCK_EVERY_TOKENS == 0 and deadline.passed():
                raise TopicsOutOfTime
            if i in named:
                continue
            anchors = [
                *self._by_lemma.get(doc.lemma[i], ()),
                *self._by_lower.get(doc.lower[i], ()),
                *self._by_label.get(doc.ent[i], ()),
                *self._any_word,
            ]
            for anchor in anchors:
                if not anchor.test.passes(doc, i):
                    continue
                if anchor.kind == "tree":
                    tokens = _match_tree(anchor.test, doc, i)
                    if tokens is not None:
                        yield _Hit(anchor.cue, tokens)
                elif anchor.kind == "phrase":
                    end = _match_phrase(self._phrases[anchor.pattern], doc, i, 0)
                    if end is not None and end > i:
                        yield _Hit(anchor.cue, tuple(range(i, end)))
                elif not (seen := near[anchor.cue][anchor.pattern]) or seen[-1] != i:
                    # Tokens come in order: a position is new unless it was the last added.
                    seen.append(i)
        for index, positions in near.items():
            yield from self._near_hits(doc, index, positions)

    def _near_hits(
        self, doc: "_Arrays", index: int, positions: dict[int, list[int]]
    ) -> Iterator[_Hit]:
        window, words = self._near[index]
        if len(positions) < len(words):
            return
        for first in positions[0]:
            sentence = doc.sentence(first)
            chosen = [first]
            low = max(first - window, sentence.start)
            high = min(first + window, sentence.end - 1)
            for word in range(1, len(words)):
                # Positions are in order: only those within the window are read.
                around = positions[word]
                nearby = [
                    i
                    for i in around[bisect_left(around, low) : bisect_right(around, high)]
                    if i not in chosen
                ]
                if not nearby:
                    break
                chosen.append(min(nearby, key=lambda i: abs(i - first)))
            else:
                yield _Hit(index, tuple(chosen))

    def _inside_institution_names(self, doc: "_Arrays") -> frozenset[int]:
        """The tokens of ORG entities with an institution's word ("Defense Security Cooperation
        Agency"): a cooperation only in name."""
        if not self._institutions:
            return frozenset()
        return frozenset(
            i
            for entity in doc.doc.ents
            if entity.label_ == "ORG"
            and any(doc.lemma[i] in self._institutions for i in range(entity.start, entity.end))
            for i in range(entity.start, entity.end)
        )

    def _score(
        self, evidence: dict[int, dict[int, TopicEvidence]], lead_end: int
    ) -> list[TopicMatch]:
        # Noisy-OR over independent evidence. In the lead each distinct cue counts once (a
        # headline repeated in the first paragraph is one piece of evidence). After it, each
        # sentence counts once, by the noisy-OR of its cues, discounted: a story mentions in
        # passing what it is not about, while a later paragraph where several cues agree reports
        # the event itself, and a topic the story keeps coming back to adds up.
        lead_missing: dict[str, float] = defaultdict(lambda: 1.0)
        later_missing: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(lambda: 1.0))
        for index, found in evidence.items():
            topic, cue = self._cues[index]
            if any(start < lead_end for start in found):
                lead_missing[topic] *= 1 - cue.weight
            for start in found:
                if start >= lead_end:
                    later_missing[topic][start] *= 1 - cue.weight
        factor = self.taxonomy.background_factor
        matches = []
        for topic in sorted({self._cues[i][0] for i, found in evidence.items() if found}):
            missing = lead_missing[topic]
            for sentence_missing in later_missing[topic].values():
                missing *= 1 - (1 - sentence_missing) * factor
            matches.append(
                TopicMatch(
                    topic=topic,
                    confidence=round(1 - missing, 4),
                    evidence=[
                        e
                        for i, found in sorted(evidence.items())
                        if self._cues[i][0] == topic
                        for e in found.values()
                    ],
                )
            )
        return sorted(matches, key=lambda match: (-match.confidence, match.topic))


def _match_tree(node: _Test, doc: _Arrays, i: int) -> tuple[int, ...] | None:
    """The tokens of the tree rooted at token i (which passes `node`), or None."""
    tokens = [i]
    token = doc.doc[i]
    for child in node.children:
        below = (
            (t.i for t in token.subtree if t.i != i)
            if child.descendant
            else (t.i for t in token.children)
        )
        for j in below:
            if child.passes(doc, j):
                matched = _match_tree(child, doc, j)
                if matched is not None:
                    tokens.extend(matched)
                    break
        else:
            return None
    return tuple(tokens)


def _match_phrase(phrase: list[_Test], doc: _Arrays, i: int, position: int) -> int | None:
    """Where the phrase ends when it starts at token i with its element `position`, or None.
    Repeats are greedy and give back tokens when the rest needs them."""
    if position == len(phrase):
        return i
    test = phrase[position]
    if test.op in ("*", "+"):
        run = i
        while run < len(doc.lemma) and test.passes(doc, run):
            run += 1
        least = i + 1 if test.op == "+" else i
        for stop in range(run, least - 1, -1):
            end = _match_phrase(phrase, doc, stop, position + 1)
            if end is not None:
                return end
        return None
    if i < len(doc.lemma) and test.passes(doc, i):
        end = _match_phrase(phrase, doc, i + 1, position + 1)
        if end is not None:
            return end
    if test.op == "?":
        return _match_phrase(phrase, doc, i, position + 1)
    return None
