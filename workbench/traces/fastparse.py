"""A trace document parsed by msgspec into exactly what ``orjson.loads`` gives, or None when that
cannot be promised. Layer: traces (pure; no Qt).

Parsing is the biggest single cost of opening trace files. msgspec decodes a document against a
declared shape in C, faster than orjson builds the same objects where their memory is new to the
process (a 130 MB user file in a fresh process: 3.0 against 4.3 us per event); where freed memory
is kept for the next file (the folder's workers, :mod:`workbench.traces.pool`) orjson is as fast and
is used. The result is used only where it is, value for value and type for type, the one orjson
gives; every other document goes to orjson as before, so nothing downstream depends on which parser
ran. The shape it accepts:

* an object of users, each an object (``user_profile``, ``action_history``, ...);
* events (the items of a list under a user's key, or of a ``history``: a list of events as the
  two-process path cuts one out) that are objects, or strings, numbers, booleans or null (which the
  importer warns about), not lists;
* any JSON values below an event's or a user's keys, nested at most :data:`MAX_NESTING` levels deep
  (orjson reads 1024 levels and writes 254: the payload of a deeper event cannot be stored, which
  the ordinary path reports);
* integers within the signed 64-bit range (orjson reads bigger ones as floats, msgspec as ints).

Both parsers reject the same broken text (invalid UTF-8, lone surrogates, NaN, numbers beyond a
double, control characters in strings, trailing garbage), both keep the last of repeated keys at
the first one's place and both round floats correctly; ``tests/traces/test_fastparse.py`` checks
this against orjson on generated and mutated documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

import orjson

if TYPE_CHECKING:
    import msgspec

#: Levels of lists and objects allowed below an event's or a user's keys (deeper: orjson's path);
#: each level multiplies the time to set the decoder up (8 levels: 30 ms; 6: 7 ms).
MAX_NESTING = 6
#: Off: every document goes to orjson (tests compare the two paths with this).
ENABLED = True

_decoders: dict[str, msgspec.json.Decoder] = {}


def _types() -> dict[str, Any]:
    """The accepted shapes (see the module docstring) as types msgspec decodes against: a whole
    ``document``, and a ``history`` (a JSON list of events, as the two-process path cuts one out)."""
    import msgspec

    integer = Annotated[int, msgspec.Meta(ge=-(2 ** 63), le=2 ** 63 - 1)]
    value: Any = Union[str, integer, float, bool, None]
    for _ in range(MAX_NESTING):
        value = Union[str, integer, float, bool, None, list[value], dict[str, value]]
    item = Union[str, integer, float, bool, None, dict[str, value]]  # an event (or not: warned about)
    record = dict[str, Union[str, integer, float, bool, None, list[item], dict[str, value]]]
    return {"document": dict[str, record], "history": list[item]}


def parse(data: Any, shape: str = "document") -> Any:
    """``data`` (bytes-like, without a BOM) parsed as ``orjson.loads`` parses it when it has ``shape``
    (``"document"`` or ``"history"``); None otherwise, or when it does not parse (orjson then
    decides what the text is)."""
    if not ENABLED:
        return None
    import msgspec  # imported on first use: off the application's start-up path

    decoder = _decoders.get(shape)
    if decoder is None:
        decoder = _decoders[shape] = msgspec.json.Decoder(_types()[shape])
    try:
        return decoder.decode(data)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None


def document(data: Any) -> dict | None:
    """A whole trace document (``parse`` with the ``"document"`` shape)."""
    return parse(data, "document")


def loads(data: Any, shape: str = "document") -> Any:
    """``orjson.loads(data)``, raising its ``JSONDecodeError``: by msgspec when the text has ``shape``."""
    value = parse(data, shape)
    return value if value is not None else orjson.loads(data)
