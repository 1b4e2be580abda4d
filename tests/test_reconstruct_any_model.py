"""`run_reconstruction` end to end (tiny budget) on CNNs that are not the package's ResNet: the option-A CIFAR ResNet
(`F.relu` calls, parameter-free shortcuts) at W4A4, torchvision's ResNet-18 and MobileNetV2 at 64 x 64 (random
weights) at W4A8; each reconstructed model exported to ONNX at its input size and run by onnxruntime.

How close is close: a quantized network with random weights is chaotic (a nudge of 1e-4 to its input flips some
activation codes, and the flips grow through the layers: MobileNetV2's logits then move by ~16% of their range at
A8), so onnxruntime, whose integer kernels round differently from torch's float ones, is asked to stay within twice
that movement (plus 2% of the range), measured on the same inputs."""
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset
from akt_vpc.models import OptionAResNet
from akt_vpc.zsq.blocks import default_blocks
from akt_vpc.zsq.learned_quant import AdaRoundQuantizer
from akt_vpc.zsq.reconstruct_run import run_reconstruction

TINY = dict(w_bits=4, images=32, iterations=2, generator_iterations=2, bn_steps=2, batch_size=8, device='cpu')


def _with_bn_stats(net: nn.Module, size: int) -> nn.Module:
    "A random network whose BatchNorm statistics are those of one batch of noise (so its activations have a scale)."
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm): m.reset_running_stats(); m.momentum = None
    with torch.no_grad(): net.train()(torch.randn(16, 3, size, size, generator=torch.Generator().manual_seed(1)))
    return net.eval()


def _model(arch: str) -> nn.Module:
    if arch == 'option_a': return OptionAResNet(8)
    import torchvision
    return torchvision.models.get_model(arch, num_classes=10)


@pytest.mark.parametrize('arch, size, a_bits, n_blocks', [('option_a', 32, 4, 5), ('resnet18', 64, 8, 10),
                                                          ('mobilenet_v2', 64, 8, 20)])
def test_reconstruct_and_export(arch, size, a_bits, n_blocks, tmp_path):
    pytest.importorskip('onnxruntime')
    from akt_vpc.zsq.export import export_onnx, OnnxModule
    torch.manual_seed(0); torch.set_num_threads(1)
    fp = _with_bn_stats(_model(arch), size)
    test = TensorDataset(torch.randn(16, 3, size, size), torch.randint(0, 10, (16,)))
    res = run_reconstruction(fp, test, a_bits=a_bits, **TINY)
    q = res.qmodel
    assert len(default_blocks(fp)) == n_blocks and q.image_shape == (3, size, size)
    rounded = [m.wq for m in q.modules() if hasattr(m, 'wq')]
    assert rounded and all(isinstance(r, AdaRoundQuantizer) and not r.soft for r in rounded)  # every weight layer reconstructed
    path = export_onnx(q, tmp_path/f'{arch}.onnx')                     # at the size it was calibrated on
    x = torch.randn(32, 3, size, size)
    with torch.no_grad(): ref, out, nudged = q(x), OnnxModule(path)(x), q(x + 1e-4 * torch.randn_like(x))
    assert out.shape == ref.shape == (32, 10)
    err, chaos = [(o - ref).abs().max().item() / ref.abs().max().item() for o in (out, nudged)]
    assert err <= 2 * chaos + 0.02, (err, chaos)


def test_option_a_blocks_use_functional_sites():
    "The option-A ResNet's blocks, which hooks could not find in its quantized copy (its forward is a rewritten graph)."
    assert default_blocks(OptionAResNet(8)) == [('conv1', 'bn1', '%relu'), ('layer1.0',), ('layer2.0',), ('layer3.0',),
                                                ('linear',)]
