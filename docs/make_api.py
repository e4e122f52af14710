"""Write docs/api.md from the public API (each module's ``__all__`` and docstrings).

Run: .venv/bin/python docs/make_api.py   (a test checks the committed file is up to date)
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = [
    "inclusion_geo",
    "inclusion_geo.datasets",
    "inclusion_geo.geography",
    "inclusion_geo.sources",
    "inclusion_geo.indicators",
    "inclusion_geo.scoring",
    "inclusion_geo.presets",
    "inclusion_geo.diagnostics",
    "inclusion_geo.hotspots",
    "inclusion_geo.assets",
    "inclusion_geo.hours",
    "inclusion_geo.register",
    "inclusion_geo.headcounts",
    "inclusion_geo.barriers",
    "inclusion_geo.siting",
    "inclusion_geo.priorities",
    "inclusion_geo.aggregate",
    "inclusion_geo.result",
    "inclusion_geo.pipeline",
    "inclusion_geo.config",
    "inclusion_geo.inputs",
    "inclusion_geo.runner",
    "inclusion_geo.national",
    "inclusion_geo.figures",
    "inclusion_geo.tables",
    "inclusion_geo.report",
    "inclusion_geo.pages",
    "inclusion_geo.mapping",
]


def _summary(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _members(cls) -> list[str]:
    """A class's public methods and properties (its own, not those of ``object`` or a base
    outside the package), each with its signature and the first paragraph of its docstring."""
    lines = []
    for name, member in cls.__dict__.items():
        if name.startswith("_") and name not in ("_repr_html_",):
            continue
        if isinstance(member, property):
            lines += [f"- `{cls.__name__}.{name}` (property): {_summary(member)}"]
        elif inspect.isfunction(member) or isinstance(member, (classmethod, staticmethod)):
            func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            try:
                sig = str(inspect.signature(func)).replace("(self, ", "(").replace("(self)", "()")
            except (TypeError, ValueError):
                sig = "(...)"
            lines += [f"- `{cls.__name__}.{name}{sig}`: {_summary(func)}"]
    return [*lines, ""] if lines else []


def render() -> str:
    lines = [
        "# API reference",
        "",
        "Generated from the code by `docs/make_api.py`; every public name of every module is",
        "listed with its signature and the first paragraph of its docstring. The docstrings",
        "(`help(name)` in a notebook) have the parameters, returns, errors and an example.",
        "",
    ]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", "", _summary(module), ""]
        for name in module.__all__:
            if name.startswith("__"):
                continue
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                try:
                    sig = str(inspect.signature(obj))
                except (TypeError, ValueError):
                    sig = "(...)"
                kind = "class" if inspect.isclass(obj) else "function"
                lines += [f"### `{name}{sig}`", "", f"*{kind}*. {_summary(obj)}", ""]
                if inspect.isclass(obj):
                    lines += _members(obj)
            else:
                lines += [f"### `{name}`", "", f"*constant* ({type(obj).__name__}).", ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    target = Path(__file__).with_name("api.md")
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
