"""Normalizers: raw contact cells to match keys. Pure functions, no I/O beyond loading the
dictionaries in ``normalizers/dictionaries/`` once at import; junk gives ``None``, never an
exception.

Public API:

- ``clean_text``, ``text_flags``, ``fix_mojibake``: any cell to one tidy line of text.
- ``normalize_phone``, ``normalize_phones``, ``phone_flags`` → ``PhoneKey`` (E.164).
- ``normalize_email`` → ``EmailKey`` (normalized address, match key, typo key).
- ``normalize_name``, ``name_skeleton`` → ``NameKey`` (given/patronymic/surname, skeleton keys);
  ``name_from_identifier``: a name read from an e-mail local part or nickname, on strong evidence.
  ``surname_from_identifier``: a typed name without its surname completed by such a name.
- ``normalize_handle`` → ``HandleKey`` (``vk:id123``, ``tg:ivan_petrov``; phones as E.164);
  ``platform_of``: a source's channel name (``vkontakte``, ``insta``) → its platform code;
  ``PLATFORM_CODES``: the codes a handle key starts with.
- ``normalize_city``: city names to a comparison key.
"""

from normalizers.city import normalize_city
from normalizers.email import EmailKey, normalize_email
from normalizers.handle import PLATFORM_CODES, HandleKey, normalize_handle, platform_of
from normalizers.name import (
    NameKey,
    name_from_identifier,
    name_skeleton,
    normalize_name,
    surname_from_identifier,
)
from normalizers.phone import PhoneKey, normalize_phone, normalize_phones, phone_flags
from normalizers.text import clean_text, fix_mojibake, text_flags

__all__ = [
    "EmailKey",
    "HandleKey",
    "NameKey",
    "PLATFORM_CODES",
    "PhoneKey",
    "clean_text",
    "fix_mojibake",
    "name_from_identifier",
    "surname_from_identifier",
    "name_skeleton",
    "normalize_city",
    "normalize_email",
    "normalize_handle",
    "normalize_name",
    "normalize_phone",
    "normalize_phones",
    "phone_flags",
    "platform_of",
    "text_flags",
]
