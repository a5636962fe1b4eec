"""normalize_handle: (input, platform hint) → (platform, key, kind, nickname, phone) tables."""

from __future__ import annotations

import pytest

from normalizers.handle import PLATFORM_CODES, HandleKey, normalize_handle, platform_of

PHONE = "+79163427815"


@pytest.mark.parametrize(
    ("raw", "hint", "platform", "key", "kind"),
    [
        # VK: hosts, id<digits>, screen names, communities
        ("https://vk.com/id123", None, "vk", "vk:id123", "user"),
        ("http://vk.com/id123/", None, "vk", "vk:id123", "user"),
        ("vk.com/id123", None, "vk", "vk:id123", "user"),
        ("https://m.vk.com/id123", None, "vk", "vk:id123", "user"),
        ("https://new.vk.com/id123", None, "vk", "vk:id123", "user"),
        ("https://www.vk.com/id123#wall", None, "vk", "vk:id123", "user"),
        ("https://vk.ru/id123", None, "vk", "vk:id123", "user"),
        ("http://vkontakte.ru/id123", None, "vk", "vk:id123", "user"),
        ("https://VK.com/Ivan_Petrov", None, "vk", "vk:ivan_petrov", "user"),
        ("https://vk.com/ivan_petrov?w=wall1_2", None, "vk", "vk:ivan_petrov", "user"),
        ("https://vk.com/%69d123", None, "vk", "vk:id123", "user"),  # percent-decoded
        ("https://vk.com/im?sel=123", None, "vk", "vk:id123", "user"),  # an id query param
        ("https://vk.com/write123", None, "vk", "vk:id123", "user"),
        ("https://vk.com/public123", None, "vk", "vk:club123", "community"),
        ("https://vk.com/club123", None, "vk", "vk:club123", "community"),
        ("https://vk.com/event123", None, "vk", "vk:club123", "community"),
        ("id123", "vk", "vk", "vk:id123", "user"),
        ("123", "vk", "vk", "vk:id123", "user"),
        ("@ivan_petrov", "vk", "vk", "vk:ivan_petrov", "user"),
        ("club123", "vk", "vk", "vk:club123", "community"),
        ("VK: https://vk.com/id77", None, "vk", "vk:id77", "user"),  # link inside text
        # Telegram: t.me variants, tg://resolve, <user>.t.me, phones, invites
        ("https://t.me/ivan_petrov", None, "tg", "tg:ivan_petrov", "user"),
        ("t.me/Ivan_Petrov", None, "tg", "tg:ivan_petrov", "user"),
        ("https://telegram.me/ivan_petrov", None, "tg", "tg:ivan_petrov", "user"),
        ("https://telegram.dog/ivan_petrov", None, "tg", "tg:ivan_petrov", "user"),
        ("https://ivan_petrov.t.me", None, "tg", "tg:ivan_petrov", "user"),
        ("tg://resolve?domain=ivan_petrov", None, "tg", "tg:ivan_petrov", "user"),
        ("tg://resolve?domain=ivan_petrov&start=1", None, "tg", "tg:ivan_petrov", "user"),
        ("https://t.me/ivan_petrov?start=promo", None, "tg", "tg:ivan_petrov", "user"),
        ("@ivan_petrov", "telegram", "tg", "tg:ivan_petrov", "user"),
        ("@Ivan_Petrov", "telegram", "tg", "tg:ivan_petrov", "user"),
        ("ivan_petrov", "tg", "tg", "tg:ivan_petrov", "user"),
        ("https://t.me/+79163427815", None, "tg", PHONE, "phone"),
        ("https://t.me/+AbCdEf12345", None, "tg", "tg:+abcdef12345", "invite"),
        ("https://t.me/joinchat/AAAAAEkz", None, "tg", "tg:joinchat/aaaaaekz", "invite"),
        ("tg://join?invite=AbCd", None, "tg", "tg:+abcd", "invite"),
        ("https://t.me/s/news_channel", None, "tg", "tg:news_channel", "community"),
        ("https://t.me/news_channel/123", None, "tg", "tg:news_channel", "community"),
        ("+7 916 342-78-15", "telegram", "tg", PHONE, "phone"),
        # Instagram: first path segment, reserved segments excluded
        ("https://www.instagram.com/ivan.p/", None, "ig", "ig:ivan.p", "user"),
        ("https://instagram.com/Ivan.P?igshid=abc", None, "ig", "ig:ivan.p", "user"),
        ("instagram.com/ivan.p/reels/", None, "ig", "ig:ivan.p", "user"),
        ("https://instagr.am/ivan.p", None, "ig", "ig:ivan.p", "user"),
        ("https://www.instagram.com/stories/ivan.p/3141592/", None, "ig", "ig:ivan.p", "user"),
        ("@ivan.p", "instagram", "ig", "ig:ivan.p", "user"),
        ("ivan_p", "instagram", "ig", "ig:ivan_p", "user"),
        # Facebook: profile.php?id, people/<name>/<n>, usernames ignore dots
        ("https://www.facebook.com/profile.php?id=100004", None, "fb", "fb:id100004", "user"),
        ("https://m.facebook.com/profile.php?id=100004&ref=x", None, "fb", "fb:id100004", "user"),
        ("https://facebook.com/people/Ivan-Petrov/100004/", None, "fb", "fb:id100004", "user"),
        ("https://www.facebook.com/Ivan.Petrov", None, "fb", "fb:ivanpetrov", "user"),
        ("https://fb.com/ivanpetrov", None, "fb", "fb:ivanpetrov", "user"),
        ("ivan.petrov", "facebook", "fb", "fb:ivanpetrov", "user"),
        ("https://www.facebook.com/groups/knitting", None, "fb", "fb:page:knitting", "community"),
        # OK: profile/<digits>
        ("https://ok.ru/profile/123456", None, "ok", "ok:123456", "user"),
        ("https://m.ok.ru/profile/123456", None, "ok", "ok:123456", "user"),
        ("http://odnoklassniki.ru/profile/123456", None, "ok", "ok:123456", "user"),
        ("https://ok.ru/group/555", None, "ok", "ok:group555", "community"),
        ("123456", "ok", "ok", "ok:123456", "user"),
        # WhatsApp: the id is a phone, keyed like the phone field
        ("https://wa.me/79163427815", None, "wa", PHONE, "phone"),
        ("wa.me/79163427815?text=hi", None, "wa", PHONE, "phone"),
        ("https://api.whatsapp.com/send?phone=79163427815", None, "wa", PHONE, "phone"),
        ("https://api.whatsapp.com/send/?phone=79163427815&text=x", None, "wa", PHONE, "phone"),
        ("whatsapp://send?phone=79163427815", None, "wa", PHONE, "phone"),
        ("https://wa.me/89163427815", None, "wa", PHONE, "phone"),  # national form
        ("89163427815", "whatsapp", "wa", PHONE, "phone"),
        ("+7 (916) 342-78-15", "whatsapp", "wa", PHONE, "phone"),
        ("https://chat.whatsapp.com/AbC123", None, "wa", "wa:chat/abc123", "invite"),
        # a link wins over the hint; a bare name without a hint is platform-unknown
        ("https://t.me/ivan_petrov", "vk", "tg", "tg:ivan_petrov", "user"),
        ("@ivan_petrov", None, "unknown", "unknown:ivan_petrov", "user"),
        ("ivan_petrov", "email", "unknown", "unknown:ivan_petrov", "user"),
    ],
)
def test_normalize_handle(raw: str, hint: str | None, platform: str, key: str, kind: str) -> None:
    result = normalize_handle(raw, platform_hint=hint)
    assert result is not None
    assert (result.platform, result.key, result.kind) == (platform, key, kind)


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        ("t.me/ivan", None),  # Telegram usernames have 5+ characters
        ("@ivan", "telegram"),
        ("@ivan-petrov", "telegram"),  # not [a-z0-9_]
        ("@" + "a" * 33, "telegram"),  # over 32
        ("https://t.me/addstickers/cats", None),
        ("https://t.me/share/url?url=x", None),
        ("https://www.instagram.com/p/Cx12ab/", None),
        ("https://www.instagram.com/reel/Cx12ab/", None),
        ("https://www.instagram.com/reels/Cx12ab/", None),
        ("https://www.instagram.com/explore/tags/cats/", None),
        ("https://www.instagram.com/accounts/login/", None),
        ("https://www.instagram.com/stories/", None),
        ("https://instagram.com", None),
        ("https://vk.com/feed", None),
        ("https://vk.com/", None),
        ("https://www.facebook.com/sharer.php?u=x", None),
        ("https://example.com/ivan", None),  # unknown host
        ("https://yandex.ru", None),
        ("Иван Петров", "vk"),  # a name in the handle field
        ("ivan@mail.ru", "telegram"),  # an e-mail in the handle field
        ("ivan_petrov", "whatsapp"),  # WhatsApp has no usernames
        ("12", "whatsapp"),
        ("https://wa.me/123", None),
        ("нет", "vk"),
        ("-", None),
        ("", None),
        (None, "vk"),
        (float("nan"), "telegram"),
    ],
)
def test_no_handle(raw: object, hint: str | None) -> None:
    assert normalize_handle(raw, platform_hint=hint) is None


@pytest.mark.parametrize(
    ("raw", "hint", "nickname", "phone"),
    [
        ("https://vk.com/Ivan_Petrov", None, "ivan_petrov", None),
        ("https://vk.com/id123", None, None, None),  # numeric ids: no nickname
        ("https://t.me/ivan_petrov", None, "ivan_petrov", None),
        ("https://www.instagram.com/ivan.p/", None, "ivan.p", None),
        ("https://www.facebook.com/Ivan.Petrov", None, "ivan.petrov", None),
        ("https://ok.ru/profile/123456", None, None, None),
        ("https://wa.me/79163427815", None, None, PHONE),
        ("https://t.me/+79163427815", None, None, PHONE),
        ("@ivan_petrov", None, "ivan_petrov", None),
        ("https://t.me/s/news_channel", None, None, None),  # communities: no nickname
    ],
)
def test_nickname_and_phone(
    raw: str, hint: str | None, nickname: str | None, phone: str | None
) -> None:
    result = normalize_handle(raw, platform_hint=hint)
    assert result is not None
    assert (result.nickname, result.phone) == (nickname, phone)


def test_whatsapp_key_equals_phone_field() -> None:
    from normalizers.phone import normalize_phone

    wa = normalize_handle("https://wa.me/79163427815")
    assert isinstance(wa, HandleKey)
    assert wa.key == normalize_phone("8 (916) 342-78-15").e164


@pytest.mark.parametrize(
    ("channel", "code"),
    [
        ("vk", "vk"),
        ("VKontakte", "vk"),
        ("вконтакте", "vk"),
        ("telegram", "tg"),
        ("tg", "tg"),
        (" Telegram ", "tg"),
        ("instagram", "ig"),
        ("insta", "ig"),
        ("ig", "ig"),
        ("facebook", "fb"),
        ("ok", "ok"),
        ("odnoklassniki", "ok"),
        ("одноклассники", "ok"),
        ("whatsapp", "wa"),
        ("wa", "wa"),
        ("email", None),
        ("phone", None),
        ("", None),
        (None, None),
    ],
)
def test_platform_of_channel_names(channel: str | None, code: str | None) -> None:
    assert platform_of(channel) == code
    if code is not None:
        assert code in PLATFORM_CODES


def test_platform_codes_are_the_keys_handles_start_with() -> None:
    for raw, hint in (
        ("vk.com/id1", None),
        ("@ivan_petrov", "tg"),
        ("instagram.com/ivan", None),
        ("ok.ru/profile/123", None),
        ("ivan_petrov", None),
    ):
        got = normalize_handle(raw, platform_hint=hint)
        assert got is not None and got.key.split(":")[0] in PLATFORM_CODES
