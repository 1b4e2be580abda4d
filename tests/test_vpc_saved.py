"""A VideoPatchCore file in an earlier save format is refused, with the call that refits it.

The fixture `tests/data/vpc_model_before_banks.safetensors` was written by an earlier VideoPatchCore (its memories
`MOTION_BANKS`, fitted on the generated street scene) before the memories became `Bank` objects; `VideoPatchCore.load`
must not read it as today's format, and its message must say how to make a model that loads.
"""
from pathlib import Path
import pytest
from akt_vpc.vad.memory import load_banks
from akt_vpc.vad.vpc import FORMAT, VideoPatchCore

OLD = Path(__file__).parent/'data'/'vpc_model_before_banks.safetensors'


def test_fixture_is_another_format():
    "The fixture really is an old file: readable as memories, but not marked with today's `FORMAT`."
    memories, meta = load_banks(OLD)
    assert set(memories) == {'motion', 'flowgrid'} and meta.get('format') != FORMAT


def test_old_format_refused_with_refit_call():
    "Loading it raises one `ValueError` naming the file and the `VideoPatchCore(...).fit(...).save(...)` that refits it."
    with pytest.raises(ValueError) as e: VideoPatchCore.load(OLD)
    msg = str(e.value)
    assert msg.startswith(f'path: {OLD}'), msg
    assert "Refit it on the training videos: VideoPatchCore(banks=('motion', 'flowgrid')" in msg
    assert msg.endswith('.fit(train_videos).save(path)'), msg
