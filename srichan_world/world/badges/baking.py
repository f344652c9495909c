"""Badge images, and the credential baked into them (OB 3.0 §5.3, SVG).

The image of an achievement is a small SVG drawn here (a medal with the achievement's Thai
name and the city's name), so every quest has one without an artist. Baking puts the
credential's compact JWS in the image: an ``xmlns:openbadges`` attribute on ``<svg>`` and,
right after it, ``<openbadges:credential verify="…JWS…"></openbadges:credential>``. Reading it
back looks for that one tag with a regular expression, never an XML parser (an image from
anywhere must not be able to make us expand entities).
"""

from __future__ import annotations

import re
from html import escape

from srichan_world.world.badges.achievements import Achievement
from srichan_world.world.badges.credential import CITY

OB_NS = "https://purl.imsglobal.org/ob/v3p0"
_COMPACT = r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
_BAKED = re.compile(rf'<openbadges:credential\s+verify="({_COMPACT})"\s*(?:/>|>)')
_KIND_MARK = {"quest": "★", "course": "✎", "event": "◆"}


def badge_svg(achievement: Achievement) -> str:
    """The achievement's badge image, 512×512."""
    name = achievement.name.th
    lines = _wrap(name, 14)[:3]
    first = 270 - 22 * (len(lines) - 1)
    words = "".join(
        f'<text x="256" y="{first + 44 * i}" font-size="38" font-weight="700" '
        f'text-anchor="middle" fill="#3b2300">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    mark = _KIND_MARK.get(achievement.kind, "★")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512" '
        f'role="img" aria-label="{escape(name)}">'
        f"<title>{escape(name)} · {escape(achievement.name.en)}</title>"
        '<circle cx="256" cy="256" r="240" fill="#c8102e"/>'
        '<circle cx="256" cy="256" r="214" fill="#f6c744" stroke="#fff4cf" stroke-width="8"/>'
        f'<text x="256" y="150" font-size="64" text-anchor="middle" fill="#8a5a00">{mark}</text>'
        f"{words}"
        f'<text x="256" y="420" font-size="26" text-anchor="middle" fill="#5a3a00">'
        f"{escape(CITY.th)}</text>"
        "</svg>"
    )


def bake(svg: str, token: str) -> str:
    """``svg`` with ``token`` (a compact JWS) baked in; an earlier credential is replaced."""
    if not re.fullmatch(_COMPACT, token):
        raise ValueError("only a compact JWS can be baked")
    svg = re.sub(r"<openbadges:credential\b.*?</openbadges:credential>", "", svg, flags=re.S)
    match = re.search(r"<svg\b[^>]*>", svg)
    if match is None:
        raise ValueError("not an SVG image")
    tag = match.group(0)
    if "xmlns:openbadges" not in tag:
        tag = tag[:-1] + f' xmlns:openbadges="{OB_NS}">'
    baked = f'<openbadges:credential verify="{token}"></openbadges:credential>'
    return svg[: match.start()] + tag + baked + svg[match.end() :]


def unbake(svg: str) -> str | None:
    """The compact JWS baked into ``svg``, or ``None``."""
    match = _BAKED.search(svg)
    return match.group(1) if match else None


def _wrap(text: str, width: int) -> list[str]:
    """Break at spaces into lines of about ``width`` characters (Thai has few spaces: a long
    run stays whole and the SVG shrinks nothing, which is fine for short quest names)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]
