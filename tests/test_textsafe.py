"""Untrusted text made visible: control and bidi characters become escapes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from workbench.textsafe import UNSAFE, visible


def test_escapes_terminal_sequences_nul_and_bidi_but_keeps_text():
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("nul\x00") == "nul\\x00"
    assert visible("\u202eexe.txt") == "\\u202eexe.txt"
    assert visible("\x9b31m") == "\\x9b31m"              # the C1 control sequence introducer
    assert visible("用户\tok\n下一行") == "用户\tok\n下一行"
    assert visible("a\nb", keep_newlines=False) == "a\\nb"
    assert visible("\ufeff=1") == "\\ufeff=1"


@given(st.text())
def test_no_unsafe_character_survives(text):
    assert not UNSAFE.search(visible(text))
