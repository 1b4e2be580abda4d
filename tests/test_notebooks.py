"""Run every notebook in nbs/ as a test, one pytest case per notebook (nbdev's own runner underneath).

Flags: set AKT_VPC_FLAGS="slow gpu" to run cells marked `#| slow` or `#| gpu` too
(the same as `nbdev_test --flags "slow gpu"`).
"""
import os
from pathlib import Path

import pytest
from nbdev.test import test_nb as run_nb  # a bare `test_nb` name would be collected by pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
ALL_FLAGS = ['slow', 'gpu', 'notest']


@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb, monkeypatch):
    force = os.environ.get('AKT_VPC_FLAGS', '').split()
    skip = [f for f in ALL_FLAGS if f not in force]
    monkeypatch.chdir(nb.parent)
    monkeypatch.setenv('IN_TEST', '1')
    ok, secs = run_nb(nb, skip_flags=skip, force_flags=force, showerr=True, basepath=ROOT)
    assert ok, f'{nb.name} failed (see the traceback above)'
