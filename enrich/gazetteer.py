"""The curated data behind the entity rules: weapons, organisations and country names.

Each kind lives in a YAML file under enrich/data/ (adding a weapon is a data change); this module
reads and validates them, so that a mistake in a file is reported with its path, not as a
KeyError deep in a pipeline component."""

from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from enrich.errors import EnrichmentError

DATA_DIR = Path(__file__).resolve().parent / "data"
WEAPONS_PATH = DATA_DIR / "weapons.yaml"
ORGANIZATIONS_PATH = DATA_DIR / "organizations.yaml"
COUNTRIES_PATH = DATA_DIR / "countries.yaml"


class GazetteerError(EnrichmentError):
    """A gazetteer file is missing or does not hold what it should."""


def _to_text(value: object) -> object:
    # YAML reads `2000` as an int and `2A7` as a string; designations are text either way.
    return str(value) if isinstance(value, int | float) else value


Text = Annotated[str, BeforeValidator(_to_text), Field(min_length=1)]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Family(_Data):
    """A designation prefix such as "Su" or "F": PREFIX-NUMBER[SUFFIX] names a weapon."""

    prefix: Text
    numbers: frozenset[Text] | None = Field(
        default=None, description="The numbers that name a weapon; absent: any number."
    )
    joiner: str = Field(default="-", description="Between prefix and number in the name.")
    category: Text
    context: bool = Field(default=False, description="Needs a cue word nearby.")
    strict_case: bool = Field(
        default=False, description="Needs a cue word nearby unless written as `prefix` is."
    )


class Named(_Data):
    """A weapon or organisation known by name, with other names it goes by."""

    name: Text
    aliases: list[Text] = Field(default_factory=list)
    category: Text | None = None
    ambiguous: bool = Field(
        default=False,
        description="Its one-word names are also ordinary words: matched as written, with context.",
    )
    surname: bool = Field(default=False, description="Its one-word name is also a family name.")
    nicknames: list[Text] = Field(
        default_factory=list,
        description='Other names (NATO reporting names: "Satan") that take `name` only with a '
        "military word nearby.",
    )

    def forms(self) -> list[str]:
        """Its name, aliases and nicknames."""
        return [self.name, *self.aliases, *self.nicknames]


class Cues(_Data):
    """Words that make a nearby designation or ambiguous name a weapon."""

    equipment: frozenset[Text]
    military: frozenset[Text]
    descriptive: frozenset[Text] = frozenset()
    heads: frozenset[Text] = Field(
        default=frozenset(),
        description="Class nouns that make the capitalised name written before them a weapon.",
    )
    qualified_heads: frozenset[Text] = Field(
        default=frozenset(),
        description='Class nouns that do so only after a modifier ("fighter jets", not "jets").',
    )
    modifiers: frozenset[Text] = Field(
        default=frozenset(),
        description="Words that may stand between such a name and its class noun.",
    )


class Negatives(_Data):
    """Look-alikes of designations that are not weapons."""

    mentions: frozenset[Text]
    makers: frozenset[Text] = Field(
        default=frozenset(), description="Veto designations that need context only."
    )
    neighbours: frozenset[Text]
    heritage: frozenset[Text] = Field(
        default=frozenset(),
        description="Words of a sentence about museum pieces, replicas or toys, where a name "
        'before a class noun is no weapon in service ("a restored Sherman tank").',
    )
    owners: frozenset[Text] = Field(
        default=frozenset(),
        description="Capitalised words that own or date equipment rather than name it "
        '("Navy frigates", "Monday missiles").',
    )
    civil_aircraft: list[Text] = Field(
        default_factory=list,
        description="Regular expressions (whole mention, any case) of airliner families: never "
        "weapons, whatever their context; military variants have names of their own.",
    )


class WeaponData(_Data):
    """The content of weapons.yaml."""

    cues: Cues
    negatives: Negatives
    ship_prefixes: frozenset[Text] = frozenset()
    families: list[Family]
    weapons: list[Named]


class OrganizationData(_Data):
    """The content of organizations.yaml."""

    organizations: list[Named]


class CountryData(_Data):
    """The content of countries.yaml: ISO 3166-1 alpha-2 codes by name."""

    names: dict[Text, Text] = Field(description="Code -> the name news uses for the country.")
    aliases: dict[Text, Text] = Field(description="Other names of countries -> code.")
    demonyms: dict[Text, Text] = Field(description="Demonyms and adjectives -> code.")
    capitals: dict[Text, Text] = Field(
        default_factory=dict, description="Capitals that stand for their government -> code."
    )
    cities: list[Text] = Field(
        default_factory=list,
        description="Capitals and major cities, as written: places where no name is beside them.",
    )
    regions: list[Text] = Field(
        default_factory=list,
        description="Regions, seas and areas that are places, never organisations or people.",
    )


_Model = TypeVar("_Model", bound=BaseModel)


def load(path: Path | str, model: type[_Model]) -> _Model:
    """Reads a YAML gazetteer file into `model`; raises GazetteerError if it cannot."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GazetteerError(
            f"cannot read the gazetteer {path}: {error}. Point the setting at a readable YAML "
            "file, or unset it to use the packaged one."
        ) from error
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise GazetteerError(
            f"the gazetteer {path} is not a valid {model.__name__}: {error}. Fix the entries "
            "named above (see the comment at the top of the packaged file for the format)."
        ) from error
