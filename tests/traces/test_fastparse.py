"""msgspec's parse of a trace document (workbench.traces.fastparse) is orjson's, value for value and
type for type, or it steps aside: generated documents, documents written in other styles, mutated
text, number spellings and the hostile cases one by one."""

from __future__ import annotations

import json
import math

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.traces import fastparse


def same(a, b) -> bool:
    """Equal with the same types all the way down (1 is not 1.0, -0.0 is not 0.0), keys in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b) and a == b
    return a == b


def check(text: bytes, shape: str = "document") -> object:
    """The property: msgspec's result, when there is one, is orjson's; returns it (or None)."""
    fast = fastparse.parse(text, shape)
    if fast is not None:
        assert same(fast, orjson.loads(text)), text[:300]
        assert same(fastparse.loads(text, shape), fast)
    return fast


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
                    st.floats(allow_nan=False, allow_infinity=False), _text)
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_text, inner, max_size=4)),
                      max_leaves=20)
_event = st.fixed_dictionaries({}, optional={"type": _value, "timestamp": _value, "context": _value,
                                             "action": _value})
_record = st.fixed_dictionaries({}, optional={"user_profile": _value,
                                              "action_history": st.one_of(st.lists(_event, max_size=4), _value)})
_doc = st.dictionaries(_text, _record, max_size=3)


def _style(doc, style: int) -> bytes:
    if style == 0:
        return orjson.dumps(doc)
    if style == 1:
        return json.dumps(doc).encode()  # ASCII only: \\u escapes, ", " and ": " separators
    if style == 2:
        return json.dumps(doc, ensure_ascii=False, indent=2).encode()
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_doc, st.integers(0, 3))
def test_generated_documents_parse_as_orjson_parses_them(doc, style) -> None:
    try:
        text = _style(doc, style)
    except (TypeError, orjson.JSONEncodeError):  # an int beyond 64 bits: orjson cannot write it
        text = json.dumps(doc).encode()
    fast = check(text)
    if style == 0 and fast is None:
        # orjson wrote it, so it parses: only a value outside the accepted shape may step aside
        text_ok = all(isinstance(r, dict) for r in doc.values())
        assert not text_ok or _outside_shape(doc), text[:300]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_event, _scalar), max_size=5), st.booleans())
def test_a_history_cut_out_parses_as_orjson_parses_it(items, ascii_only) -> None:
    try:
        text = json.dumps(items, ensure_ascii=ascii_only).encode()
    except TypeError:
        return
    fast = check(text, "history")
    if fast is None:
        assert _outside_shape({"u": {"action_history": items}}), text[:300]


def _outside_shape(doc) -> bool:
    """Whether ``doc`` holds something fastparse leaves to orjson on purpose: big ints, deep nesting,
    lists of lists where events belong."""
    def deep_or_big(v, depth: int) -> bool:
        if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
            return False
        if isinstance(v, int):
            return not -(2 ** 63) <= v < 2 ** 63
        if depth >= fastparse.MAX_NESTING:
            return True
        items = v.values() if isinstance(v, dict) else v
        return any(deep_or_big(x, depth + 1) for x in items)

    for record in doc.values():
        for v in record.values():
            if isinstance(v, list) and all(not isinstance(e, list) for e in v):
                if any(deep_or_big(x, 0) for e in v if isinstance(e, dict) for x in e.values()):
                    return True
                if any(deep_or_big(e, 0) for e in v if not isinstance(e, dict)):
                    return True
            elif isinstance(v, list):
                return True  # a list that is not of events: not a value at this place
            elif deep_or_big(v, 0):
                return True
    return False


_BYTES = [b" ", b"\t", b"\n", b"\r", b"\x0c", b"\x0b", b"\x00", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80",
          b"\\", b"\\u", b"\\ud800", b"\\udc00", b"\\u0000", b"\\/", b'"', b",", b":", b"{", b"}", b"[",
          b"]", b"-", b"+", b".", b"e", b"E", b"0", b"1", b"9", b"00", b"NaN", b"Infinity", b"true",
          b"null", b"tru", b"1e400", b"-0", b"18446744073709551616", b"9223372036854775808", b"//"]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_doc, st.lists(st.tuples(st.floats(0, 1), st.integers(0, 2), st.sampled_from(_BYTES)),
                      min_size=1, max_size=4))
def test_mutated_text_is_accepted_only_as_orjson_reads_it(doc, edits) -> None:
    text = bytearray(json.dumps(doc, ensure_ascii=False).encode())
    for where, kind, piece in edits:
        at = int(where * len(text))
        if kind == 0:
            text[at:at] = piece
        elif kind == 1:
            text[at:at + len(piece)] = piece
        else:
            del text[at:at + 1]
    try:
        orjson.loads(bytes(text))
        parses = True
    except orjson.JSONDecodeError:
        parses = False
    fast = check(bytes(text))
    assert fast is None or parses


_digits = st.text("0123456789", min_size=1, max_size=25)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["", "-", "+"]), _digits, st.one_of(st.none(), _digits),
       st.one_of(st.none(), st.tuples(st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                                      st.text("0123456789", min_size=1, max_size=4))))
def test_number_spellings(sign, whole, frac, exp) -> None:
    token = sign + whole + ("." + frac if frac is not None else "") + ("".join(exp) if exp else "")
    text = ('{"u":{"action_history":[{"type":"x","context":{"n":%s},"action":[%s]}]}}'
            % (token, token)).encode()
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        assert fastparse.document(text) is None
        return
    check(text)


@pytest.mark.parametrize("text, accepted", [
    (b'{"u":{"action_history":[{"type":"a","type":"b","context":{"k":1,"j":2,"k":3}}]}}', True),
    (b'{"u":{"action_history":[]},"v":{},"u":{"user_profile":"p"}}', True),
    (b'{"u":{"action_history":[{"type":9223372036854775807}]}}', True),
    (b'{"u":{"action_history":[{"type":-9223372036854775808}]}}', True),
    (b'{"u":{"action_history":[{"type":9223372036854775808}]}}', False),  # orjson: int; msgspec: leaves it
    (b'{"u":{"action_history":[{"type":123456789012345678901234}]}}', False),  # orjson: float
    (b'{"u":{"action_history":[{"context":' + b"[" * 6 + b"]" * 6 + b"}]}}", True),
    (b'{"u":{"action_history":[{"context":' + b"[" * 7 + b"]" * 7 + b"}]}}", False),
    (b'{"u":{"action_history":[{"context":' + b"[" * 1100 + b"]" * 1100 + b"}]}}", False),
    (b'{"u":{"action_history":[{"typo":1}],"extra":{"k":[2]}}}', True),
    (b'{"u":{"action_history":[[1]]}}', False),
    (b'{"u":{"profile":1}}', True),
    (b'{"u":{"action_history":[{"x":' + b"[" * 7 + b"]" * 7 + b"}]}}", False),
    (b'{"u":[]}', False),
    (b'[]', False),
    (b'{"u":{"action_history":[{"type":NaN}]}}', False),
    (b'{"u":{"action_history":[{"type":1e400}]}}', False),
    (b'{"u":{"action_history":[{"type":"\\ud800"}]}}', False),
    (b'{"u":{"action_history":[{"type":"\\udc00x"}]}}', False),
    (b'{"u":{"action_history":[{"type":"\\ud83d\\ude00"}]}}', True),
    (b'{"u":{"action_history":[{"type":"a\xffb"}]}}', False),
    (b'{"u":{"action_history":[{"type":"\xed\xa0\x80"}]}}', False),
    (b'{"u\xc0\xaf":{}}', False),
    (b'{"u":{"action_history":[{"type":"a\x01b"}]}}', False),
    (b'{"u":{}} x', False),
    (b' \n{"u":{}}\r\n\t ', True),
    (b'{"u":{"action_history":[{"type":-0,"timestamp":-0.0}]}}', True),
])
def test_hostile_cases(text, accepted) -> None:
    fast = check(text)
    assert (fast is not None) == accepted


@pytest.mark.parametrize("text, accepted", [
    (b'[{"type":"a"},"x",1,null,true,{"context":{"k":[1,{"j":2.5}]}},"\\u0000workbench-split"]', True),
    (b'[{"type":"a"},[1]]', False),
    (b'[{"type":"a","x":1}]', True),
    (b'{"type":"a"}', False),
    (b'[{"type":"a"},]', False),
])
def test_history_cases(text, accepted) -> None:
    assert (check(text, "history") is not None) == accepted


def test_loads_raises_as_orjson_does() -> None:
    with pytest.raises(orjson.JSONDecodeError):
        fastparse.loads(b'{"u":{"action_history":[')
    assert fastparse.loads(b'[1, 2]') == [1, 2]  # not a document: orjson's answer


def test_switched_off_it_steps_aside(monkeypatch) -> None:
    monkeypatch.setattr(fastparse, "ENABLED", False)
    assert fastparse.document(b'{"u":{}}') is None
