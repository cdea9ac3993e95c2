"""References people read out over the phone: a prefix and eight unambiguous characters."""

from __future__ import annotations

import re

from servicekit.references import REFERENCE_ALPHABET, new_reference


def test_a_reference_has_its_prefix_and_two_groups_of_four() -> None:
    reference = new_reference("JOIN")
    assert re.fullmatch(r"JOIN-[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
    assert set(reference[5:].replace("-", "")) <= set(REFERENCE_ALPHABET)


def test_no_character_reads_as_another() -> None:
    assert not set("01OILU") & set(REFERENCE_ALPHABET)
    assert len(set(REFERENCE_ALPHABET)) == len(REFERENCE_ALPHABET) == 30


def test_references_do_not_repeat() -> None:
    assert len({new_reference("DEMO") for _ in range(2000)}) == 2000
