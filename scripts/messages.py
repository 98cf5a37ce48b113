"""Keep the English catalogue in step with the pages' Dutch texts (`make messages`).

Extracts every marked text from web/ (templates and Python), merges it into
web/locale/en/LC_MESSAGES/messages.po (new texts come in untranslated, texts
no longer used are dropped) and lists the texts still without a translation.
Translate those in the .po file; the test suite fails while any is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
PO = WEB / "locale" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted() -> Catalog:
    """Every text the pages mark for translation, as a template catalogue."""
    template = Catalog(locale=None, domain="messages")
    for _file, _line, message, _comments, context in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS
    ):
        template.add(message, context=context)
    return template


def main() -> int:
    template = extracted()
    with PO.open("rb") as existing:
        catalogue = read_po(existing, locale="en")
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    with PO.open("wb") as out:
        write_po(out, catalogue, omit_header=False, no_location=True, sort_output=True)
    missing = [m.id for m in catalogue if m.id and not _translated(m.string)]
    for message_id in missing:
        print(f"untranslated: {message_id!r}")
    return 1 if missing else 0


def _translated(string: object) -> bool:
    if isinstance(string, tuple):
        return all(string)
    return bool(string)


if __name__ == "__main__":
    sys.exit(main())
