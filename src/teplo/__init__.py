"""teplo: plan and stress-test decentralized heat supply for a city under attack.

The scriptable API mirrors the command line::

    import teplo
    study = teplo.run(teplo.sample_path(), teplo.Settings(), out_dir="out")
    study.buildings        # GeoDataFrame with demand
    study.save("copy.gpkg")
    again = teplo.open_study("out/study.gpkg")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from teplo.errors import InputError, TeploError, TeploWarning

__version__ = "0.1.0"

if TYPE_CHECKING:  # imported lazily below so `import teplo` stays light
    from teplo.io.load import load_area, sample_path
    from teplo.settings import Settings
    from teplo.study import Study, open_study
    from teplo.workflow import run

_LAZY = {
    "load_area": ("teplo.io.load", "load_area"),
    "sample_path": ("teplo.io.load", "sample_path"),
    "Settings": ("teplo.settings", "Settings"),
    "Study": ("teplo.study", "Study"),
    "open_study": ("teplo.study", "open_study"),
    "run": ("teplo.workflow", "run"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'teplo' has no attribute {name!r}")


__all__ = [
    "InputError",
    "Settings",
    "Study",
    "TeploError",
    "TeploWarning",
    "__version__",
    "load_area",
    "open_study",
    "run",
    "sample_path",
]
