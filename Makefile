# The two set-up commands of the README. Each installs what it needs (idempotent) and then runs.
PYTHON ?= python3
PYTEST_ARGS ?= -n 2

.PHONY: install demo test slow-test docs-test colab-test widgets-browser-test
install:
	@$(PYTHON) tools/install.py

demo: install
	@$(PYTHON) -c "import sys; from akt_vpc.cli import main; sys.exit(main(['demo'] + sys.argv[1:]))" $(ARGS)

test: install
	@$(PYTHON) -m pytest tests $(PYTEST_ARGS)

docs-test: install
	@$(PYTHON) tools/browser_check.py
	@AKT_VPC_DOCS=1 $(PYTHON) -m pytest tests/test_docs.py tests/test_widgets_browser.py $(PYTEST_ARGS)

# the docs pages and the explorers of 21_widgets in headless Chromium; tools/browser_check.py fails first, saying
# what to install, when Chromium, Playwright or JupyterLab is missing
widgets-browser-test: install
	@$(PYTHON) tools/browser_check.py
	@AKT_VPC_BROWSER=1 $(PYTHON) -m pytest tests/test_widgets_browser.py -n 0

slow-test: install
	@AKT_VPC_FLAGS=slow $(PYTHON) -m pytest tests $(PYTEST_ARGS)

# The Colab rehearsal: every cell of both tutorials on this CPU with the network served from local fixtures
# (tests/colab_harness.py; its log lists each cell), and the widget explorers under ipywidgets 7.7.1 (Colab's).
colab-test: install
	@AKT_VPC_COLAB_TEST=1 $(PYTHON) -m pytest tests/test_colab.py -n 0 -s -q $(ARGS)
