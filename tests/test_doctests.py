"""Every docstring example in the package runs, and prints what it says it prints.

One test per module of ``inclusion_geo`` (found by walking the package, so a new module is
covered without a change here). Examples run with the module's globals, in a fresh temporary
working folder, under the suite's warning filters (a warning an example does not expect is an
error, as everywhere in the suite).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import inclusion_geo

MODULES = sorted(m.name for m in pkgutil.walk_packages(inclusion_geo.__path__, "inclusion_geo."))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run_examples(module: types.ModuleType) -> tuple[int, int, str]:
    """Run ``module``'s docstring examples: ``(attempted, failed, report of the failures)``."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
    report: list[str] = []
    for test in finder.find(module, module.__name__):
        runner.run(test, out=report.append, clear_globs=True)
    return runner.tries, runner.failures, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    attempted, failed, report = run_examples(module)
    assert failed == 0, f"{failed} of {attempted} example(s) in {name} failed:\n{report}"


def test_the_package_has_examples_and_all_are_found():
    """The walk finds the package's modules, and they hold examples (so the tests above are not
    vacuous): every module whose source has a ``>>>`` line yields at least one example."""
    assert {"inclusion_geo.hotspots", "inclusion_geo.scoring", "inclusion_geo.pipeline"} <= set(
        MODULES
    )
    finder = doctest.DocTestFinder(exclude_empty=True)
    with_examples = []
    for name in MODULES:
        module = importlib.import_module(name)
        found = sum(len(t.examples) for t in finder.find(module, name))
        source = Path(module.__file__ or "")
        if source.suffix == ".py" and ">>>" in source.read_text(encoding="utf-8"):
            assert found > 0, f"{name} has '>>>' lines but no example was found in it"
            with_examples.append(name)
    assert len(with_examples) >= 15


def test_a_wrong_example_fails():
    """The runner reports an example whose output is wrong (the check above can fail)."""
    module = types.ModuleType("fake_module", "Example\n-------\n>>> 1 + 1\n3\n")
    attempted, failed, report = run_examples(module)
    assert (attempted, failed) == (1, 1)
    assert "Expected:\n    3\nGot:\n    2" in report
