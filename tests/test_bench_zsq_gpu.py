"`bench/zsq_gpu.py --tiny`: the GPU protocol (block reconstruction, then AdaDFQ) runs end to end on the CPU with a tiny budget (one bit-width)."
import importlib.util, json, sys
from pathlib import Path
import pytest
from akt_vpc.core import shared_file, missing_reason
from akt_vpc.zsq.data import CIFAR10_JPEG
from akt_vpc.models import PRETRAINED

NEEDED = [CIFAR10_JPEG, PRETRAINED['resnet20_cifar10'][2]]

def _bench():
    spec = importlib.util.spec_from_file_location('zsq_gpu', Path(__file__).parent.parent/'bench'/'zsq_gpu.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

@pytest.mark.skipif(any(shared_file(r) is None for r in NEEDED),
                    reason=next((missing_reason(r) for r in NEEDED if shared_file(r) is None), ''))
def test_zsq_gpu_tiny(tmp_path):
    out = tmp_path/'zsq_gpu_tiny.json'
    _bench().main(['--tiny', '--bits', '4', '--out', str(out)])
    res = json.loads(out.read_text())
    assert res['tiny'] and res['iterations'] == 3 and res['device'] == 'cpu'
    base, akt = res['runs']
    assert (base['bits'], base['akt'], akt['akt']) == ('W4A4', False, True)
    assert base['finished'] and akt['finished'] and base['last_acc'] is not None and akt['last_acc'] is not None
    assert akt['quantized_only_acc'] == base['quantized_only_acc']   # the AKT twin starts from the base run's warm-up
    assert res['sizing']['s_per_iteration'] > 0 and res['fp_acc'] > 50
    plain, rec_akt = res['reconstruction']      # the block-reconstruction pipeline, without and with AKT
    assert (plain['bits'], plain['akt'], rec_akt['akt']) == ('W4A4', False, True)
    assert plain['quantized_only_acc'] == rec_akt['quantized_only_acc'] and plain['fp_acc'] == res['fp_acc']

def test_zsq_gpu_refuses_bad_budget():
    with pytest.raises(SystemExit): _bench().parse(['--budget-s', '0'])
