"""inclusion_geo: stage two of the 100% Digital Leeds model for any council.

Find where people are at risk of digital exclusion (barriers), which community places could help
them (assets), and where support is missing (opportunities).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inclusion-geo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .datasets import DemoBorough, load_demo_borough
from .pipeline import StageTwoResult, run_demo, run_stage_two, run_stage_two_by, with_plans
from .report import write_outputs
from .scoring import Recipe, RecipeIndicator, default_recipe, load_recipe

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
