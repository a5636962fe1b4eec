"""How often a Russian name written in another transliteration system gets its Cyrillic's key.

    python bench/quality/transliteration.py [--seed 5] [--surnames 6]

Each of 65 common given names is paired with ``--surnames`` of 150 common surnames (female forms
for women), written in Cyrillic and in six systems people use in Latin script: the passport's
(ICAO 9303, since 2014), BGN/PCGN, an informal one (j, h, c), German (Duden), Polish (PWN, typed
without its diacritics: ł, ż as l, z) and French. Each Latin form is read as a display name
("Siergiej Kuzniecow") and as an e-mail local part ("siergiej.kuzniecow"), and counted as
agreeing when ``normalize_name`` / ``name_from_identifier`` give the person key (and, apart, the
given-name and family keys) of the Cyrillic name. The transliterators below are this
benchmark's own, written from the systems' tables (none is the product's code, which reads, never
writes, these spellings); they do not model every exception of each system.

Prints one row per system and reading, and the first disagreements.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from normalizers import NameKey, name_from_identifier, normalize_name  # noqa: E402

GIVEN = (  # noqa: SIM905 (a list of names reads better as text)
    "Александр Алексей Андрей Анатолий Аркадий Арсений Борис Вадим Валерий Василий Виктор "
    "Виталий Владимир Вячеслав Геннадий Георгий Григорий Денис Дмитрий Евгений Егор Иван Игорь "
    "Илья Кирилл Константин Леонид Максим Михаил Никита Николай Олег Павел Пётр Роман Сергей "
    "Станислав Степан Юрий Яков Фёдор"
).split()
GIVEN_F = (  # noqa: SIM905
    "Анастасия Анна Валентина Вера Галина Дарья Евгения Екатерина Елена Елизавета Ирина Ксения "
    "Людмила Марина Мария Наталья Надежда Ольга Полина Светлана Софья Татьяна Юлия Яна Любовь"
).split()
SURNAMES = (  # noqa: SIM905
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров "
    "Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин "
    "Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов "
    "Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев "
    "Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов "
    "Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов "
    "Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов "
    "Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров "
    "Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров "
    "Емельянов Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов "
    "Моисеев Румянцев Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин "
    "Лукьянов Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков "
    "Левин Митрофанов Воронов Аксёнов Софронов Мальцев Логинов Горшков Савин Краснов Майоров "
    "Демидов Елисеев Рыбаков Сафонов Плотников Дёмин Хохлов Жданов Русаков Шестаков"
).split()

_COMMON = dict(
    а="a", б="b", в="v", г="g", д="d", ж="zh", з="z", и="i", й="y", к="k", л="l", м="m", н="n",
    о="o", п="p", р="r", с="s", т="t", у="u", ф="f", х="kh", ц="ts", ч="ch", ш="sh", щ="shch",
    ъ="", ы="y", ь="", э="e",
)  # fmt: skip
# system → (letters, е ё ю я after a consonant, the same at the start / after a vowel or ь)
SYSTEMS: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {
    "passport": (
        {**_COMMON, "й": "i", "ъ": "ie"},
        dict(е="e", ё="e", ю="iu", я="ia"),
        dict(е="e", ё="e", ю="iu", я="ia"),
    ),
    "bgn": (_COMMON, dict(е="e", ё="e", ю="yu", я="ya"), dict(е="ye", ё="yo", ю="yu", я="ya")),
    "informal": (
        {**_COMMON, "х": "h", "й": "j", "ц": "c"},
        dict(е="e", ё="e", ю="ju", я="ja"),
        dict(е="e", ё="jo", ю="ju", я="ja"),
    ),
    "german": (
        {
            **_COMMON,
            "в": "w",
            "ж": "sch",
            "з": "s",
            "с": "§",
            "й": "j",
            "х": "ch",
            "ц": "z",
            "ч": "tsch",
            "ш": "sch",
            "щ": "schtsch",
        },
        dict(е="e", ё="jo", ю="ju", я="ja"),
        dict(е="je", ё="jo", ю="ju", я="ja"),
    ),
    "polish": (
        {
            **_COMMON,
            "в": "w",
            "ж": "z",
            "й": "j",
            "х": "ch",
            "ц": "c",
            "ч": "cz",
            "ш": "sz",
            "щ": "szcz",
        },
        dict(е="ie", ё="io", ю="iu", я="ia"),
        dict(е="je", ё="jo", ю="ju", я="ja"),
    ),
    "french": (
        {**_COMMON, "ж": "j", "й": "i", "у": "ou", "ц": "ts", "ч": "tch", "ш": "ch", "щ": "chtch"},
        dict(е="e", ё="io", ю="iou", я="ia"),
        dict(е="ie", ё="io", ю="iou", я="ia"),
    ),
}
# Polish: after л and the hushing consonants, е ё ю я are e o u a (Polakow, Szczerbakow)
_POLISH_HARD = {"л", "ж", "ц", "ч", "ш", "щ"}
_HARD = dict(е="e", ё="o", ю="u", я="a")
_VOWELS = set("аеёиоуыэюяьъ")


def transliterate(word: str, system: str) -> str:
    letters, soft, start = SYSTEMS[system]
    out = []
    w = word.lower()
    for i, ch in enumerate(w):
        prev = w[i - 1] if i else ""
        if ch in "еёюя":
            if i == 0 or prev in _VOWELS:
                out.append(start[ch])
            elif system == "polish" and prev in _POLISH_HARD:
                out.append(_HARD[ch])
            else:
                out.append(soft[ch])
        else:
            out.append(letters.get(ch, ch))
    text = "".join(out)
    if system == "german":  # с is ss between vowels, s elsewhere; з is s
        text = re.sub(r"(?<=[aeiouy])§(?=[aeiouy])", "ss", text).replace("§", "s")
    if system == "french":
        text = re.sub(r"(?<=[aeiouy])s(?=[aeiouy])", "ss", text)  # с between vowels
        text = re.sub(r"g(?=[eiy])", "gu", text)
    return text


def names(seed: int, per_given: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = [(g, s) for g in GIVEN for s in rng.sample(SURNAMES, per_given)]
    return pairs + [(g, s + "а") for g in GIVEN_F for s in rng.sample(SURNAMES, per_given)]


def agree(got: NameKey | None, want: NameKey) -> tuple[bool, bool, bool]:
    if got is None:
        return False, False, False
    return got.key == want.key, got.given_key == want.given_key, got.surname_key == want.surname_key


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--surnames", type=int, default=6, help="surnames per given name")
    args = p.parse_args()
    pairs = names(args.seed, args.surnames)
    print(f"{len(pairs)} names; share whose key equals the Cyrillic's (person / given / family)")
    print("| system | display name | e-mail local part |\n|---|---|---|")
    misses: list[str] = []
    for system in SYSTEMS:
        cells = []
        for reading in ("display", "identifier"):
            hits = [0, 0, 0]
            for given, surname in pairs:
                want = normalize_name(f"{given} {surname}")
                assert want is not None
                lg, ls = transliterate(given, system), transliterate(surname, system)
                got = (
                    normalize_name(f"{lg.title()} {ls.title()}")
                    if reading == "display"
                    else name_from_identifier(f"{lg}.{ls}")
                )
                agreed = agree(got, want)
                for i, ok in enumerate(agreed):
                    hits[i] += ok
                if not agreed[0] and len(misses) < 12 and reading == "display":
                    misses.append(f"{system}: {lg.title()} {ls.title()} ≠ {given} {surname}")
            cells.append(" / ".join(f"{h / len(pairs):.3f}" for h in hits))
        print(f"| {system} | {cells[0]} | {cells[1]} |")
    print("first disagreements:", *misses, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
