"""The pairwise subject: how identity names a person, the same on every sign-in."""

from __future__ import annotations

from servicekit.pseudonyms import pairwise_subject

KEY = b"k" * 32


def test_a_persons_pairwise_subject_never_changes() -> None:
    # accounts are found by this value: a different digest would lock every officer out
    subject = pairwise_subject(KEY, department_id="d", issuer="https://idp.example", subject="s-1")
    assert subject == "6Ze1Av4_k6qnzxNEyPnOvDBGZ5DGS1Bal2Kn7Wcafm4"
    assert subject != pairwise_subject(
        KEY, department_id="d", issuer="https://idp.example", subject="s-2"
    )
