"""Booths: what a shop owner may put in a virtual stall, and what visitors are shown of it.

An owner edits a *draft* from a phone form; :func:`parse_booth` turns the form's JSON into a
:class:`BoothConfig` or raises :class:`Invalid` with one :class:`FieldError` per bad field (its
path names the form field, e.g. ``products[2].price``, so the page can show the message next to
it). Publishing copies the draft to the street, where :func:`public_view` is what every visitor
near the slot receives in ``booth_state``.

Every text is plain text, length-limited and free of control and format characters (no line
breaks, no bidi overrides). It is never markup: clients must show it with ``textContent`` or
draw it as canvas text, never as HTML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text

SLOT_ID = re.compile(r"^B[0-9]{2}$")
"""Booth slot ids as the scene names them (``B01``…)."""
PROMOTION_ID = re.compile(r"^[a-z0-9]{4,16}$")
IMAGE_ID = re.compile(r"^[0-9a-f]{32}$")
"""A stored photo: the first 128 bits of the SHA-256 of its re-encoded bytes."""
COLOUR = re.compile(r"^#[0-9a-f]{6}$")

BOOTH_NAME_MAX = 40
DESCRIPTION_MAX = 200
PRODUCT_NAME_MAX = 40
PROMOTION_TITLE_MAX = 60
PRODUCTS_MAX = 12
PROMOTIONS_MAX = 6
PRICE_MAX_SATANG = 100_000 * 100
"""A product costs at most 100,000 baht; prices are kept in satang (1/100 baht)."""
COST_MAX = 10_000
"""Most learning tokens one coupon may cost."""
COUPONS_MAX = 10_000
"""Most coupons one promotion may offer."""
PER_VISITOR_MAX = 100
"""Most coupons of one promotion one visitor may take in a day."""
PROMOTION_SPAN_MAX_S = 366 * 86_400
PRICE_CHARS_MAX = 16
"""Longest price text read at all (``"100,000.00"`` is 10): longer input is refused unparsed."""
WHOLE_CHARS_MAX = 12
"""Longest text read as a whole number (a Unix time has 10 digits)."""
TEXT_READ_FACTOR = 4
"""A text field longer than this many times its limit is refused before it is normalised."""
TIME_MIN = 1_704_067_200  # 2024-01-01 UTC
TIME_MAX = 4_102_444_800  # 2100-01-01 UTC
DEFAULT_AWNING = "#c0392b"
IMAGES_PER_SLOT = 36
"""Photos kept per booth slot; older unused ones make room for new uploads."""
IMAGE_PRUNE_AGE_S = 3600.0
"""An unused photo younger than this may belong to a form still being filled in: kept."""

_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@dataclass(frozen=True)
class Product:
    name: Text
    price_satang: int
    photo: str | None = None
    """An image id from an upload, or ``None``."""


@dataclass(frozen=True)
class Promotion:
    id: str
    title: Text
    cost: int
    """Learning tokens a visitor pays for one coupon."""
    coupons: int
    """How many coupons the promotion offers in all (issued ones included)."""
    valid_from: int
    valid_to: int
    """Unix seconds; a coupon may be redeemed while ``valid_from <= now < valid_to``."""
    per_visitor: int = 1
    """Coupons one visitor may take per Bangkok day: one identity cannot empty the stock."""
    daily_stock: int = 0
    """Coupons offered per Bangkok day across all visitors (0: no daily limit), so a burst
    of redemptions cannot take a week's stock in one morning."""
    requires_sign_in: bool = False
    """Only for identities linked to a signed-in account (OpenID Connect: LINE, Google), so
    one person with many anonymous identities still gets one share."""

    def stock(self, issued: int) -> int:
        """Coupons offered once published: never fewer than already issued (a promotion
        offering fewer is sold out), so issued coupons stay counted."""
        return max(self.coupons, issued)

    def window_refusal(self, now: float) -> str | None:
        """``"not_started"``, ``"ended"`` or ``None`` when ``now`` is inside the window."""
        if now < self.valid_from:
            return "not_started"
        if now >= self.valid_to:
            return "ended"
        return None


@dataclass(frozen=True)
class BoothConfig:
    """One booth as its owner describes it; the same shape for the draft and the street."""

    name: Text
    description: Text
    awning: str
    products: tuple[Product, ...] = ()
    promotions: tuple[Promotion, ...] = ()

    def promotion(self, promotion_id: str) -> Promotion | None:
        return next((p for p in self.promotions if p.id == promotion_id), None)

    def photos(self) -> frozenset[str]:
        return frozenset(p.photo for p in self.products if p.photo)

    def to_json(self) -> dict[str, Any]:
        """The storage form (also what the owner page loads back into the form)."""
        return {
            "name": self.name.to_json(),
            "description": self.description.to_json(),
            "awning": self.awning,
            "products": [
                {"name": p.name.to_json(), "price": baht(p.price_satang), "photo": p.photo}
                for p in self.products
            ],
            "promotions": [
                {
                    "id": p.id,
                    "title": p.title.to_json(),
                    "cost": p.cost,
                    "coupons": p.coupons,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                    "per_visitor": p.per_visitor,
                    "daily_stock": p.daily_stock,
                    "requires_sign_in": p.requires_sign_in,
                }
                for p in self.promotions
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BoothConfig:
        """Read back what :meth:`to_json` wrote (trusted storage, so no validation here)."""
        return cls(
            name=text_of(data["name"]),
            description=text_of(data["description"]),
            awning=data["awning"],
            products=tuple(
                Product(text_of(p["name"]), parse_price(p["price"]), p["photo"])
                for p in data["products"]
            ),
            promotions=tuple(
                Promotion(
                    p["id"],
                    text_of(p["title"]),
                    p["cost"],
                    p["coupons"],
                    p["valid_from"],
                    p["valid_to"],
                    p.get("per_visitor", 1),
                    p.get("daily_stock", 0),
                    bool(p.get("requires_sign_in", False)),
                )
                for p in data["promotions"]
            ),
        )


@dataclass(frozen=True)
class BoothRecord:
    """A slot as the store keeps it: its shop, draft, street copy and live coupon stock."""

    slot: str
    shop_id: str | None
    draft: BoothConfig | None
    published: BoothConfig | None
    hidden: bool
    version: int
    """Bumped by every change visitors can see (publish, hide, a coupon taken, a revocation)."""
    issued: Mapping[str, int]
    """Coupons issued so far by promotion id (published promotions only)."""
    updated_at: float
    photos: frozenset[str] = frozenset()
    """Ids of the photos uploaded for this slot (what a draft may use)."""

    @property
    def on_street(self) -> BoothConfig | None:
        """What visitors see: the published config, unless hidden or the slot has no shop."""
        if self.hidden or self.shop_id is None:
            return None
        return self.published

    def left(self, promotion: Promotion) -> int:
        return max(0, promotion.coupons - self.issued.get(promotion.id, 0))

    def sold(self, promotion_id: str) -> BoothRecord:
        """The record after one coupon of the promotion is sold: one fewer left, and a new
        version for visitors to be sent."""
        issued = {**self.issued, promotion_id: self.issued.get(promotion_id, 0) + 1}
        return replace(self, version=self.version + 1, issued=issued)


def photos_in_use(*configs: BoothConfig | None) -> frozenset[str]:
    """The photos a draft or the street copy shows: never pruned."""
    return frozenset(p for c in configs if c is not None for p in c.photos())


def require_photos(slot: str, draft: BoothConfig, kept: Iterable[str]) -> None:
    """A draft may show only photos uploaded for its slot (``BAD_BOOTH``)."""
    missing = sorted(draft.photos() - set(kept))
    if missing:
        raise Refused(ErrorCode.BAD_BOOTH, f"photos not uploaded for {slot}: {missing}")


def to_publish(draft: BoothConfig | None) -> BoothConfig:
    """What publishing puts on the street: the saved draft (``BAD_BOOTH`` without one)."""
    if draft is None:
        raise Refused(ErrorCode.BAD_BOOTH, "save a draft before publishing")
    return draft


def photos_to_drop(
    slot: str, photos: Mapping[str, float], in_use: frozenset[str], now: float
) -> list[str]:
    """The photos to delete so one more fits (``photos``: each kept one's upload time): none
    while the slot has room, else the oldest unused ones older than :data:`IMAGE_PRUNE_AGE_S`;
    ``IMAGE_LIMIT`` when not enough of them can go."""
    need = len(photos) - IMAGES_PER_SLOT + 1
    if need <= 0:
        return []
    old = sorted(
        (at, photo)
        for photo, at in photos.items()
        if at <= now - IMAGE_PRUNE_AGE_S and photo not in in_use
    )
    if len(old) < need:
        raise Refused(
            ErrorCode.IMAGE_LIMIT,
            f"{slot} keeps at most {IMAGES_PER_SLOT} photos; save, then try later",
        )
    return [photo for _, photo in old[:need]]


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field, in Thai and English."""

    path: str
    th: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "th": self.th, "en": self.en}


class Invalid(ValueError):
    """The booth form has problems; ``errors`` lists every one, each with its field path."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.en}" for e in errors))
        self.errors = tuple(errors)


def text_of(data: Mapping[str, str]) -> Text:
    """A ``{th, en}`` pair as :meth:`Text.to_json` stored it."""
    return Text(data["th"], data["en"])


def clean_text(raw: object) -> str | None:
    """NFC, trimmed, single-line text without control or format characters; else ``None``."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in _REFUSED for ch in text):
        return None
    return text


def baht(satang: int) -> str:
    """``4550`` → ``"45.50"``, ``4500`` → ``"45"``: how a price is shown and stored."""
    whole, cents = divmod(satang, 100)
    return f"{whole}" if cents == 0 else f"{whole}.{cents:02d}"


def parse_price(raw: object) -> int:
    """Baht as a number or a string with up to two decimals → satang; ``ValueError`` if not."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError("not a number")
    if isinstance(raw, str) and len(raw) > PRICE_CHARS_MAX:
        raise ValueError("too long")
    if isinstance(raw, int) and raw.bit_length() > 64:
        raise ValueError("too large")
    text = str(raw).strip().replace(",", "")
    if len(text) > PRICE_CHARS_MAX:
        raise ValueError("too long")
    try:  # quantize signals InvalidOperation past 28 digits ("1e30"): refused, not a crash
        value = Decimal(text)
        exact = value.is_finite() and value >= 0 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not exact:
        raise ValueError("at most two decimals, not negative")
    return int(value * 100)


class _Form:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, path: str, th: str, en: str) -> None:
        self.errors.append(FieldError(path, th, en))

    def text(self, data: object, path: str, limit: int, *, required: str) -> Text:
        """A ``{th, en}`` pair; ``required`` is ``"both"``, ``"th"`` or ``"none"``."""
        raw = data if isinstance(data, Mapping) else {}
        values = {}
        for lang in ("th", "en"):
            here = f"{path}.{lang}"
            given = raw.get(lang, "")
            if isinstance(given, str) and len(given) > TEXT_READ_FACTOR * limit:
                self.fail(here, f"ยาวเกิน {limit} ตัวอักษร", f"longer than {limit} characters")
                values[lang] = ""
                continue
            value = clean_text(given)
            if value is None:
                self.fail(here, "มีอักขระที่ใช้ไม่ได้", "contains characters that are not allowed")
                value = ""
            elif len(value) > limit:
                self.fail(here, f"ยาวเกิน {limit} ตัวอักษร", f"longer than {limit} characters")
            elif not value and (required == "both" or (required == "th" and lang == "th")):
                self.fail(here, "ต้องกรอก", "required")
            values[lang] = value
        return Text(values["th"], values["en"])

    def whole(self, raw: object, path: str, lo: int, hi: int) -> int | None:
        """A whole number in ``lo..hi`` (digits in a string too), or ``None`` when reported."""
        if isinstance(raw, str) and len(raw) <= WHOLE_CHARS_MAX and raw.strip().isdecimal():
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int) or not lo <= raw <= hi:
            self.fail(path, f"ต้องเป็นจำนวนเต็ม {lo}–{hi}", f"must be a whole number {lo}-{hi}")
            return None
        return raw


def parse_booth(
    raw: object,
    *,
    new_id: Callable[[], str],
    issued: Mapping[str, int] | None = None,
    photos: frozenset[str] | None = None,
) -> BoothConfig:
    """Validate the owner form's JSON; raise :class:`Invalid` listing every problem.

    ``new_id`` names promotions that arrive without an id (new ones). ``issued`` is the
    coupons already issued by promotion id: a promotion cannot offer fewer than that. ``photos``
    are the image ids uploaded for this slot (``None``: do not check).
    """
    form = _Form()
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if not isinstance(raw, Mapping):
        form.fail("", "ข้อมูลไม่ถูกต้อง", "expected a JSON object")
    issued = issued or {}
    name = form.text(data.get("name"), "name", BOOTH_NAME_MAX, required="both")
    description = form.text(
        data.get("description"), "description", DESCRIPTION_MAX, required="none"
    )
    awning = data.get("awning", DEFAULT_AWNING)
    if isinstance(awning, str):
        awning = awning.strip().lower()
    if not isinstance(awning, str) or not COLOUR.match(awning):
        form.fail("awning", "สีต้องเป็นรูปแบบ #rrggbb", "colour must look like #rrggbb")
        awning = DEFAULT_AWNING
    products = _products(form, data.get("products", []), photos)
    promotions = _promotions(form, data.get("promotions", []), new_id, issued)
    if form.errors:
        raise Invalid(form.errors)
    return BoothConfig(name, description, awning, products, promotions)


def _items(form: _Form, raw: object, path: str, limit: int) -> list[Mapping[str, Any]]:
    if not isinstance(raw, list):
        form.fail(path, "ต้องเป็นรายการ", "expected a list")
        return []
    if len(raw) > limit:
        form.fail(path, f"ได้ไม่เกิน {limit} รายการ", f"at most {limit} items")
        return []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            form.fail(f"{path}[{i}]", "ข้อมูลไม่ถูกต้อง", "expected an object")
            item = {}
        out.append(item)
    return out


def _products(form: _Form, raw: object, photos: frozenset[str] | None) -> tuple[Product, ...]:
    out = []
    for i, item in enumerate(_items(form, raw, "products", PRODUCTS_MAX)):
        path = f"products[{i}]"
        name = form.text(item.get("name"), f"{path}.name", PRODUCT_NAME_MAX, required="th")
        try:
            price = parse_price(item.get("price"))
            if price > PRICE_MAX_SATANG:
                raise ValueError("too much")
        except ValueError:
            form.fail(
                f"{path}.price",
                "ราคาเป็นบาท 0–100,000 ทศนิยมไม่เกิน 2 ตำแหน่ง",
                "price in baht, 0-100,000, at most two decimals",
            )
            price = 0
        photo = item.get("photo") or None
        if photo is not None and (
            not isinstance(photo, str)
            or not IMAGE_ID.match(photo)
            or (photos is not None and photo not in photos)
        ):
            form.fail(f"{path}.photo", "ไม่พบรูปนี้ อัปโหลดใหม่", "unknown photo; upload it again")
            photo = None
        out.append(Product(name, price, photo))
    return tuple(out)


def _promotions(
    form: _Form, raw: object, new_id: Callable[[], str], issued: Mapping[str, int]
) -> tuple[Promotion, ...]:
    out: list[Promotion] = []
    seen: set[str] = set()
    for i, item in enumerate(_items(form, raw, "promotions", PROMOTIONS_MAX)):
        path = f"promotions[{i}]"
        pid = item.get("id") or None
        if pid is None:
            pid = new_id()
        elif not isinstance(pid, str) or not PROMOTION_ID.match(pid) or pid in seen:
            form.fail(f"{path}.id", "รหัสโปรโมชันไม่ถูกต้อง", "bad or repeated promotion id")
            pid = new_id()
        seen.add(pid)
        title = form.text(item.get("title"), f"{path}.title", PROMOTION_TITLE_MAX, required="th")
        cost = form.whole(item.get("cost"), f"{path}.cost", 1, COST_MAX)
        coupons = form.whole(item.get("coupons"), f"{path}.coupons", 1, COUPONS_MAX)
        if coupons is not None and issued.get(pid, 0) > coupons:
            form.fail(
                f"{path}.coupons",
                f"แจกไปแล้ว {issued[pid]} ใบ ต้องไม่น้อยกว่านั้น",
                f"{issued[pid]} coupons were already issued; offer at least that many",
            )
        per_visitor = form.whole(
            _or(item.get("per_visitor"), 1), f"{path}.per_visitor", 1, PER_VISITOR_MAX
        )
        daily = form.whole(_or(item.get("daily_stock"), 0), f"{path}.daily_stock", 0, COUPONS_MAX)
        start = form.whole(item.get("valid_from"), f"{path}.valid_from", TIME_MIN, TIME_MAX)
        end = form.whole(item.get("valid_to"), f"{path}.valid_to", TIME_MIN, TIME_MAX)
        if start is None or end is None:
            continue  # reported already; comparing a bad date would only add noise
        if end <= start:
            form.fail(f"{path}.valid_to", "ต้องหลังวันเริ่ม", "must be after the start")
        elif end - start > PROMOTION_SPAN_MAX_S:
            form.fail(f"{path}.valid_to", "ยาวได้ไม่เกิน 1 ปี", "may last at most one year")
        if (
            cost is not None
            and coupons is not None
            and per_visitor is not None
            and daily is not None
        ):
            signed_in = item.get("requires_sign_in", False)
            if not isinstance(signed_in, bool):
                form.fail(f"{path}.requires_sign_in", "ต้องเป็นใช่หรือไม่", "must be true or false")
                continue
            out.append(
                Promotion(pid, title, cost, coupons, start, end, per_visitor, daily, signed_in)
            )
    return tuple(out)


def _or(raw: object, default: int) -> object:
    """An optional whole-number field: left out, null or blank means ``default``."""
    return default if raw is None or (isinstance(raw, str) and not raw.strip()) else raw


def public_view(record: BoothRecord, photo_url: Callable[[str], str]) -> dict[str, Any] | None:
    """The booth as visitors get it in ``booth_state`` (``None``: an empty slot).

    Plain data at most four levels deep (booth → products → product → name), every text a
    ``{th, en}`` map to be shown as text, never as markup.
    """
    config = record.on_street
    if config is None:
        return None
    return {
        "name": config.name.to_json(),
        "description": config.description.to_json(),
        "awning": config.awning,
        "products": [
            {
                "name": p.name.to_json(),
                "price": baht(p.price_satang),
                "photo": photo_url(p.photo) if p.photo else None,
            }
            for p in config.products
        ],
        "promotions": [
            {
                "id": p.id,
                "title": p.title.to_json(),
                "cost": p.cost,
                "left": record.left(p),
                "from": p.valid_from,
                "to": p.valid_to,
                "per_visitor": p.per_visitor,
                "daily_stock": p.daily_stock,
                "requires_sign_in": p.requires_sign_in,
            }
            for p in config.promotions
        ],
    }
