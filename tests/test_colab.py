"""What users run in Colab, checked here without a network: CIFAR through torchvision's own download code, the public
CIFAR ResNets through ours, `akt-vpc zsq` on them, and (slow) the rehearsal of both tutorials.

The network entry points serve local files in the real formats (`tests/colab_harness.py`); nothing is downloaded.
"""
import contextlib, io, json, os, subprocess, sys, tempfile
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from colab_harness import ROOT, cifar_fixtures, weight_fixtures, served, rehearse, TUTORIALS  # noqa: E402

colab_test = pytest.mark.skipif('slow' not in os.environ.get('AKT_VPC_FLAGS', '').split() and not os.environ.get('AKT_VPC_COLAB_TEST'),
                                reason='part of the Colab rehearsal: runs with AKT_VPC_FLAGS=slow or `make colab-test`')


@pytest.fixture
def offline_colab(tmp_path, monkeypatch):
    "CIFAR archives and release weights served from local files, an empty cache, the shared data hidden; yields the request log."
    fx = [cifar_fixtures(tmp_path/'fx'), weight_fixtures(tmp_path/'fx')]
    monkeypatch.setenv('AKT_VPC_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('AKT_VPC_DATA', str(tmp_path/'no-shared-data'))
    urls = {u: p for f in fx for u, p in f['urls'].items()}
    restores = [f['accept'](urls) for f in fx]
    seen = []
    try:
        with served(urls, log=seen.append): yield seen
    finally:
        for r in restores: r()


def test_run_zsq_module_on_torchvision_cifar10(offline_colab):
    "`run_zsq(<nn.Module>, dataset='cifar10')`: torchvision downloads (the served archive), checks and reads CIFAR-10."
    from akt_vpc.models import resnet20
    from akt_vpc.zsq.train import run_zsq
    torch.manual_seed(0)
    out = run_zsq(resnet20(), dataset='cifar10', iterations=2, warmup_iterations=1, batch_size=4, device='cpu', calib_batches=1)
    assert (out.model, out.dataset, out.finished) == ('CifarResNet', 'cifar10', True)
    assert 0 <= out.fp_acc <= 100 and isinstance(out.qmodel, torch.nn.Module)
    assert any('cifar-10-python.tar.gz served' in s for s in offline_colab), offline_colab
    assert (Path(os.environ['AKT_VPC_CACHE'])/'data'/'cifar-10-batches-py'/'test_batch').exists()


def test_cli_zsq_resnet56_cifar100(offline_colab):
    "`akt-vpc zsq --model resnet56_cifar100 --dataset cifar100`: release weights and CIFAR-100 through the download code."
    from akt_vpc.cli import main
    from akt_vpc.models import PRETRAINED
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
        rc = main(['zsq', '--model', 'resnet56_cifar100', '--dataset', 'cifar100', '--iterations', '2', '--warmup', '1',
                   '--batch', '4', '--device', 'cpu', '--json'])
    assert rc == 0
    res = json.loads(out.getvalue())
    assert (res['model'], res['dataset'], res['finished']) == ('resnet56_cifar100', 'cifar100', True)
    release = PRETRAINED['resnet56_cifar100'][0]
    assert any(s.startswith(f'    network: {release} served') for s in offline_colab)
    assert (Path(os.environ['AKT_VPC_CACHE'])/release.rsplit('/', 1)[-1]).exists()
    assert any('cifar-100-python.tar.gz served' in s for s in offline_colab)


def test_release_file_with_wrong_hash_is_deleted(tmp_path, monkeypatch):
    "A release file whose sha256 does not start with its name's suffix is deleted, and the error says so."
    from akt_vpc.core import DownloadError
    from akt_vpc.models import PRETRAINED, pretrained_cifar_resnet
    fx = weight_fixtures(tmp_path/'fx')        # stand-ins: their hashes are not the release suffixes (not accepted here)
    monkeypatch.setenv('AKT_VPC_CACHE', str(tmp_path/'cache'))
    monkeypatch.setenv('AKT_VPC_DATA', str(tmp_path/'no-shared-data'))
    err = io.StringIO()
    with served(fx['urls'], log=lambda s: None), contextlib.redirect_stderr(err), pytest.raises(DownloadError) as e:
        pretrained_cifar_resnet('resnet32_cifar10', download=True)
    url = PRETRAINED['resnet32_cifar10'][0]
    assert url in str(e.value) and 'expected ef93fc4d' in str(e.value) and 'deleted' in str(e.value)
    assert 'deleted it' in err.getvalue()
    assert not any((tmp_path/'cache').iterdir())   # no file left behind, not even a partial one


def test_pretrained_names_offline(tmp_path, monkeypatch):
    "Without download=True a pretrained name that is not cached is refused, naming what to do."
    from akt_vpc.models import pretrained_cifar_resnet
    monkeypatch.setenv('AKT_VPC_CACHE', str(tmp_path))
    with pytest.raises(FileNotFoundError, match='download=True'): pretrained_cifar_resnet('resnet44_cifar100')


@colab_test
def test_colab_rehearsal():
    "Every cell of both tutorials runs under Colab's conditions (see tests/colab_harness.py); the log lists each cell."
    done = rehearse(TUTORIALS)
    assert set(done) == {p.name for p in TUTORIALS} and all(n > 0 for n in done.values())


@colab_test
def test_widgets_on_ipywidgets7():
    "The widget notebook's tests pass with ipywidgets 7.7.1 (Colab's) first on the path, installed in a folder of its own."
    target = Path(os.environ.get('AKT_VPC_IPYWIDGETS7', Path(tempfile.gettempdir())/'akt_vpc_ipywidgets7'))
    if not (target/'ipywidgets').is_dir():   # the Python side only: the front-end packages (widgetsnbextension, ...) are Colab's
        r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target', str(target),
                            'ipywidgets==7.7.1', 'ipython_genutils==0.2.0'], capture_output=True, text=True)
        if r.returncode: pytest.skip(f'could not install ipywidgets 7.7.1 from the package registry: {r.stderr.strip()[-300:]}')
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(target), str(ROOT)])}
    version = subprocess.run([sys.executable, '-c', 'import ipywidgets; print(ipywidgets.__version__)'], env=env,
                             capture_output=True, text=True).stdout.strip()
    assert version == '7.7.1', version
    r = subprocess.run([sys.executable, '-m', 'pytest', 'tests/test_notebooks.py', '-n', '0', '-q', '-k', '21_widgets'],
                       env=env, cwd=ROOT, capture_output=True, text=True)
    print(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0, r.stdout[-4000:]
