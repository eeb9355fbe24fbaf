"""``softproof rules``: every rule and justification with a one-line statement."""

from __future__ import annotations

from softproof.cli import main
from softproof.commands.rules import rule_lines
from softproof.derivations import rules
from softproof.derivations.proofs import JUSTIFICATIONS


def test_rules_lists_every_rule_and_justification(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in out]
    for name in rules.RULES:
        assert name in names, name
    for name in ("hypothesis", "identity", "definition", "lemma"):
        assert name in names
    assert len(out) == len(set(rules.RULES) | set(JUSTIFICATIONS))


def test_each_rule_has_a_one_line_statement_and_its_relation():
    lines = {name: (rel, what) for name, rel, what in rule_lines()}
    assert lines["triangle"][0] == "<="
    assert lines["homogeneity"][0] == "=="
    assert "mean value" in lines["mean_value"][1].lower()
    assert "[args: g, var, p, q]" in lines["mean_value"][1]
    assert "lemma = ID" in lines["entrywise_lemma"][1]
    for name, (_rel, what) in lines.items():
        assert what and "\n" not in what and "``" not in what, name
