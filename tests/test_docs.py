"""The statement files shown in the docs load, and the ones with a proof prove."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from softproof.derivations.proofs import check_proof
from softproof.derivations.statement_files import parse_statement_text

DOCS = Path(__file__).resolve().parents[1] / "docs" / "statement-files.md"
BLOCKS = [b for b in re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S) if "id = " in b]


def test_the_guide_shows_statement_files():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("text", BLOCKS, ids=[re.search(r'id = "(.*?)"', b)[1] for b in BLOCKS])
def test_each_statement_file_of_the_guide_loads(text):
    st = parse_statement_text(text, "docs/statement-files.md")
    if st.proof is not None:
        out = check_proof(st)
        assert out.ok, out.message


def test_a_changed_step_of_the_guide_proof_is_rejected_at_that_step():
    (text,) = [b for b in BLOCKS if "proof = [" in b]
    bad = text.replace('{ le = "R / 2 * norm2(x - y)"', '{ le = "R / 3 * norm2(x - y)"')
    assert bad != text
    out = check_proof(parse_statement_text(bad, "docs/statement-files.md"))
    assert not out.ok and "step 6" in out.message
