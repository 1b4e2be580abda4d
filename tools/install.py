"""Install akt_vpc and its test tools into the current Python, once (idempotent and quick when done).

Used by `make demo` and `make test`. It installs the package in editable mode with its
`dev` extras; torch and torchvision come from the package requirements (an existing
install, e.g. Colab's, is kept).
"""
import importlib.util, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ['torch', 'torchvision', 'sklearn', 'cv2', 'safetensors', 'seaborn', 'ipywidgets', 'nbdev', 'pytest', 'xdist']


def installed() -> bool:
    "True when akt_vpc is importable from this checkout and every dependency is present."
    if any(importlib.util.find_spec(m) is None for m in NEEDED): return False
    spec = importlib.util.find_spec('akt_vpc')
    return spec is not None and spec.origin is not None and Path(spec.origin).resolve().parent == ROOT/'akt_vpc'


if __name__ == '__main__':
    if installed(): sys.exit(0)
    print('installing akt_vpc and its dependencies (first run only) ...', flush=True)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', '-e', f'{ROOT}[dev]'])
