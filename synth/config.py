"""Every rate the generator uses, in one table (``CONFIG``), so the difficulty can be tuned.

Probabilities are per person or per contact as each comment says.  Weight tables are
``((value, weight), ...)`` tuples; weights need not sum to one.  Pass a modified copy to
``generate(..., config=dataclasses.replace(CONFIG, household_rate=0.5))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

SOURCES: tuple[str, ...] = ("vk", "telegram", "instagram", "whatsapp", "email", "phone", "webchat")
SOCIAL: frozenset[str] = frozenset({"vk", "telegram", "instagram", "whatsapp"})

Table = tuple[tuple[object, float], ...]


def _per_source(**kw: float) -> dict[str, float]:
    missing = set(SOURCES) - set(kw)
    if missing:
        raise ValueError(f"per-source table misses {sorted(missing)}")
    return dict(kw)


def _ts(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class SynthConfig:
    # ---- people ---------------------------------------------------------------------------
    # contacts per person: long tail (many people with one contact, some with 5-10); mean ~2.5
    contacts_per_person: Table = (
        (1, 0.41),
        (2, 0.23),
        (3, 0.13),
        (4, 0.08),
        (5, 0.055),
        (6, 0.04),
        (7, 0.025),
        (8, 0.015),
        (9, 0.01),
        (10, 0.005),
    )
    # ethnic/linguistic origin of a person: picks given-name and surname pools
    origins: Table = (
        ("ru", 0.84),
        ("ukrainian", 0.04),
        ("tatar", 0.05),
        ("armenian", 0.02),
        ("central_asian", 0.03),
        ("caucasus", 0.015),
        ("georgian", 0.005),
    )
    # share of given names drawn from the Russian pool for non-Russian origins
    ru_given_share: dict[str, float] = field(
        default_factory=lambda: {
            "ru": 1.0,
            "ukrainian": 0.85,
            "tatar": 0.35,
            "armenian": 0.3,
            "central_asian": 0.1,
            "caucasus": 0.15,
            "georgian": 0.3,
        }
    )
    # a Russian-origin person sometimes has a surname of another origin (mixed families)
    ru_foreign_surname: Table = (
        ("ru", 0.905),
        ("ukrainian", 0.045),
        ("belarusian", 0.025),
        ("german", 0.015),
        ("korean", 0.005),
        ("tatar", 0.005),
    )
    birth_years: tuple[int, int] = (1950, 2007)
    no_patronymic: dict[str, float] = field(
        default_factory=lambda: {"central_asian": 0.3, "caucasus": 0.2, "georgian": 0.2}
    )

    # ---- hard case: families (households) -------------------------------------------------
    household_rate: float = 0.30  # share of persons living with another person in the data
    household_sizes: Table = ((2, 0.6), (3, 0.27), (4, 0.13))
    spouse_kept_surname: float = 0.15  # wife kept her own surname (no name link at all)
    spouse_recent_marriage: float = 0.12  # marriage inside the data window: surname changes
    junior_same_name: float = 0.06  # son named after his father (Иван Иванович Иванов)
    household_home_phone: float = 0.45  # the family shares a landline
    household_family_email: float = 0.18  # ...and/or a family mailbox (ivanovy@mail.ru)
    household_shared_mobile: float = 0.12  # one member has no own mobile and uses another's
    family_borrow_phone: float = 0.07  # per phone contact: written from a relative's phone
    home_phone_use: float = 0.2  # call / web form from the home landline (if any)

    # ---- hard case: office colleagues ------------------------------------------------------
    office_rate: float = 0.08  # share of persons who work in an office in the data
    office_size: tuple[int, int] = (3, 12)
    office_work_email: float = 0.7  # colleague has a personal mailbox at the company domain
    office_contact_from_work: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0, telegram=0, instagram=0, whatsapp=0, email=0.5, phone=0.35, webchat=0.25
        )
    )
    office_shared_mailbox: float = 0.35  # when writing from work: the info@/office@ mailbox
    office_extension: float = 0.5  # office phone written with "доб. 123"

    # ---- hard case: hub identifiers (call centres, placeholders) ---------------------------
    # per contact that carries a phone: replaced by a call-centre / placeholder number
    hub_phone: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0, telegram=0, instagram=0, whatsapp=0, email=0.01, phone=0.05, webchat=0.05
        )
    )
    # per contact of the source: a placeholder e-mail typed to get past a mandatory field
    hub_email: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0, telegram=0, instagram=0, whatsapp=0, email=0, phone=0.05, webchat=0.06
        )
    )

    # ---- hard case: changes over time, namesakes ------------------------------------------
    namesake_rate: float = 0.06  # person copies an earlier person's name and city
    namesake_same_patronymic: float = 0.3
    namesake_group_join: float = 0.5  # a namesake joins an existing group of namesakes
    surname_change_rate: float = 0.05  # extra (non-household) women who marry in the window
    new_email_after_marriage: float = 0.5
    phone_change_rate: float = 0.07  # the mobile number changes inside the window
    recycled_number_rate: float = 0.15  # ...and the new number is someone else's old one
    old_phone_after_change: float = 0.1  # contact after the change still gives the old number
    second_phone_rate: float = 0.08  # a second (work) mobile
    second_phone_use: float = 0.25
    second_email_rate: float = 0.15  # an old/alternative mailbox
    second_email_use: float = 0.3
    no_mobile_rate: float = 0.02
    kz_mobile_rate: float = 0.012  # +7 7xx Kazakhstan mobile (more in Almaty)
    foreign_mobile_rate: float = 0.01  # +375, +380, +49, +998 ...
    single_landline_rate: float = 0.05
    cyrillic_mailbox_rate: float = 0.004  # иван@почта.рф
    corporate_personal_rate: float = 0.03  # personal mailbox at some company domain
    username_reuse: float = 0.45  # same username on Telegram / Instagram / VK

    # ---- sources ---------------------------------------------------------------------------
    source_weights: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.16,
            telegram=0.17,
            instagram=0.08,
            whatsapp=0.16,
            email=0.14,
            phone=0.17,
            webchat=0.12,
        )
    )
    favourite_sources: int = 2
    favourite_boost: float = 6.0
    social_repeat_damping: float = 0.2  # a second account on the same social network is rare
    whatsapp_id_is_phone: float = 0.7  # WhatsApp source_id = the phone digits (else an opaque id)

    # ---- which fields a contact carries ----------------------------------------------------
    phone_present: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.1, telegram=0.45, instagram=0.1, whatsapp=0.9, email=0.35, phone=0.95, webchat=0.6
        )
    )
    email_present: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.08,
            telegram=0.05,
            instagram=0.1,
            whatsapp=0.02,
            email=1.0,
            phone=0.25,
            webchat=0.65,
        )
    )
    handle_present: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.97, telegram=0.7, instagram=0.96, whatsapp=0.3, email=0.03, phone=0.02, webchat=0.1
        )
    )
    city_present: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.65,
            telegram=0.05,
            instagram=0.15,
            whatsapp=0.05,
            email=0.1,
            phone=0.3,
            webchat=0.35,
        )
    )
    city_canonical: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.85, telegram=0.4, instagram=0.4, whatsapp=0.4, email=0.5, phone=0.35, webchat=0.4
        )
    )
    city_other: float = 0.06  # contact's city is not the person's (trip, typo, move)

    # ---- how the name is written per source ------------------------------------------------
    name_styles: dict[str, Table] = field(
        default_factory=lambda: {
            "vk": (
                ("first_last", 55),
                ("latin_first_last", 10),
                ("dim_last", 8),
                ("first", 3),
                ("emoji", 3),
                ("last_first", 2),
                ("nickname", 3),
                ("caps", 1),
                ("latin_dim", 3),
                ("first_last_maiden", 4),
            ),
            "telegram": (
                ("first", 15),
                ("dim", 14),
                ("latin_dim", 10),
                ("username", 8),
                ("first_last", 14),
                ("latin_first_last", 6),
                ("emoji", 8),
                ("nickname", 6),
                ("generic", 2),
                ("dim_last", 5),
                ("first_last_initial", 3),
                ("latin_first", 5),
                ("lower", 3),
            ),
            "instagram": (
                ("latin_first_last", 25),
                ("first_last", 20),
                ("username", 15),
                ("empty", 15),
                ("emoji", 8),
                ("nickname", 5),
                ("latin_first", 5),
                ("dim", 4),
            ),
            "whatsapp": (
                ("empty", 35),
                ("dim", 15),
                ("first", 12),
                ("first_last_initial", 6),
                ("first_last", 10),
                ("emoji", 6),
                ("latin_dim", 5),
                ("phone_as_name", 3),
                ("nickname", 4),
                ("generic", 1),
                ("latin_first", 3),
            ),
            "email": (
                ("latin_first_last", 25),
                ("full_fio", 10),
                ("first_last", 20),
                ("latin_initial_last", 8),
                ("empty", 12),
                ("local_part", 8),
                ("last_first", 5),
                ("first", 5),
                ("company", 3),
            ),
            "phone": (
                ("first", 18),
                ("last_initials", 12),
                ("first_patr", 10),
                ("full_fio", 8),
                ("first_last", 8),
                ("generic", 14),
                ("empty", 20),
                ("last_first", 4),
                ("company", 3),
            ),
            "webchat": (
                ("first", 20),
                ("first_last", 15),
                ("full_fio", 5),
                ("first_patr_last", 5),
                ("generic", 8),
                ("layout", 3),
                ("caps", 4),
                ("lower", 6),
                ("dim", 6),
                ("latin_first", 4),
                ("latin_first_last", 3),
                ("first_patr", 3),
                ("empty", 10),
                ("nickname", 3),
                ("phone_as_name", 1),
                ("email_as_name", 1),
            ),
        }
    )
    # ---- noise on names (per contact) ------------------------------------------------------
    name_typo: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.01,
            telegram=0.01,
            instagram=0.01,
            whatsapp=0.02,
            email=0.01,
            phone=0.09,
            webchat=0.06,
        )
    )
    yo_as_e: float = 0.6  # ё typed as е
    homoglyph: float = 0.012  # a Latin a/e/o/c/p/x inside a Cyrillic word
    zero_width: float = 0.006  # U+200B/200C/200D/FEFF/200E inside the name
    nbsp: float = 0.012  # NBSP instead of a space
    stray_spaces: float = 0.03  # leading/trailing/double spaces
    nfd: float = 0.004  # decomposed й / ё
    mojibake: float = 0.001  # UTF-8 read as cp1252 ("Ð˜Ð²Ð°Ð½")

    # ---- noise on phones (per rendered phone) -----------------------------------------------
    phone_typo: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.01,
            telegram=0.005,
            instagram=0.01,
            whatsapp=0.003,
            email=0.01,
            phone=0.03,
            webchat=0.05,
        )
    )
    phone_junk: float = 0.01  # "нет", "-", "0" instead of a number
    phone_excel: float = 0.001  # 7.91612E+10
    phone_two_numbers: float = 0.01  # "8916...; 8926..." (when a second number exists)
    phone_fullwidth: float = 0.002
    local_only_landline: float = 0.12  # landline written without the area code

    # ---- noise on e-mails (per rendered address) --------------------------------------------
    email_case: float = 0.08
    gmail_dots: float = 0.15
    gmail_tag: float = 0.08
    googlemail: float = 0.03
    yandex_alias: float = 0.1
    email_domain_typo: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.005,
            telegram=0.005,
            instagram=0.005,
            whatsapp=0.005,
            email=0.002,
            phone=0.06,
            webchat=0.04,
        )
    )
    email_local_typo: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=0.003,
            telegram=0.003,
            instagram=0.003,
            whatsapp=0.003,
            email=0.001,
            phone=0.08,
            webchat=0.03,
        )
    )
    email_display_wrapper: float = 0.04  # "Иван <ivan@mail.ru>" (email source only)
    email_mailto: float = 0.005
    email_homoglyph: float = 0.004  # Cyrillic а/о/е/с inside a Latin address
    email_junk: float = 0.01  # "нет", "-" in the e-mail field (webchat / phone)
    punycode: float = 0.3  # почта.рф written as xn--80a1acny.xn--p1ai

    # ---- time --------------------------------------------------------------------------------
    window: tuple[int, int] = (_ts(2022, 1, 1), _ts(2025, 10, 31))
    activity_span_days: float = 150.0  # mean gap between a person's contacts
    # timestamp style of a contact (and its interactions)
    ts_styles: Table = (
        ("moscow", 0.8),
        ("local", 0.1),
        ("utc_z", 0.05),
        ("naive", 0.04),
        ("millis", 0.01),
    )

    # ---- interactions ------------------------------------------------------------------------
    interactions_per_contact: Table = (
        (1, 0.36),
        (2, 0.22),
        (3, 0.14),
        (4, 0.1),
        (5, 0.07),
        (6, 0.05),
        (7, 0.03),
        (8, 0.03),
    )
    # mean gap between interactions of one contact, days
    interaction_gap_days: dict[str, float] = field(
        default_factory=lambda: _per_source(
            vk=20, telegram=15, instagram=20, whatsapp=12, email=1.5, phone=10, webchat=0.02
        )
    )
    channels: dict[str, Table] = field(
        default_factory=lambda: {
            "vk": (("message", 0.95), ("call", 0.05)),
            "telegram": (("message", 0.9), ("call", 0.1)),
            "instagram": (("message", 0.85), ("comment", 0.15)),
            "whatsapp": (("message", 0.85), ("call", 0.1), ("voice", 0.05)),
            "email": (("email", 1.0),),
            "phone": (("call", 0.9), ("callback", 0.1)),
            "webchat": (("chat", 0.95), ("form", 0.05)),
        }
    )
    ratings: Table = (("good", 0.42), ("neutral", 0.14), ("bad", 0.12), ("", 0.32))
    bot_operator: float = 0.1  # chat/message interactions handled by the bot

    def __post_init__(self) -> None:
        for name in (
            "hub_phone",
            "hub_email",
            "phone_present",
            "email_present",
            "handle_present",
            "city_present",
            "city_canonical",
            "name_typo",
            "phone_typo",
            "email_domain_typo",
            "email_local_typo",
            "office_contact_from_work",
            "source_weights",
            "interaction_gap_days",
        ):
            table = getattr(self, name)
            if set(table) != set(SOURCES):
                raise ValueError(f"{name} must have exactly the sources {SOURCES}")
        if set(self.name_styles) != set(SOURCES) or set(self.channels) != set(SOURCES):
            raise ValueError("name_styles and channels need every source")


CONFIG = SynthConfig()
