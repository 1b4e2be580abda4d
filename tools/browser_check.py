"""Check that the browser tests can run: Chromium (the docs pages), Playwright and JupyterLab (the widget explorers).

`make docs-test` and `make widgets-browser-test` run this first: when something is missing it prints what, and the
command that installs it, and exits with status 1, so the target fails instead of passing with every browser check
skipped. Chromium is found as `$CHROMIUM`, else the first of the usual names on the PATH.

Usage: python tools/browser_check.py
"""
import importlib.util, os, shutil, sys

NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')


def chromium() -> str|None:
    "A Chromium/Chrome binary: `$CHROMIUM`, else the first of the usual names on the PATH."
    cands = [os.environ.get('CHROMIUM'), *NAMES]
    return next((shutil.which(c) for c in cands if c and shutil.which(c)), None)


def missing() -> list[str]:
    "What the browser tests need and this machine lacks, each with the command that installs it."
    out = []
    if chromium() is None: out.append('Chromium: apt-get install -y chromium (or set $CHROMIUM to a Chrome/Chromium binary)')
    if importlib.util.find_spec('playwright') is None:
        out.append('Playwright: pip install playwright (it drives the system Chromium; no browser download)')
    if importlib.util.find_spec('jupyterlab') is None: out.append('JupyterLab: pip install jupyterlab')
    return out


if __name__ == '__main__':
    need = missing()
    if need:
        print('the browser tests cannot run; install:\n' + '\n'.join(f'  {n}' for n in need), file=sys.stderr)
        sys.exit(1)
