"""The hidden truth: people, their families and offices, and what identifiers each one owns.

Hard cases created here (rates in ``synth.config.CONFIG``):

* **Name frequency skew + namesakes** – given names and surnames are drawn with a Zipf-like skew
  (Иван, Александр, Елена, Ольга; Иванов, Смирнов, Кузнецов), most people live in a few big
  cities, and ``namesake_rate`` of people copy an earlier person's name and city outright:
  different people called "Иван Иванов" in Москва.
* **Families (households)** – spouses, parent/child and siblings share a surname in its gendered
  form (Иванов / Иванова), children carry the father's name as patronymic (a son may even be
  named after his father), and households share a landline, a family mailbox
  (``ivanovy@mail.ru``) or even one mobile.
* **Office colleagues** – share the company landline (with or without "доб. 12") and an
  ``info@`` / ``office@`` mailbox; many also have a personal address at the company domain.
* **Marriage** – a woman's surname changes inside the data window (contacts before show the
  maiden name), often together with a new mailbox; VK shows "Имя Фамилия (Девичья)".
* **Phone change / recycled numbers** – the mobile changes mid-window; sometimes the new number
  is a number someone else gave up earlier (the operator recycled it).
* **Non-Russian names** – Tatar, Armenian, Ukrainian, Central Asian, Caucasian, Georgian pools,
  patronymics with оглы/кызы or none at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from random import Random

from synth import textnoise
from synth.config import SynthConfig
from synth.emails import Mailbox, MailRegistry
from synth.handles import Usernames
from synth.lexicon import (
    COMPANY_FORMS,
    COMPANY_RU,
    COMPANY_WORDS,
    FOREIGN_MOBILES,
    SHARED_MAILBOXES,
    City,
    GivenName,
    Lexicon,
    Surname,
    Weighted,
)
from synth.phones import Phone, PhoneBook

DAY = 86_400


@dataclass(slots=True)
class Office:
    name: str
    domain: str
    phone: Phone
    mailboxes: list[Mailbox]
    city: City


@dataclass(slots=True, eq=False)
class Person:
    idx: int
    entity_id: str
    gender: str
    origin: str
    given: GivenName
    patronymic: str
    sur: Surname
    birth_year: int
    city: City
    scheme: str = "bgn"
    lat_given: str = ""
    maiden: Surname | None = None
    surname_change_at: int = -1  # contacts before this time show the maiden surname
    mobile: Phone | None = None
    old_mobile: Phone | None = None
    phone_change_at: int = -1  # contacts before this time use old_mobile
    second_phone: Phone | None = None
    home_phone: Phone | None = None
    email: Mailbox | None = None
    old_email: Mailbox | None = None
    email_change_at: int = -1
    alt_email: Mailbox | None = None
    family_email: Mailbox | None = None
    family: list[Person] = field(default_factory=list)
    office: Office | None = None
    work_email: Mailbox | None = None
    base_user: str = ""
    tg_user: str | None = None
    ig_user: str | None = None
    vk_screen: str | None = None
    times: list[int] = field(default_factory=list)

    @property
    def surname(self) -> str:
        return self.sur.form(self.gender)

    def surname_at(self, t: int) -> str:
        if self.maiden is not None and t < self.surname_change_at:
            return self.maiden.form(self.gender)
        return self.sur.form(self.gender)


class _Pools:
    """Weighted pools of names per origin and gender."""

    def __init__(self, lex: Lexicon, cfg: SynthConfig):
        self.cfg = cfg
        self.given: dict[tuple[str, str], Weighted] = {}
        for gender, names in (("m", lex.male), ("f", lex.female)):
            by_origin: dict[str, list[GivenName]] = {}
            for n in names:
                by_origin.setdefault(n.origin, []).append(n)
            for origin, lst in by_origin.items():
                self.given[(gender, origin)] = Weighted((n, n.weight) for n in lst)
        by_origin_s: dict[str, list[Surname]] = {}
        for s in lex.surnames:
            by_origin_s.setdefault(s.origin, []).append(s)
        self.surnames = {o: Weighted((s, s.weight) for s in lst) for o, lst in by_origin_s.items()}
        self.cities = Weighted((c, c.weight) for c in lex.cities)
        self.origins = Weighted(cfg.origins)
        self.ru_foreign = Weighted(cfg.ru_foreign_surname)
        self.sizes = Weighted(cfg.household_sizes)
        self.contacts = Weighted(cfg.contacts_per_person)
        self.schemes = Weighted(textnoise.SCHEME_WEIGHTS)
        self.city_by_name = {c.name: c for c in lex.cities}

    def given_name(self, rng: Random, gender: str, origin: str) -> GivenName:
        pool = self.given.get((gender, origin))
        if pool is None or rng.random() < self.cfg.ru_given_share.get(origin, 1.0):
            pool = self.given[(gender, "ru")]
        return pool.pick(rng)

    def surname(self, rng: Random, origin: str) -> Surname:
        if origin == "ru":
            origin = self.ru_foreign.pick(rng)
        elif origin == "ukrainian" and rng.random() < 0.2:
            origin = "ru"
        return self.surnames.get(origin, self.surnames["ru"]).pick(rng)

    def patronymic(
        self, rng: Random, gender: str, origin: str, father: GivenName | None = None
    ) -> str:
        if father is None:
            if rng.random() < self.cfg.no_patronymic.get(origin, 0.0):
                return ""
            father = self.given_name(rng, "m", origin)
        return father.patronymic_m if gender == "m" else father.patronymic_f


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=100_000)
def _latin(
    given: GivenName, lat_given: str, surname: str, patronymic: str, scheme: str
) -> tuple[str, str, str, str]:
    def clean(x: str) -> str:
        return _NOT_ALNUM.sub("", x.lower())

    dims = given.diminutives
    g = clean(lat_given) or clean(textnoise.translit(given.name, scheme))
    s = clean(textnoise.translit(surname, scheme)) or "user"
    d = clean(textnoise.translit(dims[0], scheme)) if dims else g
    pt = clean(textnoise.translit(patronymic, scheme)) if patronymic else ""
    return g, s, d or g, pt


def _latin_parts(p: Person, surname: str) -> tuple[str, str, str, str]:
    """Lowercase ASCII given name, surname, diminutive, patronymic for e-mails and usernames."""
    return _latin(p.given, p.lat_given, surname, p.patronymic, p.scheme)


class PeopleFactory:
    def __init__(self, rng: Random, cfg: SynthConfig, lex: Lexicon):
        self.rng = rng
        self.cfg = cfg
        self.pools = _Pools(lex, cfg)
        self.phones = PhoneBook(rng)
        self.mail = MailRegistry(rng)
        self.users = Usernames(rng)
        self.old_numbers: list[Phone] = []
        self.domains: set[str] = set()
        self._foreign_by_cc = {f[0]: f for f in FOREIGN_MOBILES}

    # ---- one person ---------------------------------------------------------------------
    def _new(
        self,
        idx: int,
        width: int,
        gender: str,
        origin: str,
        given: GivenName,
        patronymic: str,
        sur: Surname,
        year: int,
        city: City,
    ) -> Person:
        rng = self.rng
        p = Person(idx, f"p{idx:0{width}d}", gender, origin, given, patronymic, sur, year, city)
        p.scheme = self.pools.schemes.pick(rng)
        lat = given.latin
        p.lat_given = (
            lat[0] if rng.random() < 0.6 or len(lat) == 1 else lat[rng.randrange(len(lat))]
        )
        return p

    def random_person(
        self,
        idx: int,
        width: int,
        gender: str | None = None,
        origin: str | None = None,
        year: int | None = None,
    ) -> Person:
        rng, pools, cfg = self.rng, self.pools, self.cfg
        origin = origin or pools.origins.pick(rng)
        gender = gender or ("m" if rng.random() < 0.48 else "f")
        given = pools.given_name(rng, gender, origin)
        year = year or rng.randint(*cfg.birth_years)
        city = pools.cities.pick(rng)
        return self._new(
            idx,
            width,
            gender,
            origin,
            given,
            pools.patronymic(rng, gender, origin),
            pools.surname(rng, origin),
            year,
            city,
        )

    # ---- identifiers ---------------------------------------------------------------------
    def _mobile(self, p: Person) -> Phone:
        rng, cfg = self.rng, self.cfg
        if p.city.country_code != "7" and rng.random() < 0.8:
            return self._mobile_cc(p.city.country_code)
        if p.city.area_code == "727" and rng.random() < 0.8:
            return self.phones.mobile("kz")
        r = rng.random()
        if r < cfg.kz_mobile_rate:
            return self.phones.mobile("kz")
        if r < cfg.kz_mobile_rate + cfg.foreign_mobile_rate:
            return self.phones.mobile("foreign")
        return self.phones.mobile("ru")

    def _mobile_cc(self, cc: str) -> Phone:
        rng = self.rng
        _, length, prefixes, _ = self._foreign_by_cc[cc]

        def make() -> Phone:
            pre = prefixes[rng.randrange(len(prefixes))]
            rest = length - len(pre)
            return Phone(cc, pre + f"{rng.randrange(10**rest):0{rest}d}", "foreign")

        return self.phones._unique(make)

    def _landline(self, city: City) -> Phone:
        return self.phones.landline(city.country_code, city.area_code)

    def equip(self, p: Person) -> None:
        """Times of contact, phones, mailboxes and usernames of one person."""
        rng, cfg = self.rng, self.cfg
        k = self.pools.contacts.pick(rng)
        w0, w1 = cfg.window
        gaps = [int(rng.expovariate(1.0) * cfg.activity_span_days * DAY) + 60 for _ in range(k - 1)]
        span = sum(gaps)
        room = w1 - w0 - DAY
        if span > room:
            gaps = [g * room // span for g in gaps]
            span = sum(gaps)
        t = rng.randrange(w0, w1 - span)
        times = [t]
        for g in gaps:
            t += g
            times.append(t)
        p.times = times

        def change_point() -> int:
            if times[-1] - times[0] > 2:
                return rng.randrange(times[0] + 1, times[-1])
            return rng.randrange(w0, w1)

        # phones
        if p.mobile is None and rng.random() >= cfg.no_mobile_rate:
            p.mobile = self._mobile(p)
        if p.mobile is not None and rng.random() < cfg.phone_change_rate:
            p.old_mobile = p.mobile
            if self.old_numbers and rng.random() < cfg.recycled_number_rate:
                p.mobile = self.old_numbers.pop(rng.randrange(len(self.old_numbers)))
            else:
                p.mobile = self._mobile(p)
            self.old_numbers.append(p.old_mobile)
            p.phone_change_at = change_point()
        if rng.random() < cfg.second_phone_rate:
            p.second_phone = self._mobile(p)
        if p.home_phone is None and rng.random() < cfg.single_landline_rate:
            p.home_phone = self._landline(p.city)

        # surname change inside the window (marriage)
        if (
            p.maiden is None
            and p.gender == "f"
            and 1975 <= p.birth_year <= 2004
            and rng.random() < cfg.surname_change_rate
        ):
            p.maiden = p.sur
            p.sur = self.pools.surname(rng, p.origin)
            p.surname_change_at = change_point()
        if p.maiden is not None and p.surname_change_at == -2:  # married inside the window
            p.surname_change_at = change_point()

        # mailboxes
        g, s, d, pt = _latin_parts(p, p.surname)
        if rng.random() < cfg.cyrillic_mailbox_rate:
            local = f"{p.given.name.lower()}.{p.surname.lower()}"
            p.email = self.mail.claim(textnoise.yo_to_e(local), "почта.рф", (str(p.birth_year),))
        else:
            p.email = self.mail.personal(g, s, d, pt, p.birth_year)
        if (
            p.maiden is not None
            and p.surname_change_at > 0
            and rng.random() < cfg.new_email_after_marriage
        ):
            mg, ms, md, mpt = _latin_parts(p, p.maiden.form(p.gender))
            p.old_email = self.mail.personal(mg, ms, md, mpt, p.birth_year)
            p.email_change_at = p.surname_change_at
        if rng.random() < cfg.second_email_rate:
            p.alt_email = self.mail.personal(g, s, d, pt, p.birth_year)

        # usernames: one base, reused on some platforms
        users = self.users
        p.base_user = users.make_base(g, s, d, p.birth_year)
        reuse = cfg.username_reuse

        def user(platform: str) -> str:
            base = p.base_user if rng.random() < reuse else users.make_base(g, s, d, p.birth_year)
            return users.claim(platform, base)

        p.tg_user = user("telegram") if rng.random() < 0.75 else None
        p.ig_user = user("instagram")
        p.vk_screen = user("vk") if rng.random() < 0.6 else None

    # ---- households ----------------------------------------------------------------------
    def household(self, start: int, size: int, width: int) -> list[Person]:
        rng, pools, cfg = self.rng, self.pools, self.cfg
        origin = pools.origins.pick(rng)
        city = pools.cities.pick(rng)
        members: list[Person] = []
        kind = (
            "couple"
            if size > 2
            else Weighted((("couple", 0.6), ("parent_child", 0.3), ("siblings", 0.1))).pick(rng)
        )
        if kind == "siblings":
            sur = pools.surname(rng, origin)
            father = pools.given_name(rng, "m", origin)
            y = rng.randint(1960, 2000)
            for j in range(size):
                g = "m" if rng.random() < 0.5 else "f"
                p = self._new(
                    start + j,
                    width,
                    g,
                    origin,
                    pools.given_name(rng, g, origin),
                    pools.patronymic(rng, g, origin, father),
                    sur,
                    min(cfg.birth_years[1], y + rng.randint(-6, 6)),
                    city,
                )
                members.append(p)
        else:
            if kind == "couple":
                head = self.random_person(start, width, "m", origin, rng.randint(1955, 1992))
                head.city = city
                members.append(head)
                wife_origin = origin if rng.random() < 0.85 else pools.origins.pick(rng)
                wife = self.random_person(
                    start + 1,
                    width,
                    "f",
                    wife_origin,
                    min(cfg.birth_years[1], head.birth_year + rng.randint(-3, 7)),
                )
                wife.city = city
                if rng.random() >= cfg.spouse_kept_surname:
                    wife.maiden, wife.sur = wife.sur, head.sur
                    # -2: marriage inside the window, resolved once the contact times are known
                    wife.surname_change_at = -2 if rng.random() < cfg.spouse_recent_marriage else -1
                members.append(wife)
                parent, father = head, head.given
            else:
                g = "m" if rng.random() < 0.4 else "f"
                parent = self.random_person(start, width, g, origin, rng.randint(1950, 1978))
                parent.city = city
                members.append(parent)
                father = parent.given if g == "m" else pools.given_name(rng, "m", origin)
            for j in range(len(members), size):
                g = "m" if rng.random() < 0.5 else "f"
                year = min(cfg.birth_years[1], parent.birth_year + rng.randint(20, 32))
                if g == "m" and rng.random() < cfg.junior_same_name and father.gender == "m":
                    given = father
                else:
                    given = pools.given_name(rng, g, origin)
                child = self._new(
                    start + j,
                    width,
                    g,
                    origin,
                    given,
                    pools.patronymic(rng, g, origin, father),
                    parent.sur,
                    year,
                    city,
                )
                members.append(child)
        # what the family shares
        if rng.random() < cfg.household_home_phone:
            home = self._landline(city)
            for m in members:
                m.home_phone = home
        if rng.random() < cfg.household_shared_mobile:
            owner = members[0]
            owner.mobile = self._mobile(owner)
            members[-1].mobile = owner.mobile  # the youngest / the wife has no phone of her own
        for m in members:
            m.family = [o for o in members if o is not m]
        return members

    def family_mailbox(self, members: list[Person]) -> Mailbox:
        rng = self.rng
        head = members[0]
        g, s, d, _ = _latin_parts(head, head.sur.male)
        g2, _, d2, _ = _latin_parts(members[1], members[1].surname)
        plural = s + ("y" if s.endswith(("ov", "ev", "in", "ow", "off")) else "s")
        local = rng.choice(
            (
                plural,
                f"semya.{s}",
                f"{s}.family",
                f"{s}{head.birth_year}",
                f"{d}.{d2}",
                f"{s}s",
                f"dom.{s}",
                f"{plural}{rng.randrange(1, 99)}",
            )
        )
        domain = Weighted(
            (("mail.ru", 4), ("yandex.ru", 3), ("gmail.com", 2), ("bk.ru", 1), ("rambler.ru", 1))
        ).pick(rng)
        return self.mail.claim(local, domain, (str(head.birth_year % 100),))

    # ---- offices ------------------------------------------------------------------------
    def office(self, members: list[Person]) -> Office:
        rng, cfg = self.rng, self.cfg
        while True:
            w1 = COMPANY_WORDS[rng.randrange(len(COMPANY_WORDS))]
            w2 = COMPANY_WORDS[rng.randrange(len(COMPANY_WORDS))]
            if w1 == w2:
                continue
            tld = rng.choice((".ru", ".ru", ".ru", ".com", ".su", ".org"))
            sep = rng.choice(("", "", "-"))
            domain = f"{w1}{sep}{w2}{tld}"
            if domain in self.domains:
                domain = f"{w1}{sep}{w2}{rng.randrange(2, 99)}{tld}"
            if domain not in self.domains:
                break
        self.domains.add(domain)
        form = rng.choice(COMPANY_FORMS)
        ru = f"{COMPANY_RU[w1]}{COMPANY_RU[w2].lower()}"
        name = (
            f"{form} «{ru}»"
            if form and form != "ИП"
            else (ru if not form else f"ИП {members[0].surname}")
        )
        city = members[0].city
        boxes = [
            self.mail.claim(b, domain) for b in rng.sample(SHARED_MAILBOXES, rng.choice((1, 1, 2)))
        ]
        office = Office(name, domain, self._landline(city), boxes, city)
        for p in members:
            p.office = office
            if rng.random() < cfg.office_work_email:
                g, s, _, pt = _latin_parts(p, p.surname)
                local = rng.choice(
                    (
                        f"{g[:1]}.{s}",
                        s,
                        f"{g}.{s}",
                        f"{s}.{g[:1]}",
                        f"{s}{g[:1]}",
                        f"{g[:1]}{pt[:1]}{s}",
                    )
                )
                p.work_email = self.mail.claim(local, domain, (g[:1], f"{g[:1]}{pt[:1]}"))
        return office

    # ---- namesakes ----------------------------------------------------------------------
    def namesake(self, p: Person, q: Person) -> None:
        """Make p a namesake of q: same first name, surname and city, different person."""
        rng = self.rng
        p.gender, p.origin, p.given, p.sur, p.city = q.gender, q.origin, q.given, q.sur, q.city
        lat = q.given.latin
        p.lat_given = q.lat_given if rng.random() < 0.5 else lat[rng.randrange(len(lat))]
        if rng.random() < self.cfg.namesake_same_patronymic:
            p.patronymic = q.patronymic


def make_people(
    n: int, rng: Random, cfg: SynthConfig, lex: Lexicon
) -> tuple[list[Person], PeopleFactory]:
    """All persons, with families, offices, namesakes and identifiers."""
    fac = PeopleFactory(rng, cfg, lex)
    width = max(6, len(str(max(n - 1, 0))))
    sizes = [s for s, _ in cfg.household_sizes]
    mean = sum(s * w for s, w in cfg.household_sizes) / sum(w for _, w in cfg.household_sizes)
    x = cfg.household_rate
    p_start = x / (mean * (1 - x) + x) if x < 1 else 1.0
    people: list[Person] = []
    by_gender: dict[str, list[Person]] = {"m": [], "f": []}
    namesakes: dict[str, list[Person]] = {"m": [], "f": []}
    households: list[list[Person]] = []
    i = 0
    while i < n:
        if n - i >= min(sizes) and rng.random() < p_start:
            size = min(fac.pools.sizes.pick(rng), n - i)
            members = fac.household(i, size, width)
            households.append(members)
        else:
            p = fac.random_person(i, width)
            pool = by_gender[p.gender]
            if pool and rng.random() < cfg.namesake_rate:
                # half of the time join an existing namesake group: common names form groups
                # of 3-6 people (five Александр Смирнов in Москва), not just pairs
                popular = namesakes[p.gender]
                if popular and rng.random() < cfg.namesake_group_join:
                    q = popular[rng.randrange(len(popular))]
                else:
                    q = pool[rng.randrange(len(pool))]
                    popular.append(q)
                fac.namesake(p, q)
            members = [p]
        for p in members:
            fac.equip(p)
            by_gender[p.gender].append(p)
        people.extend(members)
        i += len(members)
    for members in households:
        if len(members) >= 2 and rng.random() < cfg.household_family_email:
            box = fac.family_mailbox(members)
            for p in members:
                p.family_email = box
    # offices: colleagues drawn from anywhere (not from one family)
    order = list(range(n))
    rng.shuffle(order)
    target = int(cfg.office_rate * n)
    pos = 0
    lo, hi = cfg.office_size
    while pos < target and pos + lo <= n:
        size = rng.randint(lo, hi)
        fac.office([people[j] for j in order[pos : pos + size]])
        pos += size
    return people, fac
