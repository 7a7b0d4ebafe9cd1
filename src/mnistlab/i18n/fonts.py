"""A font with Hangul for matplotlib pictures in Korean.

matplotlib's default DejaVu Sans has no Hangul: Korean titles would draw as empty boxes with a
"Glyph missing" warning. `scripts/install.sh` installs Debian's fonts-nanum; matplotlib's font cache may
predate it, so the font files are added by path when the cache does not know them.
"""

from __future__ import annotations

import glob

# Families with Hangul, best first, and where Debian's packages put their files (regular and bold).
HANGUL_FONTS = (("NanumGothic", "/usr/share/fonts/truetype/nanum/NanumGothic*.ttf"),  # fonts-nanum
                ("Noto Sans CJK JP", "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc"),  # fonts-noto-cjk
                ("UnDotum", "/usr/share/fonts/truetype/unfonts-core/UnDotum*.ttf"))  # fonts-unfonts-core


def hangul_family() -> str | None:
    """The name of an installed font family that covers Hangul, or None."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family, pattern in HANGUL_FONTS:
        if family in known:
            return family
        files = glob.glob(pattern)
        for path in files:
            font_manager.fontManager.addfont(path)
        if files:
            return family
    return None


def font_rc(lang: str) -> dict:
    """matplotlib rc settings for pictures in `lang`, for `matplotlib.rc_context` while a figure is built:
    DejaVu Sans first (Latin letters and digits look as in the English pictures), then a Hangul font."""
    if lang != "ko":
        return {}
    family = hangul_family()
    return {"font.family": ["DejaVu Sans", family]} if family else {}
