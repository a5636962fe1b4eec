"""Word lists: the CSV tables in ``synth/data`` plus small built-in lists (providers, hubs, topics).

Everything here is data, written for this generator; nothing is shared with the normalizers.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from random import Random

DATA_DIR = Path(__file__).parent / "data"


class Weighted:
    """Weighted choice with one ``rng.random()`` call (bisect over cumulative weights)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs):
        pairs = [(v, float(w)) for v, w in pairs if float(w) > 0]
        if not pairs:
            raise ValueError("empty weight table")
        self.items = [v for v, _ in pairs]
        self.cum = list(accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: Random):
        return self.items[bisect_right(self.cum, rng.random() * self.total)]

    def probabilities(self) -> list[float]:
        prev = 0.0
        out = []
        for c in self.cum:
            out.append((c - prev) / self.total)
            prev = c
        return out


@dataclass(frozen=True)
class GivenName:
    name: str
    gender: str  # "m" / "f"
    weight: float
    origin: str
    diminutives: tuple[str, ...]
    latin: tuple[str, ...]
    patronymic_m: str  # for male names: the patronymic of a son / daughter
    patronymic_f: str


@dataclass(frozen=True)
class Surname:
    male: str
    female: str
    weight: float
    origin: str

    def form(self, gender: str) -> str:
        return self.male if gender == "m" else self.female


@dataclass(frozen=True)
class City:
    name: str
    weight: float
    utc_offset: int
    country_code: str
    area_code: str
    variants: tuple[str, ...]


def _split(s: str) -> tuple[str, ...]:
    return tuple(x for x in s.split("|") if x)


def _read(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Lexicon:
    male: tuple[GivenName, ...]
    female: tuple[GivenName, ...]
    surnames: tuple[Surname, ...]
    cities: tuple[City, ...]


@lru_cache(maxsize=1)
def load() -> Lexicon:
    male = tuple(
        GivenName(
            r["name"],
            "m",
            float(r["weight"]),
            r["origin"],
            _split(r["diminutives"]),
            _split(r["latin"]),
            r["patronymic_m"],
            r["patronymic_f"],
        )
        for r in _read("given_names_male.csv")
    )
    female = tuple(
        GivenName(
            r["name"],
            "f",
            float(r["weight"]),
            r["origin"],
            _split(r["diminutives"]),
            _split(r["latin"]),
            "",
            "",
        )
        for r in _read("given_names_female.csv")
    )
    surnames = tuple(
        Surname(r["male"], r["female"], float(r["weight"]), r["origin"])
        for r in _read("surnames.csv")
    )
    cities = tuple(
        City(
            r["name"],
            float(r["weight"]),
            int(r["utc_offset"]),
            r["country_code"],
            r["area_code"],
            _split(r["variants"]),
        )
        for r in _read("cities.csv")
    )
    return Lexicon(male, female, surnames, cities)


# ---- e-mail -----------------------------------------------------------------------------------
PROVIDERS = (
    ("mail.ru", 28),
    ("gmail.com", 20),
    ("yandex.ru", 19),
    ("bk.ru", 5),
    ("inbox.ru", 4),
    ("list.ru", 4),
    ("ya.ru", 4),
    ("rambler.ru", 5),
    ("icloud.com", 3),
    ("outlook.com", 2),
    ("hotmail.com", 1),
    ("yahoo.com", 0.5),
    ("internet.ru", 0.5),
)
YANDEX_ALIASES = ("ya.ru", "yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua")
DOMAIN_TYPOS = {
    "gmail.com": (
        "gmial.com",
        "gmai.com",
        "gmail.co",
        "gamil.com",
        "gmail.ru",
        "gmail.cim",
        "gmil.com",
    ),
    "mail.ru": (
        "mail.ry",
        "mail.tu",
        "mai.ru",
        "maill.ru",
        "mail.r",
        "mail,ru",
        "mail.ru.",
        "meil.ru",
    ),
    "yandex.ru": ("yandeх.ru", "yandex.ry", "yadex.ru", "yndex.ru", "yandex.r", "yandeks.ru"),
    "bk.ru": ("bk.ry", "bk.tu", "bk.ru."),
    "inbox.ru": ("inbox.ry", "inbx.ru", "imbox.ru"),
    "list.ru": ("list.ry", "lis.ru", "lst.ru"),
    "rambler.ru": ("ramler.ru", "rambler.ry", "rambler.r", "rambeler.ru"),
    "ya.ru": ("ya.ry", "ya.ru."),
    "icloud.com": ("icloud.co", "iclod.com", "icloud.ru"),
    "outlook.com": ("outlok.com", "outlook.co"),
}
PLACEHOLDER_EMAILS = (
    ("test@test.ru", 10),
    ("no@mail.ru", 8),
    ("123@mail.ru", 6),
    ("net@net.ru", 4),
    ("a@a.ru", 4),
    ("test@mail.ru", 4),
    ("noemail@mail.ru", 3),
    ("1@1.ru", 3),
    ("qwerty@mail.ru", 2),
    ("no@no.ru", 3),
    ("email@email.com", 2),
    ("nomail@yandex.ru", 2),
)
JUNK_FIELD = ("нет", "-", "нет.", "не указан", "0", "n/a", "—", "NULL")
SHARED_MAILBOXES = (
    "info",
    "office",
    "zakaz",
    "sales",
    "mail",
    "buh",
    "secretary",
    "priemnaya",
    "manager",
    "snab",
)
NICKNAMES_LATIN = (
    "kotik",
    "zaika",
    "solnce",
    "sunny",
    "angel",
    "dark",
    "wolf",
    "tiger",
    "lisa",
    "koshka",
    "star",
    "lucky",
    "smile",
    "crazy",
    "happy",
    "sweet",
    "cool",
    "boss",
    "medved",
    "pchelka",
    "malysh",
    "ezhik",
    "rybka",
    "ptichka",
    "dragon",
    "ghost",
    "shadow",
    "hunter",
    "sniper",
    "joker",
    "mega",
    "princess",
    "barsik",
    "kisa",
    "belka",
    "fox",
    "panda",
    "bunny",
    "ninja",
    "pirate",
    "cherry",
    "leo",
    "rock",
)
NICKNAMES_CYR = (
    "Котик",
    "Зайка",
    "Солнышко",
    "Малыш",
    "Босс",
    "Лисичка",
    "Ёжик",
    "Пчёлка",
    "Кисуля",
    "Мамуля",
    "Бабуля",
    "Доча",
    "Шеф",
    "Кот",
    "Медведь",
    "Белка",
    "Mr. X",
    "Lucky",
    "Sunny",
    "Kitty",
    "Tiger",
    "Мастер",
    "Хозяйка",
    "Рыбка",
)
EMOJI = (
    "🐻",
    "🌸",
    "💅",
    "❤️",
    "🔥",
    "😊",
    "✨",
    "🌞",
    "🦋",
    "⚽",
    "🎸",
    "👑",
    "🌺",
    "💎",
    "🍀",
    "😎",
    "🐱",
    "🌷",
    "💋",
    "🙂",
    "⭐",
    "🎀",
)
GENERIC_NAMES = {
    "vk": ("DELETED", "Пользователь"),
    "telegram": ("Deleted Account", "Telegram user", "User"),
    "instagram": ("user", "Instagram user"),
    "whatsapp": ("~", "Unknown", "."),
    "email": ("Unknown", "Customer", "no-reply"),
    "phone": ("Клиент", "Абонент", "Неизвестный", "Клиент без имени", "-", "клиент", "Звонящий"),
    "webchat": (
        "Гость",
        "Посетитель",
        "Аноним",
        "Guest",
        "Пользователь",
        "user",
        "test",
        "-",
        ".",
        "гость",
        "Клиент",
    ),
}

# ---- phones -----------------------------------------------------------------------------------
RU_MOBILE_PREFIXES = tuple(
    [f"9{i:02d}" for i in range(0, 40)]
    + ["950", "951", "952", "953", "958"]
    + [f"96{i}" for i in range(10)]
    + [f"9{i}" for i in range(77, 100)]
)
KZ_MOBILE_PREFIXES = (
    "700",
    "701",
    "702",
    "705",
    "707",
    "708",
    "747",
    "771",
    "775",
    "776",
    "777",
    "778",
)
# country code, national number length, mobile prefixes, weight
FOREIGN_MOBILES = (
    ("375", 9, ("29", "33", "44", "25"), 30),
    ("380", 9, ("50", "67", "63", "93", "97"), 20),
    ("49", 11, ("151", "152", "157", "160", "170", "176"), 12),
    ("998", 9, ("90", "91", "93", "94", "97"), 15),
    ("374", 8, ("77", "91", "93", "94", "99"), 8),
    ("996", 9, ("555", "700", "770"), 8),
    ("992", 9, ("90", "91", "92", "93"), 7),
)
# (national 10 digits, kind): call-centre / PBX numbers and placeholders typed into forms;
# skewed so that the first ones are shared by hundreds of unrelated contacts
HUB_PHONES = (
    ("8005553535", "tollfree", 40),
    ("8002000600", "tollfree", 15),
    ("4957777777", "landline", 10),
    ("9999999999", "placeholder", 12),
    ("0000000000", "placeholder", 6),
    ("8001001010", "tollfree", 6),
    ("9000000000", "placeholder", 4),
    ("1234567890", "placeholder", 4),
    ("1111111111", "placeholder", 3),
)

# ---- companies --------------------------------------------------------------------------------
COMPANY_WORDS = (
    "romashka",
    "vektor",
    "stroy",
    "tekh",
    "prom",
    "servis",
    "energo",
    "logistik",
    "invest",
    "trade",
    "market",
    "avto",
    "med",
    "agro",
    "neft",
    "soft",
    "alfa",
    "beta",
    "sigma",
    "delta",
    "nord",
    "sib",
    "ural",
    "volga",
    "don",
    "kuban",
    "profi",
    "grupp",
    "komplekt",
    "snab",
    "resurs",
    "kapital",
    "stil",
    "dom",
    "mir",
    "lider",
    "optima",
    "status",
    "region",
    "garant",
    "eko",
    "bio",
    "pharm",
    "klinik",
    "tour",
)
COMPANY_RU = {
    "romashka": "Ромашка",
    "vektor": "Вектор",
    "stroy": "Строй",
    "tekh": "Тех",
    "prom": "Пром",
    "servis": "Сервис",
    "energo": "Энерго",
    "logistik": "Логистик",
    "invest": "Инвест",
    "trade": "Трейд",
    "market": "Маркет",
    "avto": "Авто",
    "med": "Мед",
    "agro": "Агро",
    "neft": "Нефть",
    "soft": "Софт",
    "alfa": "Альфа",
    "beta": "Бета",
    "sigma": "Сигма",
    "delta": "Дельта",
    "nord": "Норд",
    "sib": "Сиб",
    "ural": "Урал",
    "volga": "Волга",
    "don": "Дон",
    "kuban": "Кубань",
    "profi": "Профи",
    "grupp": "Групп",
    "komplekt": "Комплект",
    "snab": "Снаб",
    "resurs": "Ресурс",
    "kapital": "Капитал",
    "stil": "Стиль",
    "dom": "Дом",
    "mir": "Мир",
    "lider": "Лидер",
    "optima": "Оптима",
    "status": "Статус",
    "region": "Регион",
    "garant": "Гарант",
    "eko": "Эко",
    "bio": "Био",
    "pharm": "Фарм",
    "klinik": "Клиник",
    "tour": "Тур",
}
COMPANY_FORMS = ("ООО", "ООО", "ООО", "АО", "ИП", "ЗАО", "")

# ---- interactions -----------------------------------------------------------------------------
SUBJECTS = (
    ("Доставка", 14),
    ("Где мой заказ", 12),
    ("Возврат товара", 9),
    ("Оплата", 8),
    ("Не прошёл платёж", 5),
    ("Возврат денег", 7),
    ("Изменение заказа", 5),
    ("Отмена заказа", 6),
    ("Брак товара", 4),
    ("Гарантия", 3),
    ("Обмен товара", 3),
    ("Промокод", 3),
    ("Бонусная программа", 3),
    ("Личный кабинет", 3),
    ("Восстановление пароля", 3),
    ("Смена номера телефона", 1),
    ("Консультация по товару", 6),
    ("Наличие товара", 4),
    ("Самовывоз", 3),
    ("Курьер не приехал", 3),
    ("Жалоба на курьера", 2),
    ("Жалоба на оператора", 1),
    ("Закрывающие документы", 2),
    ("Рассрочка", 2),
    ("Подписка", 2),
    ("Отписаться от рассылки", 1),
    ("Удаление персональных данных", 0.5),
    ("Сотрудничество", 1),
    ("Ошибка на сайте", 2),
    ("Не пришёл чек", 1.5),
    ("Повреждение при доставке", 2),
    ("Неполная комплектация", 1.5),
    ("Другое", 3),
)
OPERATORS = (
    "Анна Смирнова",
    "Дмитрий Ковалёв",
    "Екатерина Орлова",
    "Мария Лебедева",
    "Алексей Титов",
    "Ольга Никитина",
    "Сергей Белов",
    "Юлия Захарова",
    "Ирина Волкова",
    "Павел Громов",
    "Наталья Фомина",
    "Кристина Белова",
    "Артём Зуев",
    "Виктория Рябова",
    "Елена Морозова",
    "Максим Жуков",
    "Татьяна Егорова",
    "Андрей Соколов",
    "Дарья Котова",
    "Никита Лапин",
    "Светлана Ершова",
    "Олег Гусев",
    "Полина Крылова",
    "Роман Шилов",
    "Алина Фадеева",
    "Ксения Осипова",
    "Игорь Пахомов",
    "Вера Мухина",
    "Евгений Блинов",
    "Анастасия Рожкова",
    "Марина Зотова",
    "Денис Лыков",
    "Валерия Уварова",
    "Кирилл Сухов",
    "Людмила Фокина",
    "Антон Ларионов",
    "Софья Дорофеева",
    "Владислав Тюрин",
    "Яна Ширяева",
    "Георгий Агафонов",
)
BOT_OPERATOR = "Бот"
