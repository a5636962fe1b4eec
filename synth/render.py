"""One contact = one person seen through one channel at one moment.

Per source the person's name is written differently (VK display name, Telegram nickname,
WhatsApp push name, e-mail From header, a name typed by a call-centre operator, a web form), and
the identifiers that channel carries differ.  Hard cases created here (rates in
``synth.config.CONFIG``):

* **Hub identifiers** – call-centre / PBX numbers (8-800-555-35-35) as caller ID and placeholder
  numbers (89999999999) and e-mails (test@test.ru, no@mail.ru, 123@mail.ru) typed into mandatory
  form fields: each shared by hundreds of unrelated contacts.
* **Borrowed identifiers** – a contact written from a relative's phone, from the office line or
  the office ``info@`` mailbox, from the family mailbox.
* **Typos and noise** – misspelt names (operators, forms), wrong keyboard layout ("Bdfy"), ALL
  CAPS, Latin homoglyphs inside Cyrillic words, ё/е, zero-width characters and NBSP, decomposed
  й, mojibake; digit typos, extensions, Excel-mangled and full-width phones, junk ("нет", "-");
  e-mail domain typos (gmial.com, mail.ry, yandeх.ru with a Cyrillic х), gmail dots and +tags,
  Yandex aliases, case variants, "Имя <addr>" wrappers.
* **Missing fields** – each field is present only at a per-source rate.
"""

from __future__ import annotations

import uuid
from random import Random

from synth import emails, handles, phones, textnoise
from synth.config import SOCIAL, SOURCES, SynthConfig
from synth.emails import Mailbox
from synth.handles import Usernames
from synth.lexicon import (
    EMOJI,
    GENERIC_NAMES,
    HUB_PHONES,
    JUNK_FIELD,
    NICKNAMES_CYR,
    PLACEHOLDER_EMAILS,
    Lexicon,
    Weighted,
)
from synth.people import Person
from synth.phones import Phone

_SUFFIX_INSTAGRAM = (
    "_shop",
    "_nails",
    "_msk",
    ".official",
    "_art",
    "_photo",
    "2",
    "_life",
    ".store",
    "_beauty",
    "_home",
)


class ContactRenderer:
    def __init__(self, rng: Random, cfg: SynthConfig, lex: Lexicon, users: Usernames):
        self.rng = rng
        self.cfg = cfg
        self.users = users
        self.styles = {s: Weighted(cfg.name_styles[s]) for s in SOURCES}
        self.hub_phones = Weighted((Phone("7", nat, kind), w) for nat, kind, w in HUB_PHONES)
        self.placeholders = Weighted((Mailbox(*a.split("@")), w) for a, w in PLACEHOLDER_EMAILS)
        self.cities = Weighted((c, c.weight) for c in lex.cities)
        self.schemes = Weighted(textnoise.SCHEME_WEIGHTS)
        self.used_ids: dict[str, set] = {s: set() for s in SOURCES}

    # ---- ids ----------------------------------------------------------------------------
    def _numeric_id(self, source: str, lo: int, hi: int) -> int:
        used = self.used_ids[source]
        while True:
            n = self.rng.randrange(lo, hi)
            if n not in used:
                used.add(n)
                return n

    def _opaque_id(self, source: str, prefix: str, bits: int = 48) -> str:
        used = self.used_ids[source]
        while True:
            sid = f"{prefix}{self.rng.getrandbits(bits):0{bits // 4}x}"
            if sid not in used:
                used.add(sid)
                return sid

    def webchat_id(self) -> str:
        used = self.used_ids["webchat"]
        while True:
            sid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            if sid not in used:
                used.add(sid)
                return sid

    # ---- names --------------------------------------------------------------------------
    def name(self, p: Person, source: str, t: int, mailbox: Mailbox | None) -> str:
        rng = self.rng
        style = self.styles[source].pick(rng)
        given = p.given.name
        sur = p.surname_at(t)
        patr = p.patronymic
        dims = p.given.diminutives
        dim = (dims[0] if rng.random() < 0.6 else dims[rng.randrange(len(dims))]) if dims else given
        if rng.random() < 0.6:
            scheme, lat = p.scheme, p.lat_given
        else:
            latins = p.given.latin
            scheme, lat = self.schemes.pick(rng), latins[rng.randrange(len(latins))]

        if style == "first_last":
            text = f"{given} {sur}"
        elif style == "last_first":
            text = f"{sur} {given}"
        elif style == "full_fio":
            text = f"{sur} {given} {patr}" if patr else f"{sur} {given}"
        elif style == "first_patr":
            text = f"{given} {patr}" if patr else given
        elif style == "first_patr_last":
            text = f"{given} {patr} {sur}" if patr else f"{given} {sur}"
        elif style == "first":
            text = given
        elif style == "dim":
            text = dim
        elif style == "dim_last":
            text = f"{dim} {sur}"
        elif style == "latin_first_last":
            text = f"{lat} {textnoise.translit(sur, scheme)}"
        elif style == "latin_first":
            text = lat
        elif style == "latin_dim":
            text = textnoise.translit(dim, scheme)
        elif style == "latin_initial_last":
            ls = textnoise.translit(sur, scheme)
            text = rng.choice(
                (
                    f"{lat[:1]}.{ls}",
                    f"{lat[:1]}. {ls}",
                    f"{ls} {lat[:1]}.",
                    f"{lat[:1]}{ls}".lower(),
                )
            )
        elif style == "last_initials":
            if patr and rng.random() < 0.7:
                g0, p0 = given[:1], patr[:1]
                text = rng.choice(
                    (
                        f"{sur} {g0}.{p0}.",
                        f"{sur} {g0}. {p0}.",
                        f"{sur} {g0}{p0}",
                        f"{g0}.{p0}. {sur}",
                    )
                )
            else:
                text = f"{sur} {given[:1]}."
        elif style == "first_last_initial":
            text = f"{dim if rng.random() < 0.3 else given} {sur[:1]}."
        elif style == "username":
            text = p.tg_user if source == "telegram" and p.tg_user else (p.ig_user or p.base_user)
        elif style == "emoji":
            base = rng.choice((dim, given, textnoise.translit(dim, scheme), f"{given} {sur}"))
            e = EMOJI[rng.randrange(len(EMOJI))]
            r = rng.random()
            text = f"{base} {e}" if r < 0.6 else (f"{e} {base} {e}" if r < 0.8 else f"{e}{base}")
        elif style == "nickname":
            text = NICKNAMES_CYR[rng.randrange(len(NICKNAMES_CYR))]
        elif style == "generic":
            g = GENERIC_NAMES[source]
            text = g[rng.randrange(len(g))]
        elif style == "phone_as_name":
            ph = p.mobile or p.home_phone
            text = phones.render(ph, rng) if ph else ""
        elif style == "email_as_name":
            text = p.email.address if p.email else ""
        elif style == "empty":
            text = ""
        elif style == "layout":
            text = textnoise.wrong_layout(given if rng.random() < 0.5 else f"{given} {sur}")
        elif style == "caps":
            text = (
                f"{sur} {given} {patr}" if patr and rng.random() < 0.5 else f"{given} {sur}"
            ).upper()
        elif style == "lower":
            text = (given if rng.random() < 0.5 else f"{given} {sur}").lower()
        elif style == "first_last_maiden":
            if p.maiden is not None and t >= p.surname_change_at:
                text = f"{given} {sur} ({p.maiden.form(p.gender)})"
            else:
                text = f"{given} {sur}"
        elif style == "local_part":
            text = mailbox.local if mailbox is not None else ""
        elif style == "company":
            text = p.office.name if p.office is not None else f"{given} {sur}"
        else:  # pragma: no cover - config error
            raise ValueError(f"unknown name style {style!r}")
        if not text:
            return text
        return self.noisy_name(text, source)

    def noisy_name(self, text: str, source: str) -> str:
        rng, cfg = self.rng, self.cfg
        if ("ё" in text or "Ё" in text) and rng.random() < cfg.yo_as_e:
            text = textnoise.yo_to_e(text)
        if rng.random() < cfg.name_typo[source]:
            text = textnoise.typo(text, rng)
        if rng.random() < cfg.nfd and ("й" in text or "ё" in text):
            text = textnoise.nfd(text)
        if rng.random() < cfg.homoglyph:
            text = textnoise.homoglyph(text, rng)
        if rng.random() < cfg.zero_width:
            text = textnoise.invisible(text, rng)
        if rng.random() < cfg.nbsp:
            text = textnoise.nbsp(text)
        if rng.random() < cfg.stray_spaces:
            text = textnoise.stray_spaces(text, rng)
        if rng.random() < cfg.mojibake:
            text = textnoise.mojibake(text)
        return text

    # ---- phones -------------------------------------------------------------------------
    def current_mobile(self, p: Person, t: int) -> Phone | None:
        if p.old_mobile is not None and (
            t < p.phone_change_at or self.rng.random() < self.cfg.old_phone_after_change
        ):
            return p.old_mobile
        return p.mobile

    def pick_phone(
        self, p: Person, source: str, t: int, mobile_only: bool = False
    ) -> tuple[Phone | None, bool]:
        """Which number this contact shows; second value: it is the office line."""
        rng, cfg = self.rng, self.cfg
        if not mobile_only:
            if p.office is not None and rng.random() < cfg.office_contact_from_work[source]:
                return p.office.phone, True
            if (
                p.home_phone is not None
                and source in ("phone", "webchat")
                and rng.random() < cfg.home_phone_use
            ):
                return p.home_phone, False
        if p.family and rng.random() < cfg.family_borrow_phone:
            other = p.family[rng.randrange(len(p.family))]
            ph = self.current_mobile(other, t)
            if ph is not None:
                return ph, False
        if p.second_phone is not None and rng.random() < cfg.second_phone_use:
            return p.second_phone, False
        ph = self.current_mobile(p, t)
        if ph is None and not mobile_only:
            ph = p.home_phone or (p.office.phone if p.office is not None else None)
        return ph, False

    def phone_text(self, ph: Phone, p: Person, source: str, office: bool) -> str:
        rng, cfg = self.rng, self.cfg
        r = rng.random()
        if r < cfg.phone_junk:
            return JUNK_FIELD[rng.randrange(len(JUNK_FIELD))]
        if r < cfg.phone_junk + cfg.phone_excel:
            return phones.excel(ph)
        if source == "telegram" and rng.random() < 0.5:
            text = ("+" if rng.random() < 0.6 else "") + ph.digits
        else:
            text = phones.render(ph, rng, cfg.local_only_landline)
        if office and rng.random() < cfg.office_extension:
            text = phones.with_extension(text, rng)
        if rng.random() < cfg.phone_typo[source]:
            text = phones.digit_typo(text, rng)
        if rng.random() < cfg.phone_two_numbers:
            other = p.second_phone or p.old_mobile or p.home_phone
            if other is not None and other != ph:
                sep = rng.choice(("; ", ", ", " / ", " или "))
                text = f"{text}{sep}{phones.render(other, rng)}"
        if rng.random() < cfg.phone_fullwidth:
            text = phones.fullwidth(text)
        return text

    # ---- e-mail -------------------------------------------------------------------------
    def pick_email(self, p: Person, source: str, t: int) -> Mailbox | None:
        rng, cfg = self.rng, self.cfg
        if p.office is not None and rng.random() < cfg.office_contact_from_work[source]:
            if p.work_email is None or rng.random() < cfg.office_shared_mailbox:
                boxes = p.office.mailboxes
                return boxes[rng.randrange(len(boxes))]
            return p.work_email
        if p.family_email is not None and rng.random() < 0.3:
            return p.family_email
        if p.alt_email is not None and rng.random() < cfg.second_email_use:
            return p.alt_email
        if p.old_email is not None and t < p.email_change_at:
            return p.old_email
        return p.email

    # ---- city ---------------------------------------------------------------------------
    def city(self, p: Person, source: str) -> str:
        rng, cfg = self.rng, self.cfg
        if rng.random() >= cfg.city_present[source]:
            return ""
        c = p.city if rng.random() >= cfg.city_other else self.cities.pick(rng)
        if rng.random() < cfg.city_canonical[source] or not c.variants:
            return c.name
        return c.variants[rng.randrange(len(c.variants))]

    # ---- a whole contact ----------------------------------------------------------------
    def contact(
        self, p: Person, source: str, t: int, account_no: int
    ) -> tuple[str, str, str, str, str, str]:
        """(source_id, name, email, phone, handle, city); email/phone source ids come later."""
        rng, cfg = self.rng, self.cfg
        sid = ""
        handle = ""
        phone_text = ""
        email_text = ""
        mailbox: Mailbox | None = None

        if source == "whatsapp":
            ph, _ = self.pick_phone(p, source, t, mobile_only=True)
            if ph is None:
                ph = p.home_phone or self.hub_phones.pick(rng)
            if rng.random() < cfg.whatsapp_id_is_phone and ph.digits not in self.used_ids[source]:
                sid = ph.digits
                self.used_ids[source].add(sid)
            else:
                sid = self._opaque_id(source, "wa-")
            if rng.random() < cfg.handle_present[source]:
                handle = handles.whatsapp(ph.digits, rng)
            if rng.random() < cfg.phone_present[source] or not handle:
                phone_text = self.phone_text(ph, p, source, False)
        else:
            if source == "vk":
                vk_id = self._numeric_id(source, 1_000_000, 900_000_000)
                sid = str(vk_id)
                screen = (
                    p.vk_screen
                    if account_no == 0
                    else (self.users.claim("vk", p.base_user) if rng.random() < 0.4 else None)
                )
                if rng.random() < cfg.handle_present[source]:
                    handle = handles.vk(vk_id, screen, rng)
            elif source == "telegram":
                sid = str(self._numeric_id(source, 100_000_000, 7_999_999_999))
                user = (
                    p.tg_user
                    if account_no == 0
                    else (self.users.claim("telegram", p.base_user) if rng.random() < 0.5 else None)
                )
                if user and rng.random() < cfg.handle_present[source]:
                    handle = handles.telegram(user, rng)
            elif source == "instagram":
                sid = str(self._numeric_id(source, 1_000_000_000, 79_999_999_999))
                user = p.ig_user
                if account_no > 0 and user is not None:
                    suffix = _SUFFIX_INSTAGRAM[rng.randrange(len(_SUFFIX_INSTAGRAM))]
                    user = self.users.claim("instagram", user + suffix)
                if user and rng.random() < cfg.handle_present[source]:
                    handle = handles.instagram(user, rng)
            elif source == "webchat":
                sid = self.webchat_id()
            if (
                source in ("email", "phone", "webchat")
                and rng.random() < cfg.handle_present[source]
            ):
                r = rng.random()
                if r < 0.5 and p.tg_user:
                    handle = handles.telegram(p.tg_user, rng)
                elif r < 0.8 and p.ig_user:
                    handle = handles.instagram(p.ig_user, rng)
                elif p.vk_screen:
                    handle = handles.vk(None, p.vk_screen, rng)
            # phone field
            if rng.random() < cfg.hub_phone[source]:
                hub = self.hub_phones.pick(rng)
                phone_text = phones.render(hub, rng)
            elif rng.random() < cfg.phone_present[source]:
                # social profiles hold a mobile; calls, forms and signatures may give a landline
                ph, office = self.pick_phone(p, source, t, mobile_only=source in SOCIAL)
                if ph is not None:
                    phone_text = self.phone_text(ph, p, source, office)
        # e-mail field
        if rng.random() < cfg.hub_email[source]:
            box = self.placeholders.pick(rng)
            email_text = box.address.upper() if rng.random() < 0.05 else box.address
        elif rng.random() < cfg.email_present[source]:
            mailbox = self.pick_email(p, source, t)
            if mailbox is not None:
                if source in ("phone", "webchat") and rng.random() < cfg.email_junk:
                    email_text = JUNK_FIELD[rng.randrange(len(JUNK_FIELD))]
                else:
                    display = ""
                    if source == "email":
                        display = f"{p.given.name} {p.surname_at(t)}"
                    email_text = emails.render(mailbox, rng, cfg, source, display)
        name = self.name(p, source, t, mailbox)
        city = self.city(p, source)
        return sid, name, email_text, phone_text, handle, city
