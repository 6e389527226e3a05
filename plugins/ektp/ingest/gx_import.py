"""Import Great Expectations without loading SciPy's statistics and Altair, which it never uses here.

``import great_expectations`` imports every expectation and data source it ships. Two of them pull in
large libraries at import time: the KL-divergence expectation and two KS-test metrics import
``scipy.stats`` (which loads most of SciPy), and the same expectation imports ``altair`` to draw its chart.
None of our suites uses them, yet together they are close to half of the import, paid by every task
process that validates (``python -X importtime`` with pandas and SQLAlchemy already imported, as in a task;
BENCHMARKS.md).

While Great Expectations imports, those two module names stand for placeholders; the first attribute
anyone reads from a placeholder (``stats.entropy``, ``alt.Chart``) imports the real module and reads it
from there. Once the import is done the placeholders leave ``sys.modules``, so any later
``import scipy.stats`` is the ordinary one. A library already imported is used as it is.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager

#: modules Great Expectations imports at start-up only for expectations our suites never run
DEFERRED = ("scipy.stats", "altair")


class DeferredModule(types.ModuleType):
    """Stands for a module until one of its attributes is read; then imports it and forwards to it."""

    def __init__(self, name: str):
        super().__init__(name)
        # the import system reads __spec__ of a module it finds in sys.modules: that must not load it
        self.__dict__["__spec__"] = None
        self.__dict__["_loaded"] = None

    def __getattr__(self, attribute: str):
        return getattr(self._module(), attribute)

    def _module(self) -> types.ModuleType:
        loaded = self.__dict__["_loaded"]
        if loaded is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            loaded = self.__dict__["_loaded"] = importlib.import_module(self.__name__)
        return loaded


@contextmanager
def deferred(*names: str) -> Iterator[None]:
    """Inside the block, importing any of ``names`` (not yet imported) gives a :class:`DeferredModule`."""
    placed = {}
    for name in names:
        if name not in sys.modules:
            placed[name] = sys.modules[name] = DeferredModule(name)
    try:
        yield
    finally:
        for name, placeholder in placed.items():
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]


def import_great_expectations() -> types.ModuleType:
    """``import great_expectations``, without the start-up cost of :data:`DEFERRED` (a no-op once imported)."""
    if "great_expectations" not in sys.modules:
        with deferred(*DEFERRED):
            import great_expectations  # noqa: F401
    return sys.modules["great_expectations"]
