"""Fold ``survey_app/i18n/vi/*.json`` (English → Vietnamese) into the gettext catalogue.

    python -m survey_app.i18n.json_to_po [--dry-run] [--pot messages.pot]

New English messages are added to ``survey_app/translations/vi/LC_MESSAGES/messages.po``;
one already there with the same Vietnamese (or none yet) is fine. If any message would get
a *different* Vietnamese (from the catalogue or from another JSON file), nothing is written,
nothing is deleted, and every conflict is listed: change one side, then run it again.
On success the JSON files are deleted. Running it again with no JSON files changes nothing.

``--pot FILE`` (``make messages``) also adds every message of a ``pybabel extract`` template
that the catalogue lacks, with an empty translation to fill in. Unlike ``pybabel update`` it
never marks a message obsolete: many are looked up by value (states, labels, WTForms' own
messages), which extraction cannot see.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from survey_app.i18n import DOMAIN, TRANSLATIONS_DIR

JSON_DIR = Path(__file__).resolve().parent / "vi"
PO_PATH = TRANSLATIONS_DIR / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"


def new_catalog(lang: str) -> Catalog:
    return Catalog(
        locale=lang,
        domain=DOMAIN,
        project="ParIndex",
        version="0.1.0",
        copyright_holder="ParIndex",
        creation_date=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        revision_date=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        fuzzy=False,
    )


def read_catalog(path: Path, lang: str = "vi") -> Catalog:
    if not path.exists():
        return new_catalog(lang)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)


def fold(catalog: Catalog, files: list[Path], po_name: str = PO_PATH.name) -> list[str]:
    """Add every message of ``files`` to ``catalog``; the conflicts as sentences."""
    conflicts: list[str] = []
    source: dict[str, str] = {}  # msgid -> the JSON file that gave its Vietnamese
    for path in files:
        try:
            pairs = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            conflicts.append(f"{path.name}: not a JSON object of strings ({exc})")
            continue
        if not isinstance(pairs, dict):
            conflicts.append(f"{path.name}: not a JSON object of strings")
            continue
        for msgid, text in pairs.items():
            if not isinstance(msgid, str) or not isinstance(text, str) or not msgid:
                conflicts.append(f"{path.name}: {msgid!r} → {text!r} is not a pair of strings")
                continue
            existing = catalog.get(msgid)
            if existing is None or not existing.string:
                if existing is None:
                    catalog.add(msgid, text, auto_comments=[f"from {path.name}"])
                else:
                    existing.string = text
                source[msgid] = path.name
            elif existing.string != text:
                where = source.get(msgid, po_name)
                conflicts.append(
                    f"{msgid!r}: {path.name} says {text!r} but {where} already says "
                    f"{existing.string!r}"
                )
    return conflicts


def main(argv: list[str] | None = None, json_dir: Path = JSON_DIR, po_path: Path = PO_PATH) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="check only: write nothing")
    parser.add_argument("--pot", type=Path, help="also add the messages of this template")
    args = parser.parse_args(argv)
    files = sorted(json_dir.glob("*.json"))
    if not files and not args.pot:
        print(f"No JSON catalogue in {json_dir}: nothing to do.")
        return 0
    catalog = read_catalog(po_path)
    before = len(catalog)
    if args.pot:
        with args.pot.open("rb") as fh:
            template = read_po(fh)
        for message in template:
            if message.id and catalog.get(message.id, context=message.context) is None:
                catalog.add(
                    message.id,
                    "",
                    locations=message.locations,
                    context=message.context,
                    flags=message.flags - {"fuzzy"},
                )
    conflicts = fold(catalog, files, po_path.name)
    # Babel's own checks, so that `pybabel compile` (make install) cannot fail afterwards.
    conflicts += [
        f"{m.id!r} → {m.string!r}: {'; '.join(map(str, errs))}" for m, errs in catalog.check()
    ]
    if conflicts:
        print(
            f"Refused: {len(conflicts)} conflict(s); {po_path} and the JSON files are "
            "unchanged. Give each English message one Vietnamese translation (or give the "
            "call sites distinct messages / a pgettext context), then run this again:",
            file=sys.stderr,
        )
        for line in conflicts:
            print(f"  - {line}", file=sys.stderr)
        return 1
    added = len(catalog) - before
    if args.dry_run:
        print(f"Would add {added} message(s) from {len(files)} file(s); no conflict.")
        return 0
    write_catalog(catalog, po_path)
    for path in files:
        path.unlink()
    print(f"Added {added} message(s) ({len(files)} JSON file(s), deleted) to {po_path}.")
    print("Now compile: pybabel compile -d survey_app/translations (or `make install`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
