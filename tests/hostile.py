"""Hostile text, in one place, for every output's tests.

Every name that reaches an output (an OSM ``name`` or ``opening_hours`` tag, a council asset
name, an area or ward name from a boundary file, ``[area] name``, a category label) is someone
else's data. Tests feed these strings through each output path and check that they come out as
literal text: never evaluated as a template, never live markup, never a spreadsheet formula,
never maths. A new output is tested against all of them by importing ``HOSTILE`` here.

``EVALUATED`` are strings that would only appear if a template had been evaluated; no output
may contain them. ``fs_payload(path)`` is a template that creates a folder if evaluated.
"""

from __future__ import annotations

from pathlib import Path

# evaluated by Jinja2, this becomes "igEVALUATED49": the test looks for that, never for "49"
TEMPLATE_EXPR = "Lib {{ 'igEVALUATED' ~ (7*7) }} rary"
TEMPLATE_COMMENT = "Hall {# never closed"
TEMPLATE_BLOCK = "Centre {% raw %} x"
TEMPLATE_CLOSE = "Hub }} {% endraw %} #}"
HTML_TAG = "<img src=x onerror=alert(1)>"
HTML_SCRIPT = "</script><script>alert(2)</script>"
FORMULA_EQ = '=HYPERLINK("http://example.invalid","click")'
FORMULA_PLUS = "+1+cmd|' /C calc'!A0"
FORMULA_MINUS = "-2+3"
FORMULA_AT = "@SUM(A1:A2)"
FORMULA_TAB = "\t=1+1"
MARKDOWN_LINK = "[click me](javascript:alert(3))"
MARKDOWN_MARKUP = "**bold** _it_ `code` # not a heading | pipe"
MATHS = r"Cost $\frac{1}{0}$ and $x^$ here"
CONTROL = "Nul\x00and\x07bell\x1b[31mred"
NEWLINES = "Line one\rLine two\nLine three"
BIDI = "Library \u202eredli\u202c"

EVALUATED = ("igEVALUATED49",)

HOSTILE: dict[str, str] = {
    "template_expr": TEMPLATE_EXPR,
    "template_comment": TEMPLATE_COMMENT,
    "template_block": TEMPLATE_BLOCK,
    "template_close": TEMPLATE_CLOSE,
    "html_tag": HTML_TAG,
    "html_script": HTML_SCRIPT,
    "formula_eq": FORMULA_EQ,
    "formula_plus": FORMULA_PLUS,
    "formula_minus": FORMULA_MINUS,
    "formula_at": FORMULA_AT,
    "formula_tab": FORMULA_TAB,
    "markdown_link": MARKDOWN_LINK,
    "markdown_markup": MARKDOWN_MARKUP,
    "maths": MATHS,
    "control": CONTROL,
    "newlines": NEWLINES,
    "bidi": BIDI,
}

# strings that stay as they are after loading (control, tab, newline and bidi characters are
# removed or replaced at load, with a counted warning)
PRINTABLE = {
    k: v for k, v in HOSTILE.items() if k not in ("control", "newlines", "bidi", "formula_tab")
}


def fs_payload(path: Path) -> str:
    """A Jinja2 expression that creates ``path`` if any template ever evaluates it."""
    target = repr(str(path))
    return "Evil {{ cycler.__init__.__globals__.os.makedirs(" + target + ", exist_ok=True) }} place"


def hostile_names(n: int, *, extra: tuple[str, ...] = ()) -> list[str]:
    """``n`` names cycling through every hostile string (and ``extra``), each made unique."""
    pool = [*HOSTILE.values(), *extra]
    return [f"{pool[i % len(pool)]} #{i}" for i in range(n)]


def assert_not_evaluated(text: str) -> None:
    """No template was evaluated in ``text``."""
    for marker in EVALUATED:
        assert marker not in text, f"a template was evaluated: {marker!r} found"
