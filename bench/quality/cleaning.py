"""Generic cleaning of the generated helpdesk contacts for the comparison systems.

The product normalizes its own input; Splink, plain dedupe and the exact-identifier baseline get
these columns instead: what a careful user of those tools would prepare without this project's
normalizers (no transliteration, no diminutives, no hub lists). Lowercase, trimmed, empty is null.

* ``first_name`` / ``surname``: the first and second word of the name (letters only). Russian
  names come in either order, which Splink's ``ForenameSurnameComparison`` allows for.
* ``email``: lowercased, ``mailto:`` stripped; only values with an ``@``.
* ``phone``: the digits before an extension; Russian 10- and 11-digit forms as ``7XXXXXXXXXX``;
  shorter (local) numbers dropped. A WhatsApp link in the handle gives the phone when none is set.
* ``handle``: the user name of a profile link or an ``@name`` (platform dropped: one person often
  keeps one user name across platforms).
* ``city``: lowercased, the ``г.`` prefix dropped.
"""

from __future__ import annotations

import polars as pl

_LETTERS = r"[^\p{L}\s-]"
_LOOSE_HYPHEN = r"\s-+|-+\s|^-+|-+$"  # "-" as a placeholder name, or a dash between words
_EXTENSION = r"(?i)(,|;|доб|вн\.|ext|#).*$"
_WHATSAPP = r"(?i)(?:wa\.me/|whatsapp\.com/send\?phone=)\+?(\d+)"
_TG_RESOLVE = r"^tg://resolve\?domain=([^&]+)"
_URL_PREFIX = r"^(?:[a-z]+://)?(?:www\.|m\.)?"
_CITY_PREFIX = r"^(?:г\.\s*|г\s+|город\s+)"


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_chars() > 0).then(expr).otherwise(None)


def _phone(raw: pl.Expr) -> pl.Expr:
    digits = raw.str.replace(_EXTENSION, "").str.replace_all(r"\D", "")
    return (
        pl.when(digits.str.len_chars() == 10)
        .then(pl.lit("7") + digits)
        .when((digits.str.len_chars() == 11) & digits.str.contains("^[78]"))
        .then(pl.lit("7") + digits.str.slice(1))
        .when(digits.str.len_chars() > 11)
        .then(digits)
        .otherwise(None)
    )


def _handle(raw: pl.Expr) -> pl.Expr:
    text = raw.str.strip_chars().str.to_lowercase()
    text = pl.coalesce(pl.lit("@") + text.str.extract(_TG_RESOLVE, 1), text)
    path = text.str.replace(_URL_PREFIX, "").str.replace(r"[?#].*$", "").str.strip_chars_end("/")
    user = (
        pl.when(path.str.starts_with("@"))
        .then(path.str.slice(1))
        .when(path.str.contains("/"))
        .then(path.str.split("/").list.last())
        .otherwise(path)
    )
    return _blank_to_null(pl.when(text.str.contains(_WHATSAPP)).then(None).otherwise(user))


def clean_generated(contacts: pl.DataFrame) -> pl.DataFrame:
    """source, source_id, name, first_name, surname, email, phone, handle, city, created_at."""
    name = (
        pl.col("name")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all("ё", "е")
        .str.replace_all(_LETTERS, " ")
        .str.replace_all(_LOOSE_HYPHEN, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    words = name.str.split(" ")
    whatsapp = pl.col("handle").str.extract(_WHATSAPP, 1)
    email = pl.col("email").str.strip_chars().str.to_lowercase().str.replace("^mailto:", "")
    city = (
        pl.col("city")
        .str.to_lowercase()
        .str.strip_chars()
        .str.replace(_CITY_PREFIX, "")
        .str.replace_all(r"[^\p{L}\s-]", "")
        .str.strip_chars()
    )
    return contacts.select(
        "source",
        "source_id",
        _blank_to_null(name).alias("name"),
        _blank_to_null(words.list.get(0, null_on_oob=True)).alias("first_name"),
        _blank_to_null(words.list.get(1, null_on_oob=True)).alias("surname"),
        pl.when(email.str.contains("@")).then(email).otherwise(None).alias("email"),
        pl.coalesce(_phone(pl.col("phone")), _phone(whatsapp)).alias("phone"),
        _handle(pl.col("handle")).alias("handle"),
        _blank_to_null(city).alias("city"),
        pl.col("created_at"),
    )


def strip_strings(df: pl.DataFrame) -> pl.DataFrame:
    """Every column trimmed, empty strings as null (FEBRL3 pads its values with spaces)."""
    return df.with_columns(
        _blank_to_null(pl.col(c).cast(pl.String).str.strip_chars()).alias(c) for c in df.columns
    )
