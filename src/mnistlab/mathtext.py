"""Text drawn by matplotlib is parsed as maths between two `$` signs: a class named "$5" and "$10"
would come out as italic maths, and a lone unbalanced one can fail the whole picture. `plain` escapes
what matplotlib would interpret, so names are drawn as written (used wherever a user's names are drawn)."""

from __future__ import annotations


def plain(text: str) -> str:
    """`text` as matplotlib draws it literally: every `$` escaped."""
    return str(text).replace("$", r"\$")
