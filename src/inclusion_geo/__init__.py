"""inclusion_geo: stage two of the 100% Digital Leeds model for any council.

Find where people are at risk of digital exclusion (barriers), which community places could help
them (assets), and where support is missing (opportunities).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inclusion-geo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

# the public names, imported on first use (PEP 562): ``import inclusion_geo`` stays cheap, so
# the command line can start its worker processes before the analysis stack is loaded
_WHERE = {
    "DemoBorough": "datasets",
    "load_demo_borough": "datasets",
    "StageTwoResult": "pipeline",
    "run_demo": "pipeline",
    "run_stage_two": "pipeline",
    "run_stage_two_by": "pipeline",
    "with_plans": "pipeline",
    "write_outputs": "report",
    "Recipe": "scoring",
    "RecipeIndicator": "scoring",
    "default_recipe": "scoring",
    "load_recipe": "scoring",
}


def __getattr__(name: str):
    if name in _WHERE:
        from importlib import import_module

        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value  # once found, an ordinary attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "__version__",
    "DemoBorough",
    "load_demo_borough",
    "StageTwoResult",
    "run_demo",
    "run_stage_two",
    "run_stage_two_by",
    "with_plans",
    "write_outputs",
    "Recipe",
    "RecipeIndicator",
    "default_recipe",
    "load_recipe",
]
