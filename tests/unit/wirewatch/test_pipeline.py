"""The pipeline: its held state, a batch held through an outage makes the service unready."""

import pytest

from contracts import WirewatchError
from wirewatch.pipeline import PipelineState


async def test_a_held_pipeline_is_not_ready_until_released() -> None:
    state = PipelineState()
    await state.check()
    assert state.hold("Elasticsearch did not accept 3 document(s)") is True
    assert state.hold("still down") is False  # one outage, said once
    with pytest.raises(WirewatchError, match="still down"):
        await state.check()
    lasted = state.release()
    assert lasted is not None
    assert lasted >= 0
    assert state.release() is None
    await state.check()
