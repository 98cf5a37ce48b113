"""The pages speak English wherever they speak Dutch: every marked text has its
English translation (`make messages` lists what is missing)."""

from __future__ import annotations

from babel.messages.pofile import read_po

from scripts.messages import PO, extracted
from web.templating import render


def test_every_text_of_the_pages_has_an_english_translation() -> None:
    with PO.open("rb") as po:
        catalogue = read_po(po, locale="en")
    missing = []
    for message in extracted():
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = found.string if found else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message.id)

    assert missing == []


def test_a_page_is_rendered_in_the_language_asked_for() -> None:
    from web.site import Visitor

    person = Visitor(None, None, "en", "token", None)
    context = {"person": person, "csrf": "t", "path": "/", "menu": [], "notice": None}

    english = render("accessibility.html", "en", context)
    dutch = render("accessibility.html", "nl", {**context, "person": person})

    assert "Accessibility statement" in english
    assert 'lang="en"' in english
    assert "Toegankelijkheidsverklaring" in dutch
    assert 'lang="nl"' in dutch
