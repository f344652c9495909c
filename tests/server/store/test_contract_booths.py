"""The booth, owner and coupon part of the Store contract (parametrized by ``store_factory``).

Every implementation must make each method one atomic step: the races below (two visitors for
the last coupon, one coupon checked twice at once) must come out the same on every store.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from server.store import Store, StoreError
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import IMAGE_PRUNE_AGE_S, IMAGES_PER_SLOT
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.owners import link_hash, session_hash
from tests.server.store.conftest import SECRET, StoreFactory, buy
from tests.world.booth_fixtures import DAY, T0, code, config, promotion, redemption

ALICE = "alice-0000001"
BOB = "bob-000000002"
SHOP = "auntie-daeng"
OTHER = "uncle-som"
LINK = "L" * 43
SESSION = "S" * 43
PHOTO = "ab" * 16


async def refused(code_: int, call) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        await call
    assert caught.value.code == code_, caught.value
    return caught.value


async def open_booth(store: Store, slot: str = "B01", shop: str = SHOP, *promos) -> None:  # type: ignore[no-untyped-def]
    await store.grant_slot(slot, shop, "ร้านป้าแดง", T0)
    await store.save_booth_draft(slot, shop, config(*promos), T0)
    await store.publish_booth(slot, shop, T0)


async def visitor_with(store: Store, visitor_id: str, tokens: int) -> None:
    await store.register_visitor(visitor_id, SECRET, T0)
    if tokens:
        await store.transfer(
            Transfer(
                f"gift-{visitor_id}", CITY_POOL, visitor_account(visitor_id), tokens, "gift", T0
            )
        )


async def snapshot(store: Store, *accounts: str) -> tuple:  # type: ignore[type-arg]
    booth = await store.booth("B01")
    return (
        [await store.balance(a) for a in accounts],
        len(await store.entries()),
        None if booth is None else (booth.version, dict(booth.issued)),
    )


# -- shops, links and sessions ---------------------------------------------------------------


async def test_a_slot_is_granted_to_one_shop_at_a_time(store: Store) -> None:
    owner = await store.grant_slot("B01", SHOP, "  ร้านป้าแดง  ", T0)
    assert (owner.shop_id, owner.name, owner.slots) == (SHOP, "ร้านป้าแดง", ("B01",))
    again = await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0 + 1)
    assert again.slots == ("B01",) and again.created_at == T0
    both = await store.grant_slot("B02", SHOP, "ร้านป้าแดง", T0 + 2)
    assert both.slots == ("B01", "B02")
    await refused(ErrorCode.SLOT_TAKEN, store.grant_slot("B01", OTHER, "ลุงสม", T0))
    for slot, shop, name in [("X1", SHOP, "a"), ("B03", "Bad Id!", "a"), ("B03", SHOP, "\x00")]:
        with pytest.raises(ValueError):
            await store.grant_slot(slot, shop, name, T0)
    assert [o.shop_id for o in await store.owners()] == [SHOP]


async def test_a_sign_in_link_works_once_then_never_again(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + DAY, T0)
    session = await store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + 30 * DAY, T0 + 5)
    assert (session.shop_id, session.slots, session.name) == (SHOP, ("B01",), "ร้านป้าแดง")
    await refused(
        ErrorCode.SIGN_IN_INVALID,
        store.sign_in(link_hash(LINK), session_hash("T" * 43), T0 + DAY, T0 + 6),
    )
    seen = await store.owner_session(session_hash(SESSION), T0 + 10)
    assert seen.owns("B01") and not seen.owns("B02")
    await refused(ErrorCode.SESSION_INVALID, store.owner_session(session_hash("T" * 43), T0))


async def test_expired_links_and_sessions_are_refused(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + 60, T0)
    await refused(
        ErrorCode.SIGN_IN_INVALID,
        store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + DAY, T0 + 60),
    )
    await store.issue_sign_in(SHOP, link_hash("M" * 43), T0 + 60, T0)
    await store.sign_in(link_hash("M" * 43), session_hash(SESSION), T0 + 100, T0 + 1)
    await store.owner_session(session_hash(SESSION), T0 + 99)
    await refused(ErrorCode.SESSION_INVALID, store.owner_session(session_hash(SESSION), T0 + 100))
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.issue_sign_in(OTHER, "h", T0 + 1, T0))


async def test_signing_out_ends_only_that_session(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    for i, secret in enumerate((SESSION, "T" * 43)):
        await store.issue_sign_in(SHOP, link_hash(f"{i}" * 40), T0 + DAY, T0)
        await store.sign_in(link_hash(f"{i}" * 40), session_hash(secret), T0 + DAY, T0)
    await store.end_session(session_hash(SESSION))
    await store.end_session(session_hash("unknown"))
    await refused(ErrorCode.SESSION_INVALID, store.owner_session(session_hash(SESSION), T0))
    assert (await store.owner_session(session_hash("T" * 43), T0)).shop_id == SHOP


async def test_revoking_a_shop_ends_every_session_and_empties_its_booths(store: Store) -> None:
    await open_booth(store)
    await store.grant_slot("B02", SHOP, "ร้านป้าแดง", T0)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + DAY, T0)
    await store.issue_sign_in(SHOP, link_hash("M" * 43), T0 + DAY, T0)
    await store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + DAY, T0)
    await visitor_with(store, ALICE, 100)
    await buy(store, redemption(ALICE, "key-00001"))
    before = (await store.booth("B01")).version  # type: ignore[union-attr]
    assert await store.revoke_shop(SHOP, T0 + 10) == ("B01", "B02")
    await refused(ErrorCode.SESSION_INVALID, store.owner_session(session_hash(SESSION), T0 + 11))
    await refused(
        ErrorCode.SIGN_IN_INVALID,
        store.sign_in(link_hash("M" * 43), session_hash("T" * 43), T0 + DAY, T0 + 11),
    )
    booth = await store.booth("B01")
    assert booth is not None and booth.shop_id is None and booth.on_street is None
    assert booth.version > before, "visitors must learn the booth is gone"
    assert await store.balance(shop_account(SHOP)) == 30, "the shop keeps what it earned"
    (owner,) = await store.owners()
    assert owner.revoked_at == T0 + 10 and owner.slots == ()
    assert await store.revoke_shop(SHOP, T0 + 20) == (), "revoking again changes nothing"
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.revoke_shop(OTHER, T0))
    # The slot can be given again, to anyone; the old shop comes back only when re-granted.
    await store.grant_slot("B01", OTHER, "ลุงสม", T0 + 30)
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.issue_sign_in(SHOP, "h", T0 + DAY, T0 + 30))
    assert (await store.grant_slot("B02", SHOP, "ร้านป้าแดง", T0 + 40)).revoked_at is None


# -- booths -----------------------------------------------------------------------------------


async def test_only_the_slots_shop_may_draft_and_publish(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.grant_slot("B02", OTHER, "ลุงสม", T0)
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.save_booth_draft("B01", OTHER, config(), T0))
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.save_booth_draft("B09", SHOP, config(), T0))
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.publish_booth("B01", OTHER, T0))
    await refused(ErrorCode.BAD_BOOTH, store.publish_booth("B01", SHOP, T0))
    saved = await store.save_booth_draft("B01", SHOP, config(), T0 + 1)
    assert saved.draft == config() and saved.published is None and saved.version == 0
    published = await store.publish_booth("B01", SHOP, T0 + 2)
    assert published.on_street == config() and published.version == 1
    assert published.issued == {"free0tea": 0}
    assert await store.booth_versions() == {"B01": 1, "B02": 0}
    assert [b.slot for b in await store.booths()] == ["B01", "B02"]
    assert await store.booth("B07") is None


async def test_a_draft_may_only_use_photos_uploaded_for_its_slot(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.grant_slot("B02", OTHER, "ลุงสม", T0)
    await store.put_image("B02", OTHER, PHOTO, "image/webp", b"RIFF-webp", T0)
    await refused(ErrorCode.BAD_BOOTH, store.save_booth_draft("B01", SHOP, config(photo=PHOTO), T0))
    await refused(
        ErrorCode.NOT_BOOTH_OWNER, store.put_image("B02", SHOP, "cd" * 16, "image/webp", b"x", T0)
    )
    await store.put_image("B01", SHOP, "cd" * 16, "image/webp", b"RIFF-mine", T0)
    saved = await store.save_booth_draft("B01", SHOP, config(photo="cd" * 16), T0)
    assert saved.draft is not None and saved.draft.photos() == {"cd" * 16}
    assert await store.image("cd" * 16) == ("image/webp", b"RIFF-mine")
    assert await store.image("ef" * 16) is None


async def test_old_unused_photos_make_room_and_fresh_ones_are_kept(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    ids = [f"{i:032x}" for i in range(IMAGES_PER_SLOT)]
    for i, image_id in enumerate(ids):
        await store.put_image("B01", SHOP, image_id, "image/webp", b"x", T0 + i)
    await store.save_booth_draft("B01", SHOP, config(photo=ids[0]), T0 + 50)
    await refused(
        ErrorCode.IMAGE_LIMIT, store.put_image("B01", SHOP, "f" * 32, "image/webp", b"y", T0 + 60)
    )
    later = T0 + IMAGE_PRUNE_AGE_S + 1
    await store.put_image("B01", SHOP, "f" * 32, "image/webp", b"y", later)
    assert await store.image(ids[0]) is not None, "a photo the draft uses is never pruned"
    assert await store.image(ids[1]) is None, "the oldest unused photo made room"
    assert await store.image("f" * 32) == ("image/webp", b"y")
    await store.put_image("B01", SHOP, "f" * 32, "image/webp", b"other", later + 1)
    assert await store.image("f" * 32) == ("image/webp", b"y"), "the same id again is a no-op"


async def test_republishing_keeps_the_coupons_already_issued(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(coupons=5))
    await visitor_with(store, ALICE, 100)
    await buy(store, redemption(ALICE, "key-00001"))
    await buy(store, redemption(ALICE, "key-00002"))
    fewer = config(promotion(coupons=1), promotion("second1", cost=5))
    await store.save_booth_draft("B01", SHOP, fewer, T0)
    booth = await store.publish_booth("B01", SHOP, T0)
    assert booth.issued == {"free0tea": 2, "second1": 0}
    free = booth.published.promotion("free0tea")  # type: ignore[union-attr]
    assert free is not None and booth.left(free) == 0
    await refused(ErrorCode.SOLD_OUT, buy(store, redemption(ALICE, "key-00003")))
    dropped = await store.save_booth_draft("B01", SHOP, config(promotion("second1", cost=5)), T0)
    assert dropped.issued == {"free0tea": 2, "second1": 0}, "a draft changes nothing live"
    live = await store.publish_booth("B01", SHOP, T0)
    assert live.issued == {"second1": 0}
    await refused(ErrorCode.UNKNOWN_PROMOTION, buy(store, redemption(ALICE, "key-00004")))


async def test_an_admin_hides_and_shows_a_booth(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    hidden = await store.set_booth_hidden("B01", True, "admin", T0)
    assert hidden.hidden and hidden.on_street is None and hidden.version == 2
    assert (await store.set_booth_hidden("B01", True, "admin", T0)).version == 2, "no change"
    await refused(ErrorCode.UNKNOWN_BOOTH, buy(store, redemption(ALICE, "key-00001")))
    shown = await store.set_booth_hidden("B01", False, "admin", T0)
    assert shown.on_street == config() and shown.version == 3
    empty = await store.set_booth_hidden("B05", True, "admin", T0)
    assert empty.hidden and empty.shop_id is None


# -- coupons ----------------------------------------------------------------------------------


async def test_redeeming_moves_tokens_to_the_shop_and_issues_one_coupon(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    r = redemption(ALICE, "key-00001", expected_cost=30)
    coupon = await buy(store, r)
    assert coupon.code == r.codes[0] and coupon.shop_id == SHOP and coupon.cost == 30
    assert coupon.title.th == "ชาไทยฟรี 1 แก้ว" and coupon.usable(T0)
    assert await store.balance(visitor_account(ALICE)) == 70
    assert await store.balance(shop_account(SHOP)) == 30
    booth = await store.booth("B01")
    assert booth is not None and booth.issued == {"free0tea": 1} and booth.version == 2
    assert await store.coupons_of(ALICE) == (coupon,)
    assert await store.redemptions("B01", SHOP) == (coupon,)
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.redemptions("B01", OTHER))
    assert (await store.audit()).ok


async def test_a_redemption_tells_the_balance_and_the_booth_after_it(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    redeemed = await store.redeem(redemption(ALICE, "key-00001"), SECRET)
    assert redeemed.balance == 70 == await store.balance(visitor_account(ALICE))
    assert redeemed.booth == await store.booth("B01")
    assert redeemed.booth.version == 2 and redeemed.booth.issued == {"free0tea": 1}
    again = await store.redeem(redemption(ALICE, "key-00001"), SECRET)
    assert again == redeemed, "a retry tells the same"
    accounts = (visitor_account(ALICE), shop_account(SHOP))
    before = await snapshot(store, *accounts)
    wrong = SECRET[:-1] + "X"
    await refused(ErrorCode.BAD_IDENTITY, store.redeem(redemption(ALICE, "key-00002"), wrong))
    await refused(ErrorCode.BAD_IDENTITY, store.redeem(redemption(ALICE, "key-00001"), wrong))
    await refused(ErrorCode.BAD_IDENTITY, store.redeem(redemption(ALICE, "key-00002"), "short"))
    assert await snapshot(store, *accounts) == before


async def test_a_retried_redemption_returns_the_same_coupon_and_spends_once(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    first = await buy(store, redemption(ALICE, "key-00001"))
    retries = await asyncio.gather(
        *(buy(store, redemption(ALICE, "key-00001", now=T0 + i)) for i in range(10))
    )
    assert set(retries) == {first}
    assert await store.balance(visitor_account(ALICE)) == 70
    other = redemption(ALICE, "key-00001", promotion_id="another1")
    await refused(ErrorCode.KEY_CONFLICT, buy(store, other))
    await visitor_with(store, BOB, 100)
    assert (await buy(store, redemption(BOB, "key-00001"))).visitor_id == BOB, "keys per visitor"


@pytest.mark.parametrize(
    ("change", "code_"),
    [
        ({"slot": "B02"}, ErrorCode.UNKNOWN_BOOTH),
        ({"promotion_id": "nothing1"}, ErrorCode.UNKNOWN_PROMOTION),
        ({"now": T0 - 2 * DAY}, ErrorCode.PROMOTION_NOT_STARTED),
        ({"now": T0 + 7 * DAY}, ErrorCode.PROMOTION_ENDED),
        ({"expected_cost": 29}, ErrorCode.PROMOTION_CHANGED),
        ({"visitor_id": BOB}, ErrorCode.INSUFFICIENT_TOKENS),
        ({"visitor_id": "nobody-0001"}, ErrorCode.BAD_IDENTITY),
    ],
)
async def test_a_refused_redemption_spends_nothing(store: Store, change: dict, code_: int) -> None:  # type: ignore[type-arg]
    await open_booth(store)
    await store.grant_slot("B02", OTHER, "ลุงสม", T0)
    await visitor_with(store, ALICE, 100)
    await visitor_with(store, BOB, 29)
    accounts = (visitor_account(ALICE), visitor_account(BOB), shop_account(SHOP))
    before = await snapshot(store, *accounts)
    r = replace(redemption(ALICE, "key-00001"), **change)
    await refused(code_, buy(store, r))
    assert await snapshot(store, *accounts) == before
    assert await store.coupons_of(ALICE) == () and await store.coupons_of(BOB) == ()
    retry = await buy(store, redemption(ALICE, "key-00001"))
    assert retry.visitor_id == ALICE, "a refused key is not burnt: the retry goes through"


async def test_sold_out_is_refused_and_nothing_is_spent(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(coupons=1))
    await visitor_with(store, ALICE, 100)
    await buy(store, redemption(ALICE, "key-00001"))
    before = await snapshot(store, visitor_account(ALICE))
    await refused(ErrorCode.SOLD_OUT, buy(store, redemption(ALICE, "key-00002")))
    assert await snapshot(store, visitor_account(ALICE)) == before


async def test_two_visitors_racing_for_the_last_coupon(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(coupons=1))
    await visitor_with(store, ALICE, 100)
    await visitor_with(store, BOB, 100)
    results = await asyncio.gather(
        buy(store, redemption(ALICE, "key-00001")),
        buy(store, redemption(BOB, "key-00001")),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], Refused) and lost[0].code == ErrorCode.SOLD_OUT
    winner = won[0].visitor_id
    loser = BOB if winner == ALICE else ALICE
    assert await store.balance(visitor_account(winner)) == 70
    assert await store.balance(visitor_account(loser)) == 100, "only the winner is charged"
    assert await store.balance(shop_account(SHOP)) == 30
    assert (await store.audit()).ok


async def test_many_visitors_never_oversell(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(coupons=3, cost=10))
    visitors = [f"visitor-{i:04d}" for i in range(12)]
    for v in visitors:
        await visitor_with(store, v, 15)
    results = await asyncio.gather(
        *(buy(store, redemption(v, "key-00001")) for v in visitors), return_exceptions=True
    )
    coupons = [r for r in results if not isinstance(r, BaseException)]
    assert len(coupons) == 3 and len({c.code for c in coupons}) == 3
    assert all(isinstance(r, Refused) for r in results if isinstance(r, BaseException))
    assert await store.balance(shop_account(SHOP)) == 30
    assert sum([await store.balance(visitor_account(v)) for v in visitors]) == 12 * 15 - 30


async def test_a_taken_code_is_skipped_and_no_fresh_code_is_an_error(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    first = await buy(store, redemption(ALICE, "key-00001", codes=("22222222", "33333333")))
    second = await buy(store, redemption(ALICE, "key-00002", codes=("22222222", "44444444")))
    assert (first.code, second.code) == ("22222222", "44444444")
    with pytest.raises(StoreError):
        await buy(store, redemption(ALICE, "key-00003", codes=("22222222", "44444444")))
    assert await store.balance(visitor_account(ALICE)) == 40, "the failed one spent nothing"
    for bad in (
        redemption(ALICE, "short"),
        redemption(ALICE, "key-00004", codes=("lowercase",)),
        replace(redemption(ALICE, "key-00005"), codes=()),
    ):
        with pytest.raises(ValueError):
            await buy(store, bad)


async def test_a_coupon_is_marked_used_exactly_once(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    coupon = await buy(store, redemption(ALICE, "key-00001"))
    used = await store.verify_coupon(coupon.code, "B01", SHOP, T0 + 60)
    assert used.used_at == T0 + 60 and not used.usable(T0 + 61)
    again = await refused(ErrorCode.COUPON_USED, store.verify_coupon(coupon.code, "B01", SHOP, T0))
    assert again.refusal.retry_at == T0 + 60, "the refusal says when it was used"
    assert (await store.coupons_of(ALICE))[0].used_at == T0 + 60


async def test_checking_one_coupon_twice_at_once_succeeds_once(store: Store) -> None:
    await open_booth(store)
    await visitor_with(store, ALICE, 100)
    coupon = await buy(store, redemption(ALICE, "key-00001"))
    results = await asyncio.gather(
        *(store.verify_coupon(coupon.code, "B01", SHOP, T0 + i) for i in range(6)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(
        isinstance(r, Refused) and r.code == ErrorCode.COUPON_USED
        for r in results
        if isinstance(r, BaseException)
    )


async def test_unknown_expired_and_other_shops_coupons_are_refused(store: Store) -> None:
    await open_booth(store)
    await open_booth(store, "B02", OTHER)
    await visitor_with(store, ALICE, 100)
    mine = await buy(store, redemption(ALICE, "key-00001"))
    theirs = await buy(store, redemption(ALICE, "key-00002", slot="B02"))
    await refused(ErrorCode.COUPON_UNKNOWN, store.verify_coupon(code(99), "B01", SHOP, T0))
    await refused(ErrorCode.COUPON_OTHER_SHOP, store.verify_coupon(theirs.code, "B01", SHOP, T0))
    await refused(ErrorCode.NOT_BOOTH_OWNER, store.verify_coupon(mine.code, "B01", OTHER, T0))
    late = mine.expires_at
    await refused(ErrorCode.COUPON_EXPIRED, store.verify_coupon(mine.code, "B01", SHOP, late))
    assert (await store.verify_coupon(mine.code, "B01", SHOP, late - 1)).used_at == late - 1


async def test_owner_actions_are_audited_in_order(store: Store) -> None:
    await open_booth(store)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + DAY, T0)
    await store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + DAY, T0)
    await store.set_booth_hidden("B01", True, "admin", T0)
    await store.note_action(shop_account(SHOP), "verify", "B01", "ZZZZ2222 coupon_unknown", T0)
    await store.revoke_shop(SHOP, T0)
    actions = await store.owner_actions()
    assert [(a.actor, a.action) for a in actions] == [
        ("admin", "grant"),
        (shop_account(SHOP), "save_draft"),
        (shop_account(SHOP), "publish"),
        ("admin", "sign_in_link"),
        (shop_account(SHOP), "sign_in"),
        ("admin", "hide"),
        (shop_account(SHOP), "verify"),
        ("admin", "revoke"),
    ]
    assert [a.seq for a in actions] == sorted(a.seq for a in actions)
    assert await store.owner_actions(after=actions[5].seq, limit=1) == (actions[6],)
    assert LINK not in str(actions) and SESSION not in str(actions), "no secret in the log"


async def test_booths_and_coupons_survive_close_and_reopen(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await open_booth(store)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + DAY, T0)
    await store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + DAY, T0)
    await store.put_image("B01", SHOP, PHOTO, "image/webp", b"RIFF", T0)
    await visitor_with(store, ALICE, 100)
    coupon = await buy(store, redemption(ALICE, "key-00001"))
    before = (await store.booths(), await store.coupons_of(ALICE), await store.owner_actions())
    await store.close()
    reopened = await store_factory()
    after = (
        await reopened.booths(),
        await reopened.coupons_of(ALICE),
        await reopened.owner_actions(),
    )
    assert after == before
    assert (await reopened.owner_session(session_hash(SESSION), T0)).shop_id == SHOP
    assert await reopened.image(PHOTO) == ("image/webp", b"RIFF")
    assert (await buy(reopened, redemption(ALICE, "key-00001"))) == coupon
    assert (await reopened.audit()).ok
