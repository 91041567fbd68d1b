"""Names that look alike: ids and file names compared across Unicode forms and letter case.

Light on purpose (no anndata): the flow readers, which ``omics enrich``'s imports reach, use it.
"""

from __future__ import annotations

import unicodedata


def folded_name(name: object) -> str:
    """Return ``name`` in Unicode NFC form, case-folded: ids and file names that look alike compare equal.

    Parameters
    ----------
    name
        A sample id, matrix column or file name.

    Returns
    -------
    str
        The folded text (``"Müller"`` written as one character or as letter plus accent, in
        any case, gives one text).
    """
    return unicodedata.normalize("NFC", str(name)).casefold()


#: How two names that fold alike (:func:`folded_name`) differ, as the messages say it.
_CASE = "in letter case"
_NORMALISATION = ("in Unicode normalisation (accented letters written as one character in one "
                  "and as letter plus accent in the other)")


def name_difference(name: str, other: str) -> str:
    """Return how ``name`` and ``other``, which fold alike (:func:`folded_name`), differ.

    Parameters
    ----------
    name, other
        Two ids or file names.

    Returns
    -------
    str
        ``"in letter case"`` or ``"in Unicode normalisation (...)"``, for a message.
    """
    same_form = unicodedata.normalize("NFC", name) == unicodedata.normalize("NFC", other)
    return _NORMALISATION if same_form else _CASE


def near_matches(missing: list[str], extra: list[str], *, other: str = "a matrix column",
                 short: str = "matrix") -> str:
    """Return a hint naming sheet ids that equal one of ``extra`` but for case or Unicode form.

    Parameters
    ----------
    missing
        Sample-sheet ids not found.
    extra
        The names found instead (matrix columns, samples of a table).
    other, short
        How the message names one of ``extra`` ("a matrix column") and where it is ("matrix").

    Returns
    -------
    str
        ``" 2 of them differ from a matrix column only in letter case: ..."``, or ``""``.
    """
    found_names: dict[str, str] = {}
    for name in extra:
        found_names.setdefault(folded_name(name), name)
    pairs = [(s, found_names[folded_name(s)]) for s in missing if folded_name(s) in found_names]
    if not pairs:
        return ""
    found = {name_difference(s, c) for s, c in pairs}
    kinds = " and ".join(kind for kind in (_CASE, _NORMALISATION) if kind in found)
    shown = ", ".join(f"{s!r} (sheet) / {c!r} ({short})" for s, c in pairs[:3])
    more = f" ... ({len(pairs)} in all)" if len(pairs) > 3 else ""
    return (f" {len(pairs)} of them differ from {other} only {kinds}: {shown}{more}; "
            "ids are compared exactly, so write them alike in both files.")
