"""The booth rules: the owner form's validation, what visitors see, coupon codes, owner tokens."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.messages import SERVER_TYPES, BoothState
from srichan_world.world.booths import (
    PRODUCTS_MAX,
    BoothConfig,
    BoothRecord,
    Invalid,
    baht,
    parse_booth,
    parse_price,
    public_view,
)
from srichan_world.world.coupons import (
    ALPHABET,
    CODE,
    display_code,
    new_code,
    normalize_code,
)
from srichan_world.world.owners import csrf_matches, csrf_token, link_hash, session_hash
from tests.world.booth_fixtures import DAY, T0, config, promotion

PHOTO = "ab" * 16


def form(**changes: Any) -> dict[str, Any]:
    """The owner page's JSON for a good booth, with ``changes`` applied."""
    data: dict[str, Any] = {
        "name": {"th": " ร้านป้าแดง ชาไทย ", "en": "Auntie Daeng's Thai Tea"},
        "description": {"th": "ชาไทยสูตรขอนแก่น", "en": ""},
        "awning": "#1E8449",
        "products": [
            {"name": {"th": "ชาเย็น", "en": "Iced tea"}, "price": "45", "photo": PHOTO},
            {"name": {"th": "กาแฟโบราณ", "en": ""}, "price": 50.5, "photo": None},
        ],
        "promotions": [
            {
                "title": {"th": "ชาไทยฟรี 1 แก้ว", "en": "One free Thai tea"},
                "cost": 30,
                "coupons": "5",
                "valid_from": int(T0),
                "valid_to": int(T0 + 7 * DAY),
            }
        ],
    }
    data.update(changes)
    return data


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"new{next(counter):05d}"


def paths(raw: object, **kwargs: Any) -> set[str]:
    with pytest.raises(Invalid) as caught:
        parse_booth(raw, new_id=ids(), **kwargs)
    return {e.path for e in caught.value.errors}


def test_a_good_form_is_trimmed_normalised_and_named() -> None:
    booth = parse_booth(form(), new_id=ids(), photos=frozenset({PHOTO}))
    assert booth.name.th == "ร้านป้าแดง ชาไทย"
    assert booth.awning == "#1e8449"
    assert [p.price_satang for p in booth.products] == [4500, 5050]
    assert booth.products[0].photo == PHOTO and booth.products[1].photo is None
    (promo,) = booth.promotions
    assert (promo.id, promo.cost, promo.coupons) == ("new00001", 30, 5)
    assert BoothConfig.from_json(booth.to_json()) == booth


def test_every_problem_is_reported_at_its_field_in_thai_and_english() -> None:
    bad = form(
        name={"th": "", "en": "x" * 41},
        awning="red",
        products=[{"name": {"th": "ชา\u202eเย็น", "en": ""}, "price": "-1", "photo": "nope"}],
        promotions=[
            {
                "id": "BAD ID",
                "title": {"th": "", "en": ""},
                "cost": 0,
                "coupons": True,
                "valid_from": int(T0),
                "valid_to": int(T0),
            }
        ],
    )
    with pytest.raises(Invalid) as caught:
        parse_booth(bad, new_id=ids())
    by_path = {e.path: e for e in caught.value.errors}
    assert set(by_path) == {
        "name.th",
        "name.en",
        "awning",
        "products[0].name.th",
        "products[0].price",
        "products[0].photo",
        "promotions[0].id",
        "promotions[0].title.th",
        "promotions[0].cost",
        "promotions[0].coupons",
        "promotions[0].valid_to",
    }
    assert by_path["name.th"].th == "ต้องกรอก" and by_path["name.th"].en == "required"
    assert "40" in by_path["name.en"].en
    assert by_path["products[0].name.th"].en == "contains characters that are not allowed"


@pytest.mark.parametrize(
    "text", ["line\nbreak", "tab\there", "zero\u200bwidth", "bidi\u202eoverride", "nul\x00"]
)
def test_control_and_format_characters_are_refused_everywhere(text: str) -> None:
    assert paths(form(description={"th": text, "en": ""})) == {"description.th"}
    product = {"name": {"th": "ชา", "en": text}, "price": 1}
    assert paths(form(products=[product])) == {"products[0].name.en"}


def test_markup_is_just_text_and_kept_as_typed() -> None:
    sneaky = "<img src=x onerror=alert(1)>"
    booth = parse_booth(form(name={"th": sneaky, "en": "a&b"}), new_id=ids(), photos=None)
    assert booth.name.th == sneaky, "stored as text; every client must show it as text"


def test_limits_on_counts() -> None:
    product = {"name": {"th": "ชา", "en": ""}, "price": 1}
    assert paths(form(products=[product] * (PRODUCTS_MAX + 1))) == {"products"}
    assert parse_booth(form(products=[product] * PRODUCTS_MAX), new_id=ids()).products
    promo = form()["promotions"][0]
    assert paths(form(promotions=[promo] * 7)) == {"promotions"}
    assert paths(form(products="many")) == {"products"}
    assert (
        parse_booth(form(promotions=[{**promo, "cost": "๓๐"}]), new_id=ids()).promotions[0].cost
        == 30
    )
    assert paths(form(promotions=[{**promo, "cost": "²"}])) == {"promotions[0].cost"}
    assert paths(form(products=[3])) >= {"products[0]"}
    assert paths([1, 2]) >= {"", "name.th", "name.en"}


def test_photos_must_be_uploaded_for_this_slot() -> None:
    assert paths(form(), photos=frozenset()) == {"products[0].photo"}
    assert parse_booth(form(), new_id=ids(), photos=frozenset({PHOTO})).photos() == {PHOTO}


@pytest.mark.parametrize(
    ("raw", "satang"),
    [("45", 4500), ("45.5", 4550), (" 1,250.00 ", 125000), (0, 0), (19.99, 1999), ("0.01", 1)],
)
def test_prices_in_baht_become_satang(raw: object, satang: int) -> None:
    assert parse_price(raw) == satang


@pytest.mark.parametrize("raw", ["", "abc", "1.234", "-5", "NaN", "Infinity", True, None, [1]])
def test_bad_prices_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_price(raw)


def test_a_price_over_the_limit_is_refused_at_its_field() -> None:
    product = {"name": {"th": "ทอง", "en": "Gold"}, "price": "100000.01"}
    assert paths(form(products=[product])) == {"products[0].price"}


@given(st.integers(min_value=0, max_value=10_000_000))
def test_prices_round_trip_through_their_display(satang: int) -> None:
    assert parse_price(baht(satang)) == satang


def test_promotion_windows_and_issued_coupons() -> None:
    def promo(**changes: Any) -> dict[str, Any]:
        return form(promotions=[{**form()["promotions"][0], **changes}])

    assert paths(promo(valid_to=int(T0 - 1))) == {"promotions[0].valid_to"}
    assert paths(promo(valid_to=int(T0 + 400 * DAY))) == {"promotions[0].valid_to"}
    assert paths(promo(valid_from=100)) == {"promotions[0].valid_from"}
    kept = promo(id="abcd1234", coupons=3)
    assert paths(kept, issued={"abcd1234": 4}) == {"promotions[0].coupons"}
    assert parse_booth(kept, new_id=ids(), issued={"abcd1234": 3}).promotions[0].id == "abcd1234"
    twice = form(promotions=[kept["promotions"][0]] * 2)
    assert paths(twice) == {"promotions[1].id"}


def test_promotion_limits_default_to_one_a_visitor_a_day_and_no_daily_stock() -> None:
    def promo(**changes: Any) -> dict[str, Any]:
        return form(promotions=[{**form()["promotions"][0], **changes}])

    (plain,) = parse_booth(form(), new_id=ids()).promotions
    assert (plain.per_visitor, plain.daily_stock) == (1, 0)
    (blank,) = parse_booth(promo(per_visitor="", daily_stock=None), new_id=ids()).promotions
    assert (blank.per_visitor, blank.daily_stock) == (1, 0)
    (set_,) = parse_booth(promo(per_visitor="3", daily_stock=20), new_id=ids()).promotions
    assert (set_.per_visitor, set_.daily_stock) == (3, 20)
    assert BoothConfig.from_json(config(set_).to_json()).promotions == (set_,)
    for bad in (0, -1, 101, "1e3", "x" * 5000, 2.5, True):
        assert paths(promo(per_visitor=bad)) == {"promotions[0].per_visitor"}, bad
    for bad in (-1, 10_001, "lots", 10**30):
        assert paths(promo(daily_stock=bad)) == {"promotions[0].daily_stock"}, bad


def test_promotions_stored_before_the_limits_read_back_with_the_defaults() -> None:
    stored = config(promotion()).to_json()
    for p in stored["promotions"]:
        del p["per_visitor"], p["daily_stock"]
    (old,) = BoothConfig.from_json(stored).promotions
    assert (old.per_visitor, old.daily_stock) == (1, 0)


def test_a_promotions_window_is_half_open() -> None:
    p = promotion(valid_from=T0, valid_to=T0 + 10)
    assert [p.window_refusal(t) for t in (T0 - 1, T0, T0 + 9.9, T0 + 10)] == [
        "not_started",
        None,
        None,
        "ended",
    ]


def record(**changes: Any) -> BoothRecord:
    base: dict[str, Any] = {
        "slot": "B01",
        "shop_id": "auntie-daeng",
        "draft": None,
        "published": config(promotion(coupons=5)),
        "hidden": False,
        "version": 3,
        "issued": {"free0tea": 2},
        "updated_at": T0,
    }
    base.update(changes)
    return BoothRecord(**base)


def test_visitors_see_the_published_booth_with_coupons_left() -> None:
    view = public_view(record(), lambda image: f"/booth-images/{image}")
    assert view is not None
    assert view["name"] == {"th": "ร้านป้าแดง ชาไทย", "en": "Auntie Daeng's Thai Tea"}
    assert view["products"][0] == {
        "name": {"th": "ชาเย็น", "en": "Iced tea"},
        "price": "45",
        "photo": None,
    }
    assert view["products"][1]["price"] == "50.50"
    assert view["promotions"][0]["left"] == 3
    assert (view["promotions"][0]["per_visitor"], view["promotions"][0]["daily_stock"]) == (
        promotion().per_visitor,
        0,
    )
    message = BoothState("B01", 3, view)
    assert decode(encode(message), SERVER_TYPES, None) == message, (
        "fits the protocol's free-form data limits"
    )


def test_hidden_unowned_or_unpublished_booths_show_as_empty_slots() -> None:
    photo = record(published=config(photo=PHOTO))
    assert public_view(photo, lambda i: f"/img/{i}")["products"][0]["photo"] == f"/img/{PHOTO}"  # type: ignore[index]
    for changes in ({"hidden": True}, {"shop_id": None}, {"published": None}):
        assert public_view(record(**changes), str) is None


def test_coupon_codes_are_short_unambiguous_and_forgiving_to_type() -> None:
    assert not set("01ILO") & set(ALPHABET) and len(ALPHABET) == 31
    rng = random.Random(5)
    codes = {new_code(rng.randrange) for _ in range(2000)}
    assert len(codes) == 2000 and all(CODE.match(c) for c in codes)
    code = sorted(codes)[0]
    assert normalize_code(f" {display_code(code).lower()} ") == code
    assert display_code("ABCD2345") == "ABCD-2345"
    for bad in ("ABCD234", "ABCD23450", "ABCD-234O", "ABCD 2341", "", None, 12345678, "A" * 40):
        assert normalize_code(bad) is None


def test_owner_secrets_are_hashed_apart_and_csrf_tokens_bind_to_the_session() -> None:
    token = "x" * 43
    assert link_hash(token) != session_hash(token), "a link can never pass as a session"
    assert len(link_hash(token)) == 64 and token not in link_hash(token)
    assert csrf_matches(token, csrf_token(token))
    assert not csrf_matches("y" * 43, csrf_token(token))
