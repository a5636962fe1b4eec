"""What the review app says, in Russian (the default) and English: its interface text, the
reasons of a pair's score put into an operator's words, and times in the operator's zone.

The engine computes each field's contribution to a pair's log-odds
(``resolution.matching.ranked_reasons``); here they become sentences such as "тот же
телефон" or "имя совпадает, но оно частое", chosen by the sign of the contribution and by
whether the two values are equal. No log-odds, blocks or thresholds reach the operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from numbers import Integral
from typing import Any
from zoneinfo import ZoneInfo

from resolution.publishing import KEPT_HOUSEHOLD

# A full name borne by more contacts than this is "common" (the name-only guard's rare-name
# limit, resolution.matching.guard.RARE_NAME; repeated here: the guard is not public API).
COMMON_NAME = 3

# field → (agree, similar, equal but common, disagree), per language. "equal but common" is
# what a negative contribution of equal values means: such agreement is too frequent to count.
_FIELD_WORDS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "ru": {
        "name": (
            "те же имя и фамилия",
            "похожие имя и фамилия",
            "имя совпадает, но оно частое",
            "имя и фамилия различаются",
        ),
        "given": ("то же имя", "похожее имя", "имя совпадает, но оно частое", "разные имена"),
        "surname": (
            "та же фамилия",
            "похожая фамилия",
            "фамилия совпадает, но она частая",
            "разные фамилии",
        ),
        "phones": ("тот же телефон", "тот же телефон", "тот же телефон", "разные телефоны"),
        "emails": ("тот же e-mail", "тот же e-mail", "тот же e-mail", "разные e-mail"),
        "handles": (
            "тот же аккаунт в соцсети",
            "тот же аккаунт в соцсети",
            "тот же аккаунт в соцсети",
            "разные аккаунты в соцсетях",
        ),
        "nicknames": ("тот же ник", "похожие ники", "тот же ник, но он частый", "разные ники"),
        "email_local": (
            "то же имя почтового ящика",
            "похожие имена почтовых ящиков",
            "то же имя ящика, но оно частое",
            "разные имена почтовых ящиков",
        ),
        "city": ("тот же город", "похожий город", "город совпадает, но он частый", "разные города"),
        "created": (
            "созданы почти в одно время",
            "созданы почти в одно время",
            "созданы почти в одно время",
            "созданы в разное время",
        ),
        "name_only_guard": (
            "",
            "",
            "",
            "их связывает только имя, а его носят многие: этого мало, чтобы объединить",
        ),
    },
    "en": {
        "name": (
            "same full name",
            "similar full name",
            "the name matches, but it is common",
            "different names",
        ),
        "given": (
            "same first name",
            "similar first name",
            "the first name matches, but it is common",
            "different first names",
        ),
        "surname": (
            "same surname",
            "similar surname",
            "the surname matches, but it is common",
            "different surnames",
        ),
        "phones": ("same phone", "same phone", "same phone", "different phones"),
        "emails": ("same e-mail", "same e-mail", "same e-mail", "different e-mails"),
        "handles": (
            "same social account",
            "same social account",
            "same social account",
            "different social accounts",
        ),
        "nicknames": (
            "same nickname",
            "similar nicknames",
            "same nickname, but a common one",
            "different nicknames",
        ),
        "email_local": (
            "same mailbox name",
            "similar mailbox names",
            "same mailbox name, but a common one",
            "different mailbox names",
        ),
        "city": ("same city", "similar city", "same city, but a common one", "different cities"),
        "created": (
            "created close in time",
            "created close in time",
            "created close in time",
            "created far apart in time",
        ),
        "name_only_guard": (
            "",
            "",
            "",
            "only the name links them, and many people bear it: not enough to merge",
        ),
    },
}

_STRENGTH = {
    "ru": (("сильный довод", 3.0), ("довод", 1.0), ("слабый довод", 0.0)),
    "en": (("strong", 3.0), ("moderate", 1.0), ("weak", 0.0)),
}
_FOR_AGAINST = {"ru": ("за", "против"), "en": ("for", "against")}
_BORNE_BY = {"ru": "его носят {n} {contacts}", "en": "{n} {contacts} bear it"}

# A noun after a number, per language: Russian has three forms (1, 21 контакт; 2–4, 22
# контакта; 0, 5–20, 25 контактов), English two. A message that has ``{n}`` gets each noun
# here as a placeholder of its own, in the form ``n`` takes: "{n} {contacts}".
NOUNS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "contacts": ("контакт", "контакта", "контактов"),
        "people": ("человек", "человека", "человек"),
        "profiles": ("профиль", "профиля", "профилей"),
        "in_profiles": ("профиле", "профилях", "профилях"),
    },
    "en": {
        "contacts": ("contact", "contacts"),
        "people": ("person", "people"),
        "profiles": ("profile", "profiles"),
        "in_profiles": ("profile", "profiles"),
    },
}


def plural_form(n: int, lang: str) -> int:
    """Which form of a noun follows the number ``n`` (an index into ``NOUNS``' tuples)."""
    if lang != "ru":
        return 0 if n == 1 else 1
    if 11 <= n % 100 <= 14:
        return 2
    last = n % 10
    return 0 if last == 1 else 1 if 2 <= last <= 4 else 2


def counted(lang: str, n: int) -> dict[str, str]:
    """Every noun of ``NOUNS`` in the form the number ``n`` takes, by its placeholder name."""
    nouns = NOUNS.get(lang, NOUNS["ru"])
    form = plural_form(n, lang if lang in NOUNS else "ru")
    return {noun: forms[form] for noun, forms in nouns.items()}


@dataclass(frozen=True)
class Reason:
    """One field's reason, as an operator reads it."""

    field: str
    text: str
    weight: float
    strength: str  # "сильный довод за" …
    supports: bool  # True: towards "same person"

    @property
    def bar(self) -> int:
        """Width of its bar, 4 to 100 (%)."""
        return max(4, min(100, round(abs(self.weight) * 12)))


def _equal(field: str, left: dict[str, Any], right: dict[str, Any]) -> bool | None:
    """Whether the field's values are equal (sets: share an element); None if one is missing."""
    a, b = left.get(field), right.get(field)
    if a is None or b is None:
        return None
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return not set(a if isinstance(a, list | tuple) else [a]).isdisjoint(
            b if isinstance(b, list | tuple) else [b]
        )
    return bool(a == b)


def reason(
    field: str, weight: float, left: dict[str, Any], right: dict[str, Any], lang: str
) -> Reason:
    """The words of one field's contribution for two contacts (their match records)."""
    table = _FIELD_WORDS[lang]
    equal = _equal(field, left, right)
    if field in table:
        agree, similar, common, disagree = table[field]
        if weight > 0:
            text = agree if equal or equal is None else similar
        elif equal:
            text = common
            count = left.get("_name_count") if field in ("name", "given", "surname") else None
            if field == "name" and isinstance(count, int) and count > COMMON_NAME:
                text += " (" + _BORNE_BY[lang].format(n=count, **counted(lang, count)) + ")"
        else:
            text = disagree
    else:  # a configured field or an interaction of two fields
        shown = field.removeprefix("x_").replace("×", " × ")
        text = (
            f"{shown}: " + ("совпадает" if weight > 0 else "различается")
            if lang == "ru"
            else (f"{shown}: " + ("agrees" if weight > 0 else "differs"))
        )
    word = next(w for w, lo in _STRENGTH[lang] if abs(weight) >= lo)
    side = _FOR_AGAINST[lang][0 if weight > 0 else 1]
    return Reason(field, text, weight, f"{word} {side}", weight > 0)


def reasons(
    ranked: list[tuple[str, float]], left: dict[str, Any], right: dict[str, Any], lang: str
) -> list[Reason]:
    """``ranked_reasons`` of a pair in words, strongest first, one line per distinct text."""
    out: list[Reason] = []
    seen: set[str] = set()
    for field, weight in ranked:
        got = reason(field, weight, left, right, lang)
        if got.text and got.text not in seen:
            seen.add(got.text)
            out.append(got)
    return out


# Why a rule of the cluster stage dropped a pair's link (the snapshot's kept_apart table,
# resolution.contract.KEPT_APART), per language: the shared line(s), the household rule's
# reasons (resolution.linking.households.HELD_WHY), the namesakes' mailbox rule, the prefixes.
APART_WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "line": "их связывает только телефон, которым пользуются {n} {people}",
        "lines": "их связывают только телефоны ({k}), каждым из которых пользуются "
        "{n} {people} и больше",
        "given_names": "имена разные: общий телефон семьи сам по себе не делает людей "
        "одним человеком",
        "initials": "инициалы не подходят: общий телефон семьи сам по себе не делает людей "
        "одним человеком",
        "unnamed": "у одного из контактов нет имени, и не видно, кто из пользующихся телефоном это",
        "namesake_mailbox": "одинаковое имя почтового ящика у разных почтовых сервисов, а имя "
        "частое (его носят {n} {contacts}): так совпадают адреса тёзок",
        "apart": "Не объединены автоматически: {text}.",
        "same": "Связь этой пары не учтена: {text}. В один профиль их свели другие контакты "
        "или решение.",
    },
    "en": {
        "line": "they share only a phone line that {n} {people} use",
        "lines": "they share only phone lines ({k}), each used by {n} {people} or more",
        "given_names": "their first names differ: a family's shared line alone does not make "
        "them one person",
        "initials": "their initials do not fit: a family's shared line alone does not make "
        "them one person",
        "unnamed": "one contact has no name, and nothing tells which of the line's users it is",
        "namesake_mailbox": "the same mailbox name at two different mail services, and the "
        "name is common ({n} {contacts} bear it): namesakes' addresses look alike",
        "apart": "Not merged automatically: {text}.",
        "same": "This pair's own link was set aside: {text}. Other contacts or a decision "
        "put them in one profile.",
    },
}


def kept_apart(row: dict[str, Any], same_profile: bool, lang: str) -> str:
    """Why a rule of the cluster stage dropped a pair's link (a row of the snapshot's
    kept_apart), in an operator's words: counts only, never another contact's value."""
    words = APART_WORDS.get(lang, APART_WORDS["ru"])
    n = row["bearers"]
    if row["rule"] == KEPT_HOUSEHOLD:
        k = row["shared"] or 1
        line = words["line" if k == 1 else "lines"].format(n=n, k=k, **counted(lang, n))
        why = words.get(row["why"] or "", "")
        text = f"{line}; {why}" if why else line
    else:
        text = words["namesake_mailbox"].format(n=n, **counted(lang, n))
    return words["same" if same_profile else "apart"].format(text=text)


def verdict(score: float, threshold: float, lang: str) -> str:
    """The model's opinion of a pair, in words."""
    ru = lang == "ru"
    if score >= max(0.9, threshold):
        return "модель уверена: один человек" if ru else "the model is sure: one person"
    if score >= threshold:
        return "модель склоняется: один человек" if ru else "the model leans: one person"
    if score >= 0.2:
        return "модель не уверена" if ru else "the model is unsure"
    return "модель считает: разные люди" if ru else "the model thinks: different people"


def local_time(value: datetime | str | None, tz: str, with_time: bool = True) -> str:
    """``06.12.2026 15:04`` in the operator's time zone (UTC values; naive means UTC)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    local = value.astimezone(ZoneInfo(tz))
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


# ---------------------------------------------------------------- interface text

MESSAGES: dict[str, dict[str, str]] = {
    "ru": {
        "app": "edin · проверка профилей",
        "sign_in": "Вход",
        "user": "Имя пользователя",
        "password": "Пароль",
        "enter": "Войти",
        "sign_out": "Выйти",
        "bad_login": "Неверное имя или пароль.",
        "queues": "Очереди",
        "q_uncertain": "Сомнительные пары",
        "q_namesakes": "Тёзки",
        "q_review": "Большие группы",
        "search": "Поиск",
        "journal": "Журнал",
        "accounts": "Учётные записи",
        "search_hint": "Имя, телефон, e-mail или ник",
        "find": "Найти",
        "nothing_found": "Ничего не найдено.",
        "filters": "Фильтры",
        "source": "Источник",
        "city": "Город",
        "channel": "Канал",
        "score_from": "Оценка от",
        "score_to": "до",
        "apply": "Применить",
        "any": "любой",
        "empty_queue": "Очередь пуста: всё решено или пропущено.",
        "open": "Открыть",
        "pair": "Пара",
        "score": "Оценка модели",
        "why": "Почему",
        "same": "Один человек",
        "different": "Разные люди",
        "takeout": "Вынуть {c} из профиля",
        "skip": "Пропустить",
        "undo": "Отменить",
        "undone": "Отменено.",
        "recorded": "Записано: {what}. Применится при следующем запуске.",
        "skipped": "Пропущено.",
        "a_same": "один человек",
        "a_different": "разные люди",
        "a_takeout": "контакт вынут из профиля",
        "a_skip": "пропущено",
        "a_note": "заметка",
        "a_move_note": "заметка перенесена",
        "keys": "Клавиши: Д / Y / 1 — один человек, Н / N / 2 — разные люди, "
        "П / S / 3 — пропустить, О / U / 0 — отменить последнее",
        "name": "Имя",
        "phones": "Телефоны",
        "emails": "E-mail",
        "handles": "Соцсети",
        "created": "Создан",
        "profile": "Профиль",
        "n_contacts": "{n} {contacts}",
        "n_profiles": "{n} {profiles}",
        "last_talks": "Последние обращения",
        "no_talks": "Обращений нет.",
        "placeholder": "служебное значение: не считается данными клиента",
        "hub": "общее для многих людей: не считается доводом",
        "typo": "опечатка в домене",
        "namesakes_title": "Тёзки: контакты с одним и тем же полным именем",
        "namesake_line": "{n} {contacts} с именем {name}",
        "likely_one": "вероятно, один человек (уже один профиль)",
        "undecided": "не решено",
        "decided_same": "решено: один человек",
        "decided_different": "решено: разные люди",
        "not_compared": "модель их не сравнивала",
        "in_profiles": "в {n} {in_profiles}",
        "review_title": "Группы, задержанные из-за размера",
        "review_line": "{n} {contacts}: модель связала их, но группа слишком велика, "
        "чтобы объединить без проверки",
        "selected_same": "Выбранные — один человек",
        "selected_different": "Выбранные — разные люди",
        "pairs_in_group": "Пары в группе",
        "golden": "Профиль клиента",
        "from": "из {c}",
        "members": "Контакты профиля",
        "timeline": "История обращений",
        "stats": "Статистика",
        "first_seen": "Впервые",
        "last_seen": "Последний раз",
        "interactions": "Обращений",
        "channels": "Каналы",
        "preferred": "Предпочитает",
        "csat": "Оценки",
        "good": "хорошо",
        "neutral": "нейтрально",
        "bad": "плохо",
        "notes": "Заметки",
        "add_note": "Добавить заметку",
        "no_notes": "Заметок нет.",
        "split_question": "Профиль разделился после этой заметки. Какой части она принадлежит?",
        "keep_here": "Оставить здесь",
        "move_to": "Перенести в {p}",
        "pending": "Решения, которые применятся при следующем запуске",
        "merged_into": "Профиль {old} объединён с этим.",
        "status_review": "задержан для проверки",
        "when": "Когда",
        "who": "Кто",
        "what": "Что",
        "confidence": "Уверенность",
        "role": "Роль",
        "tz": "Часовой пояс",
        "forbidden": "Недостаточно прав.",
        "not_found": "Не найдено.",
        "csrf": "Форма устарела или подделана: обновите страницу и повторите.",
        "no_snapshot": "Ещё ничего не опубликовано: запустите edin run.",
        "all_people": "Все люди",
        "back": "Назад",
        "next": "Следующая",
        "done_group": "Всё в этой группе решено.",
        "language": "English",
    },
    "en": {
        "app": "edin · profile review",
        "sign_in": "Sign in",
        "user": "User name",
        "password": "Password",
        "enter": "Sign in",
        "sign_out": "Sign out",
        "bad_login": "Wrong name or password.",
        "queues": "Queues",
        "q_uncertain": "Uncertain pairs",
        "q_namesakes": "Namesakes",
        "q_review": "Large groups",
        "search": "Search",
        "journal": "Journal",
        "accounts": "Accounts",
        "search_hint": "Name, phone, e-mail or handle",
        "find": "Find",
        "nothing_found": "Nothing found.",
        "filters": "Filters",
        "source": "Source",
        "city": "City",
        "channel": "Channel",
        "score_from": "Score from",
        "score_to": "to",
        "apply": "Apply",
        "any": "any",
        "empty_queue": "The queue is empty: everything is decided or skipped.",
        "open": "Open",
        "pair": "Pair",
        "score": "Model score",
        "why": "Why",
        "same": "Same person",
        "different": "Different people",
        "takeout": "Take {c} out of its profile",
        "skip": "Skip",
        "undo": "Undo",
        "undone": "Undone.",
        "recorded": "Recorded: {what}. Applied by the next run.",
        "skipped": "Skipped.",
        "a_same": "same person",
        "a_different": "different people",
        "a_takeout": "contact taken out of its profile",
        "a_skip": "skipped",
        "a_note": "note",
        "a_move_note": "note moved",
        "keys": "Keys: Y / Д / 1 same person, N / Н / 2 different people, S / П / 3 skip, "
        "U / О / 0 undo the last action",
        "name": "Name",
        "phones": "Phones",
        "emails": "E-mails",
        "handles": "Social",
        "created": "Created",
        "profile": "Profile",
        "n_contacts": "{n} {contacts}",
        "n_profiles": "{n} {profiles}",
        "last_talks": "Latest conversations",
        "no_talks": "No conversations.",
        "placeholder": "a placeholder value: not the customer's own",
        "hub": "shared by many people: not counted as evidence",
        "typo": "mistyped domain",
        "namesakes_title": "Namesakes: contacts sharing one full name",
        "namesake_line": "{n} {contacts} named {name}",
        "likely_one": "likely one person (already one profile)",
        "undecided": "undecided",
        "decided_same": "decided: same person",
        "decided_different": "decided: different people",
        "not_compared": "the model did not compare them",
        "in_profiles": "in {n} {in_profiles}",
        "review_title": "Groups held back for their size",
        "review_line": "{n} {contacts}: the model linked them, but the group is too large to "
        "merge without a check",
        "selected_same": "Selected: same person",
        "selected_different": "Selected: different people",
        "pairs_in_group": "Pairs in the group",
        "golden": "Customer profile",
        "from": "from {c}",
        "members": "Contacts of the profile",
        "timeline": "Conversations",
        "stats": "Statistics",
        "first_seen": "First seen",
        "last_seen": "Last seen",
        "interactions": "Conversations",
        "channels": "Channels",
        "preferred": "Prefers",
        "csat": "Ratings",
        "good": "good",
        "neutral": "neutral",
        "bad": "bad",
        "notes": "Notes",
        "add_note": "Add a note",
        "no_notes": "No notes.",
        "split_question": "The profile was split after this note. Which part keeps it?",
        "keep_here": "Keep it here",
        "move_to": "Move it to {p}",
        "pending": "Decisions the next run applies",
        "merged_into": "Profile {old} was merged into this one.",
        "status_review": "held for review",
        "when": "When",
        "who": "Who",
        "what": "What",
        "confidence": "Confidence",
        "role": "Role",
        "tz": "Time zone",
        "forbidden": "Not allowed.",
        "not_found": "Not found.",
        "csrf": "The form is stale or forged: reload the page and try again.",
        "no_snapshot": "Nothing is published yet: run edin run.",
        "all_people": "Everyone",
        "back": "Back",
        "next": "Next",
        "done_group": "Everything in this group is decided.",
        "language": "Русский",
    },
}


def translator(lang: str) -> Any:
    """``t(key, **values)`` for one language (a missing key shows itself, never fails); a
    number ``n`` among the values puts the nouns after it in its form (``NOUNS``)."""
    table = MESSAGES.get(lang, MESSAGES["ru"])

    def t(key: str, **values: Any) -> str:
        text = table.get(key, key)
        if isinstance(values.get("n"), Integral):
            values = counted(lang, int(values["n"])) | values
        return text.format(**values) if values else text

    return t
