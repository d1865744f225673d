"""Request and response bodies: orjson's speed, the standard serializer's outcomes."""

import orjson
import pytest
from elasticsearch.serializer import JsonSerializer

from index import IndexSettings, connect
from index.client import FastJsonSerializer


def test_the_client_sends_what_the_standard_serializer_would_through_orjson() -> None:
    serializer = connect(IndexSettings()).transport.serializers.get_serializer("application/json")
    standard = JsonSerializer()
    document = {"title": "Talks in Caracas – día 2", "entities": [{"start": 0, "end": 5}],
                "confidence": 0.25, "warnings": [], "kafka": None}  # fmt: skip

    assert isinstance(serializer, FastJsonSerializer)
    assert orjson.loads(serializer.dumps(document)) == document
    assert serializer.loads(standard.dumps(document)) == document


@pytest.mark.parametrize(
    "refused_by_orjson",
    [{"query": "title:\ud800"}, {"quantity": 2**70}],
    ids=["lone-surrogate", "integer-beyond-64-bits"],
)
def test_what_orjson_refuses_is_serialized_as_the_standard_serializer_does(
    refused_by_orjson: dict[str, object],
) -> None:
    serializer = FastJsonSerializer()
    standard = JsonSerializer()

    assert serializer.dumps(refused_by_orjson) == standard.dumps(refused_by_orjson)
    assert serializer.loads(standard.dumps({"n": 2**70})) == {"n": 2**70}
