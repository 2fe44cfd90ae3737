"""The CJK font certificates are drawn with, found on the machine.

Chinese needs a CJK font from the system: Noto Serif or Sans CJK SC (Debian
``fonts-noto-cjk``) first, WenQuanYi Micro Hei (``fonts-wqy-microhei``) or another
simplified-Chinese face fontconfig knows after that, in a format fpdf2 embeds (TrueType or
CFF-based OpenType, collections included). Without one, :func:`fonts` raises
:class:`~api.service.errors.Unavailable` (503).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import Unavailable


@dataclass(frozen=True)
class Face:
    path: Path
    index: int = 0  # the face's number in a font collection (.ttc)


@dataclass(frozen=True)
class Fonts:
    family: str
    regular: Face
    bold: Face  # the regular face again when the family has no bold one


# Preferred families, best first: a serif for a certificate, then sans faces.
PREFERRED_FAMILIES = (
    "Noto Serif CJK SC", "Source Han Serif SC", "Noto Sans CJK SC", "Source Han Sans SC",
    "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
)
# Where Debian puts them, for a machine without fontconfig's fc-list: (family, regular
# file, bold file or None). The face of a collection is found by its family name.
KNOWN_FILES = (
    ("Noto Serif CJK SC", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
     "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    ("Noto Sans CJK SC", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("WenQuanYi Micro Hei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("WenQuanYi Zen Hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
)
_EMBEDDABLE = {"TrueType", "CFF"}  # fontconfig's names for what fpdf2 embeds
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
NO_FONT = ("certificates need a Chinese font and none is installed "
           "(Debian: apt-get install fonts-noto-cjk)")

_found: Fonts | None = None


def fonts() -> Fonts:
    """The CJK font to draw certificates with; Unavailable when the machine has none.

    Found once (fontconfig first, then Debian's paths) and kept while its files exist."""
    global _found
    if _found is not None and _found.regular.path.is_file() and _found.bold.path.is_file():
        return _found
    found = _from_fontconfig() or _from_known_files()
    if found is None:
        raise Unavailable(NO_FONT)
    _found = found
    return found


def _from_fontconfig() -> Fonts | None:
    """The best simplified-Chinese family `fc-list` knows, in a format fpdf2 embeds."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run(
            [fc_list, ":lang=zh-cn", "--format",
             "%{file}\t%{index}\t%{family[0]}\t%{style[0]}\t%{fontformat}\n"],
            capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    faces: dict[str, dict[str, Face]] = {}
    for line in listing.splitlines():
        parts = line.split("\t")
        if len(parts) != 5 or parts[4] not in _EMBEDDABLE:
            continue
        file, index, family, style, _ = parts
        if not file.lower().endswith(_FONT_SUFFIXES) or not index.isdigit():
            continue
        faces.setdefault(family, {}).setdefault(style, Face(Path(file), int(index)))
    others = sorted(f for f in faces if f not in PREFERRED_FAMILIES and "Mono" not in f)
    for family in [*PREFERRED_FAMILIES, *others]:
        styles = faces.get(family)
        if styles:
            regular = next((styles[s] for s in ("Regular", "Book", "Normal", "Medium")
                            if s in styles), styles[min(styles)])
            return Fonts(family, regular, styles.get("Bold", regular))
    return None


def _from_known_files() -> Fonts | None:
    for family, regular_file, bold_file in KNOWN_FILES:
        regular = _face(regular_file, family)
        if regular is not None:
            bold = _face(bold_file, family) if bold_file else None
            return Fonts(family, regular, bold or regular)
    return None


def _face(file: str, family: str) -> Face | None:
    """The face of `family` in a font file (a collection holds several)."""
    path = Path(file)
    if not path.is_file():
        return None
    if path.suffix.lower() not in (".ttc", ".otc"):
        return Face(path)
    from fontTools.ttLib import TTCollection  # fpdf2's own dependency

    try:
        collection = TTCollection(str(path), lazy=True)
        for number, font in enumerate(collection.fonts):
            if font["name"].getBestFamilyName() == family:
                return Face(path, number)
    except Exception:  # a damaged font file is as good as none
        return None
    return None
