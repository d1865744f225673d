"""Topic tagging from a taxonomy file: a generic interpreter of enrich/data/topics.yaml (pure).

The taxonomy's cues compile once into one spaCy `Matcher` and one `DependencyMatcher`; tagging a
doc runs both and then looks only at the sentences they matched.
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

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
from spacy.matcher import DependencyMatcher, Matcher
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

from contracts.models import TopicEvidence, TopicMatch
from enrich.errors import EnrichmentError

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parent / "data" / "topics.yaml"

# Evidence kept per cue: enough to show why, without copying a long article into the index.
_MAX_EVIDENCE_PER_CUE = 3


class TaxonomyError(EnrichmentError):
    """The topic taxonomy file cannot be read or is not valid."""


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
    op: Literal["?", "*", "+", "!"] | None = Field(default=None, description="In phrases only.")
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
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    topics: dict[str, Topic] = Field(min_length=1)

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
    lexicons = raw.get("lexicons") or {}
    try:
        return Taxonomy.model_validate(raw, context={"lexicons": lexicons})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
        raise TaxonomyError(
            f"the topic file {path} is not valid: {problems}. Fix it (its header "
            "describes the format)."
        ) from error


# Lemmas of proper nouns keep their case ("Army", "ICBM"): a lemma test matches any of these.
def _cased(words: Iterable[str]) -> list[str]:
    forms: dict[str, None] = {}
    for word in words:
        for form in (word, word.lower(), word.capitalize(), word.upper()):
            forms[form] = None
    return list(forms)


def _alternatives(test: TokenTest) -> list[dict[str, Any]]:
    """spaCy token patterns, one per word test, each with all the constraints."""
    constraints: dict[str, Any] = {}
    if test.pos:
        constraints["POS"] = {"IN": test.pos}
    if test.dep:
        constraints["DEP"] = {"IN": test.dep}
    words: list[dict[str, Any]] = []
    if test.lemma:
        words.append({"LEMMA": {"IN": _cased(test.lemma)}})
    if test.lower:
        words.append({"LOWER": {"IN": [word.lower() for word in test.lower]}})
    if test.ent:
        words.append({"ENT_TYPE": {"IN": test.ent}})
    return [{**word, **constraints} for word in words or [{}]]


def _tree_patterns(root: TokenTest) -> list[list[dict[str, Any]]]:
    """DependencyMatcher patterns of a tree: every combination of its nodes' alternatives."""
    nodes: list[tuple[str, str | None, str, TokenTest]] = []

    def visit(test: TokenTest, parent: str | None) -> None:
        node_id = f"n{len(nodes)}"
        nodes.append((node_id, parent, ">>" if test.descendant else ">", test))
        for child in test.children:
            visit(child, node_id)

    visit(root, None)
    patterns = []
    for combination in itertools.product(*(_alternatives(test) for *_, test in nodes)):
        pattern: list[dict[str, Any]] = []
        for (node_id, parent, relation, _), attrs in zip(nodes, combination, strict=True):
            if parent is None:
                pattern.append({"RIGHT_ID": node_id, "RIGHT_ATTRS": attrs})
            else:
                pattern.append({"LEFT_ID": parent, "REL_OP": relation,
                                "RIGHT_ID": node_id, "RIGHT_ATTRS": attrs})  # fmt: skip
        patterns.append(pattern)
    return patterns


def _phrase_patterns(phrase: list[TokenTest]) -> list[list[dict[str, Any]]]:
    per_position = [
        [{**attrs, "OP": test.op} if test.op else attrs for attrs in _alternatives(test)]
        for test in phrase
    ]
    return [list(combination) for combination in itertools.product(*per_position)]


@dataclass(frozen=True)
class _CompiledCue:
    topic: str
    cue: Cue


@dataclass(frozen=True)
class _Hit:
    cue: int
    tokens: tuple[int, ...]


class _SentenceWords:
    """The lemmas, lower forms and entity labels of a sentence, computed once per sentence."""

    def __init__(self, sentence: Span) -> None:
        self.sentence = sentence
        self.lemmas = {token.lemma_.lower() for token in sentence}
        self.lowers = {token.lower_ for token in sentence}
        self.labels = {token.ent_type_ for token in sentence if token.ent_type_}

    def has(self, test: TokenTest) -> bool:
        if test.pos or test.dep:
            return any(_passes(token, test) for token in self.sentence)
        return (
            not self.lemmas.isdisjoint(word.lower() for word in test.lemma)
            or not self.lowers.isdisjoint(word.lower() for word in test.lower)
            or not self.labels.isdisjoint(test.ent)
        )


def _passes(token: Token, test: TokenTest) -> bool:
    words = (
        (test.lemma and token.lemma_.lower() in {w.lower() for w in test.lemma})
        or (test.lower and token.lower_ in {w.lower() for w in test.lower})
        or (test.ent and token.ent_type_ in test.ent)
        or not (test.lemma or test.lower or test.ent)
    )
    return bool(
        words
        and (not test.pos or token.pos_ in test.pos)
        and (not test.dep or token.dep_ in test.dep)
    )


class TopicTagger:
    """Tags docs with the topics of a taxonomy. Build once per vocab; `tag` is pure."""

    def __init__(self, taxonomy: Taxonomy, vocab: Vocab) -> None:
        self.taxonomy = taxonomy
        self._cues: list[_CompiledCue] = []
        self._matcher = Matcher(vocab)
        self._dependency_matcher = DependencyMatcher(vocab)
        # Matcher keys: f"{cue index}" for phrases and trees, f"{cue index}#{word}" for near.
        self._keys: dict[int, tuple[int, int | None]] = {}
        for topic_name, topic in taxonomy.topics.items():
            for cue in topic.cues:
                index = len(self._cues)
                self._cues.append(_CompiledCue(topic_name, cue))
                self._compile(index, cue, vocab)

    @classmethod
    def from_file(cls, path: Path, vocab: Vocab) -> Self:
        """A tagger for the topic file at `path`."""
        return cls(load_taxonomy(path), vocab)

    def _compile(self, index: int, cue: Cue, vocab: Vocab) -> None:
        key = str(index)
        self._keys[vocab.strings.add(key)] = (index, None)
        if cue.phrases:
            patterns = [p for phrase in cue.phrases for p in _phrase_patterns(phrase)]
            self._matcher.add(key, patterns)
        if cue.trees:
            trees = [pattern for tree in cue.trees for pattern in _tree_patterns(tree)]
            self._dependency_matcher.add(key, trees)
        if cue.near:
            for word, test in enumerate(cue.near.words):
                near_key = f"{index}#{word}"
                self._keys[vocab.strings.add(near_key)] = (index, word)
                self._matcher.add(near_key, [[attrs] for attrs in _alternatives(test)])

    def tag(self, doc: Doc) -> list[TopicMatch]:
        """Every topic with at least one matching cue, with its confidence and evidence,
        most confident first."""
        if not self._cues:
            return []
        hits = list(self._hits(doc))
        sentences: dict[int, _SentenceWords] = {}
        evidence: dict[int, dict[int, TopicEvidence]] = defaultdict(dict)
        for hit in hits:
            sentence = doc[hit.tokens[0]].sent
            words = sentences.get(sentence.start)
            if words is None:
                words = sentences[sentence.start] = _SentenceWords(sentence)
            cue = self._cues[hit.cue].cue
            if cue.context is not None and not words.has(cue.context):
                continue
            if cue.unless is not None and words.has(cue.unless):
                continue
            found = evidence[hit.cue]
            if sentence.start not in found and len(found) < _MAX_EVIDENCE_PER_CUE:
                found[sentence.start] = TopicEvidence(
                    cue=cue.name,
                    sentence=" ".join(sentence.text.split()),
                    matched=[doc[i].text for i in sorted(set(hit.tokens))],
                )
        return self._score(evidence)

    def labels(self, matches: Iterable[TopicMatch]) -> list[str]:
        """The topics of `matches` whose confidence reaches their threshold."""
        return [m.topic for m in matches if m.confidence >= self.taxonomy.threshold_of(m.topic)]

    def _hits(self, doc: Doc) -> Iterator[_Hit]:
        near: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for match_id, start, end in self._matcher(doc):
            index, word = self._keys[match_id]
            if word is None:
                yield _Hit(index, tuple(range(start, end)))
            else:
                near[index][word].append(start)
        for match_id, token_ids in self._dependency_matcher(doc):
            yield _Hit(self._keys[match_id][0], tuple(token_ids))
        for index, positions in near.items():
            yield from self._near_hits(doc, index, positions)

    def _near_hits(self, doc: Doc, index: int, positions: dict[int, list[int]]) -> Iterator[_Hit]:
        rule = self._cues[index].cue.near
        assert rule is not None  # noqa: S101 (only near cues have word keys)
        if len(positions) < len(rule.words):
            return
        for first in positions[0]:
            sentence = doc[first].sent
            chosen = [first]
            for word in range(1, len(rule.words)):
                nearby = [
                    i
                    for i in positions[word]
                    if abs(i - first) <= rule.window
                    and sentence.start <= i < sentence.end
                    and i not in chosen
                ]
                if not nearby:
                    break
                chosen.append(min(nearby, key=lambda i: abs(i - first)))
            else:
                yield _Hit(index, tuple(chosen))

    def _score(self, evidence: dict[int, dict[int, TopicEvidence]]) -> list[TopicMatch]:
        per_topic: dict[str, list[int]] = defaultdict(list)
        for index in evidence:
            per_topic[self._cues[index].topic].append(index)
        matches = []
        for topic, indexes in per_topic.items():
            # Noisy-OR: each distinct cue is independent evidence; repeats of one cue add nothing.
            missing = math.prod(1 - self._cues[i].cue.weight for i in indexes)
            matches.append(
                TopicMatch(
                    topic=topic,
                    confidence=round(1 - missing, 4),
                    evidence=[e for i in sorted(indexes) for e in evidence[i].values()],
                )
            )
        return sorted(matches, key=lambda match: (-match.confidence, match.topic))
