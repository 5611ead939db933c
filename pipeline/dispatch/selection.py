"""Which documents go into which bundle, in which order: the current documents with their rows, chosen,
grouped (Regierungsbezirk, Kreis, or all) and sorted (postal presort by PLZ, or by name)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidInputError
from ..fileio import slugify
from ..german import KREISFREIE_STADT
from ..i18n import _
from ..ledger import DocumentRecord, Ledger
from ..round import RoundConfig
from ..signatories import REGIERUNGSBEZIRK_BY_DIGIT, Signatory, normalise_ags
from .letters import Correction, signatory_from_ledger

GROUP_BY = ("regierungsbezirk", "kreis", "none")


SORT_BY = ("plz", "name")


ALL_GROUP = "alle"


@dataclass(frozen=True)
class Entry:
    """One municipality in a bundle: its current document and the CSV row it was made from."""

    record: DocumentRecord
    signatory: Signatory


def current_entries(ledger: Ledger, round_id: str) -> list[Entry]:
    records = ledger.latest_documents(round_id)
    if not records:
        raise InvalidInputError(_("the ledger has no documents for round {round}; run `engagiert render` first")
                                .format(round=round_id))
    return [Entry(record, signatory_from_ledger(record.signatory)) for _, record in sorted(records.items())]


def refresh_addresses(entries: list[Entry], signatories: list[Signatory], round_cfg: RoundConfig) -> list[Entry]:
    """Take postal addresses from the current signatories file.

    An address is not printed on the document, so correcting one makes no new version and the ledger
    keeps the old row. Whatever the document does print must still match the file, else the document is
    outdated and has to be rendered first. Rows of the ledger that the file no longer has stay as they are.
    """
    from ..render import fingerprint, printed_fields, templates_digest

    by_ags = {signatory.ags: signatory for signatory in signatories}
    templates_sha = templates_digest()
    refreshed, outdated = [], []
    for entry in entries:
        current = by_ags.get(entry.signatory.ags)
        if current is None:
            refreshed.append(entry)
        elif fingerprint(printed_fields(current, round_cfg), templates_sha) != entry.record.fingerprint:
            outdated.append(_("{ags} ({name}, row {row})").format(ags=current.ags, name=current.name, row=current.row))
        else:
            refreshed.append(Entry(entry.record, current))
    not_rendered = sorted(set(by_ags) - {entry.signatory.ags for entry in entries})
    if outdated or not_rendered:
        listed = ", ".join(outdated + [_("{ags} (no document yet)").format(ags=ags) for ags in not_rendered])
        raise InvalidInputError(_("the signatories file has changed since the documents were rendered ({rows}); "
                                  "run `engagiert render` first").format(rows=listed))
    return refreshed


def corrections(ledger: Ledger, round_cfg: RoundConfig, entries: list[Entry]) -> dict[str, Correction]:
    """AGS → what its document corrects, for every entry whose document replaced an earlier version (its cover
    letter says so). The fields compared are those printed, as stored at rendering."""
    from ..render import changed_fields

    found = {}
    for entry in entries:
        record = entry.record
        earlier = {version: doc_id for doc_id, version in ledger.versions(round_cfg.id, record.ags).items()
                   if version < record.version}
        previous = ledger.document(earlier[max(earlier)]) if earlier else None
        if previous is None:
            continue
        changed = changed_fields(previous, signatory_from_ledger(record.signatory), round_cfg)
        found[record.ags] = Correction(previous.version, [name for name, _old, _new in changed],
                                       dt.date.fromisoformat(record.rendered_at[:10]))
    return found


def selected_entries(ledger: Ledger, round_cfg: RoundConfig, signatories: list[Signatory] | None,
                     only: list[str]) -> list[Entry]:
    """The current documents, with addresses refreshed from `signatories` if given, limited to `only`."""
    entries = current_entries(ledger, round_cfg.id)
    if signatories is not None:
        entries = refresh_addresses(entries, signatories, round_cfg)
    return select_only(entries, only) if only else entries


def select_only(entries: list[Entry], only: Iterable[str]) -> list[Entry]:
    wanted = {normalise_ags(part) for value in only for part in value.replace(",", " ").split() if part}
    known = {entry.signatory.ags for entry in entries}
    unknown = sorted(wanted - known)
    if unknown:
        raise InvalidInputError(_("--only: no document in this round for AGS {keys}").format(keys=", ".join(unknown)))
    return [entry for entry in entries if entry.signatory.ags in wanted]


def group_names(entries: list[Entry], group_by: str) -> dict[str, str]:
    """AGS -> the name of its group.

    By Regierungsbezirk: the CSV column (derived from the key's third digit when empty). By Kreis: the
    first five digits of the key are the district (kreisfreie Städte have their own), so a Kreis goes
    into the bundle of its own municipalities, named as the Kreis row names itself, and a kreisfreie
    Stadt forms a group of its own.
    """
    if group_by == "none":
        return {entry.signatory.ags: ALL_GROUP for entry in entries}
    if group_by == "regierungsbezirk":
        return {entry.signatory.ags: (entry.signatory.regierungsbezirk.strip()
                                      or REGIERUNGSBEZIRK_BY_DIGIT.get(entry.signatory.ags[2:3], "ohne Bezirk"))
                for entry in entries}
    if group_by != "kreis":
        raise InvalidInputError(_("--group-by must be one of {choices}, not {value!r}").format(
            choices=", ".join(GROUP_BY), value=group_by))
    district_names: dict[str, str] = {}
    for entry in entries:  # a district's own row names it best ("Rhein-Kreis Neuss")
        if len(entry.signatory.ags) == 5 or entry.signatory.typ == KREISFREIE_STADT:
            district_names[entry.signatory.ags[:5]] = entry.signatory.bezeichnung
    for entry in entries:  # otherwise the members' kreis column
        if entry.signatory.kreis.strip():
            district_names.setdefault(entry.signatory.ags[:5], entry.signatory.kreis.strip())
    return {entry.signatory.ags: district_names.get(entry.signatory.ags[:5], f"Kreis {entry.signatory.ags[:5]}")
            for entry in entries}


_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})


def _name_key(text: str) -> str:
    """German dictionary order (DIN 5007-1): umlauts sort as their base letter, ß as ss (casefold)."""
    return text.casefold().translate(_UMLAUTS)


def sort_entries(entries: list[Entry], sort: str) -> list[Entry]:
    if sort not in SORT_BY:
        raise InvalidInputError(_("--sort must be one of {choices}, not {value!r}").format(
            choices=", ".join(SORT_BY), value=sort))

    def key(entry: Entry):
        name = (_name_key(entry.signatory.name), _name_key(entry.signatory.bezeichnung), entry.signatory.ags)
        return (entry.signatory.plz.strip(), *name) if sort == "plz" else name

    return sorted(entries, key=key)


def plan_groups(entries: list[Entry], group_by: str, sort: str, group: str | None) -> list[tuple[str, list[Entry]]]:
    names = group_names(entries, group_by)
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(names[entry.signatory.ags], []).append(entry)
    if group is not None:
        wanted = {group.strip().casefold(), slugify(group).casefold()}
        matching = [name for name in groups if name.casefold() in wanted or slugify(name).casefold() in wanted]
        if not matching:
            raise InvalidInputError(_("--group {group!r}: no such group with --group-by {group_by}; groups are: "
                                      "{groups}").format(group=group, group_by=group_by,
                                                         groups=", ".join(sorted(groups, key=_name_key))))
        groups = {name: groups[name] for name in matching}
    slugs: dict[str, str] = {}
    for name in groups:
        if slugify(name) in slugs:  # "Köln" and "Koeln" would overwrite each other's file
            raise InvalidInputError(_("groups {first!r} and {second!r} get the same file name").format(
                first=slugs[slugify(name)], second=name))
        slugs[slugify(name)] = name
    return [(name, sort_entries(groups[name], sort)) for name in sorted(groups, key=_name_key)]
