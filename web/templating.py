"""Rendering the pages: one Jinja2 environment (autoescaped, i18n) for all."""

from __future__ import annotations

import contextvars
import gettext
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from domain.zone import AMSTERDAM, local_date
from web import labels
from web.i18n import translations
from web.labels import N_

TEMPLATES = Path(__file__).parent / "templates"
_current: contextvars.ContextVar[gettext.NullTranslations] = contextvars.ContextVar(
    "translations"
)


def _gettext(message: str) -> str:
    return _current.get(gettext.NullTranslations()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get(gettext.NullTranslations()).ngettext(singular, plural, n)


def label(kind: str, value: object) -> str:
    """What the page calls a domain value ("assigned" is "Toegewezen")."""
    if value is None or value == "":
        return ""
    text = labels.KINDS[kind].get(str(value))
    return _gettext(text) if text else str(value)


def day(value: date | datetime | str | None) -> str:
    """A date as the Dutch write it: 3-12-2026 (a moment, in Dutch local time)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = local_date(value)
    return f"{value.day}-{value.month}-{value.year}"


def moment(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(AMSTERDAM)
    return f"{local.day}-{local.month}-{local.year} {local:%H:%M}"


def pair(value: object, kind: str) -> tuple[str, str]:
    """An option of a select: the value and what the page calls it."""
    return str(value), label(kind, value)


def translated_pair(item: tuple[str, str]) -> tuple[str, str]:
    """An option of a select from a value and its text (a catalogue id)."""
    return item[0], _gettext(item[1])


def moment_text(value: str | None) -> str:
    """An RFC 3339 time (as the API gives it) as ``moment`` writes it."""
    return moment(datetime.fromisoformat(value)) if value else ""


def consultant_option(consultant: dict[str, Any]) -> tuple[str, str]:
    text = _gettext(N_("%(name)s (%(open)d van %(capacity)d zaken)")) % {
        "name": consultant["name"],
        "open": consultant["open_cases"],
        "capacity": consultant["capacity"],
    }
    return str(consultant["id"]), text


def local(value: datetime) -> date:
    return local_date(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["label"] = label
    env.filters["day"] = day
    env.filters["moment"] = moment
    env.filters["pair"] = pair
    env.filters["translated_pair"] = translated_pair
    env.filters["moment_text"] = moment_text
    env.filters["zip"] = zip
    env.filters["local"] = local
    env.filters["consultant_option"] = consultant_option
    return env


ENVIRONMENT = _environment()


def render(name: str, lang: str, context: dict[str, Any]) -> Markup:
    """The template ``name`` rendered in ``lang``."""
    token = _current.set(translations(lang))
    try:
        html = ENVIRONMENT.get_template(name).render(lang=lang, **context)
    finally:
        _current.reset(token)
    return Markup(html)  # noqa: S704 — autoescaped template output
