"""Install akt_vpc and its test tools into the current Python, once (idempotent and quick when done).

Used by `make demo` and `make test`. It installs the package in editable mode with its
`dev` extras; torch and torchvision come from the package requirements (an existing
install, e.g. Colab's, is kept).
"""
import importlib.util, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ['torch', 'torchvision', 'sklearn', 'cv2', 'safetensors', 'seaborn', 'ipywidgets', 'nbdev', 'pytest', 'xdist', 'onnx', 'onnxruntime']


def installed() -> bool:
    "True when akt_vpc (from any checkout: `make` runs it from this one) and every dependency are importable."
    return all(importlib.util.find_spec(m) is not None for m in NEEDED + ['akt_vpc'])


if __name__ == '__main__':
    if installed(): sys.exit(0)
    print('installing akt_vpc and its dependencies (first run only) ...', flush=True)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', '-e', f'{ROOT}[dev]'])
