"""Proofs written in statement files: parsed into chains, checked by the step checker."""

from __future__ import annotations

import re

import pytest

from softproof.derivations import catalogue, chains, sharp
from softproof.derivations.chains import implies
from softproof.derivations.proofs import check_proof, export_statement
from softproof.derivations.statement_files import StatementFileError, parse_statement_text

SHARP = ["P1-sharp", "Q1-sharp", "P4-sharp", "Q4-sharp", "T1-sharp", "T2-sharp"]


def _chain(cid: str):
    if cid in SHARP:
        return sharp.sharp_chain(cid.removesuffix("-sharp"))
    return chains.chain(cid)


def _export(cid: str, minimal: bool = False) -> str:
    c = _chain(cid)
    return export_statement(catalogue.get(c.statement_id), c, minimal=minimal)


def _check(text: str, path: str = "p.toml"):
    return check_proof(parse_statement_text(text, path))


# --------------------------------------------------------------------------
# The catalogue's proofs, and their export
# --------------------------------------------------------------------------
HELPERS = [s for s in catalogue.PACK.ids if catalogue.get(s).helper]


@pytest.mark.parametrize("sid", chains.ids() + HELPERS)
def test_every_catalogue_file_proof_checks_and_proves_its_statement(sid):
    st = catalogue.get(sid)
    assert st.proof is not None
    out = check_proof(st)
    assert out.ok, out.message
    assert out.message.startswith("proved by the file's proof") and out.level == "symbolic"
    assert out.result.chain_id == sid and out.steps == len(chains.chain(sid).steps)


def test_the_helper_lemmas_are_the_shared_ones_and_the_sharp_chains():
    assert set(HELPERS) == {"E5-general", "E3-upper-R-A-x", *SHARP}
    assert all(h not in chains.ids() for h in HELPERS)


#: the export (every cited lemma inlined) re-checks from the file alone
ROUND_TRIP = ["E1", "E5", "S1", "S2-b", "P2", "P4", "Q1", "T1", "T3", "S3-bmat"]
ROUND_TRIP += ["P1-sharp", "T2-sharp"]


@pytest.mark.parametrize("cid", ROUND_TRIP)
def test_chains_round_trip_through_an_exported_statement_file(cid):
    original = _chain(cid).check()
    assert original.ok
    out = _check(_export(cid), f"{cid}.toml")
    assert out.ok, out.message
    assert out.message.startswith("proved by the file's proof")
    got = out.result.conclusion
    assert implies(got, original.conclusion) and implies(original.conclusion, got)
    assert out.steps == len(original.steps)


#: chains whose minimal forms use every inference: mean value (vector and scalar),
#: segment_norm, sup_monotone, simplex_identity, merged factors, decreasing contexts,
#: hypotheses at one of several occurrences, lemmas with substitutions
MINIMAL = ["S1", "E1", "E3", "E3-beta", "E4-nonnegative", "P3", "P1", "T3", "S3-sharp"]
MINIMAL += ["P1-sharp", "Q1-sharp"]


@pytest.mark.parametrize("cid", MINIMAL)
def test_chains_check_in_the_minimal_form(cid):
    """No old/new/at and no inferable rule arguments: the checker finds them."""
    text = _export(cid, minimal=True)
    main = text.split("\n[[lemma]]")[0]
    step_with_old = re.compile(
        r'^  \{ (?:le|eq|lt) = "(?:[^"\\]|\\.)*", by = "[^"]*", old = ', re.M
    )
    assert not step_with_old.search(main) and ', at = "' not in main
    out = _check(text, f"{cid}.toml")
    assert out.ok, out.message


# --------------------------------------------------------------------------
# Tampering: each single change is rejected at that step
# --------------------------------------------------------------------------
def _proof_lines(text: str) -> tuple[list[str], int]:
    lines = text.split("\n")
    first = lines.index("proof = [")
    return lines, first + 1  # lines[first + 1] is the start, then step 1, ...


_INT = re.compile(r"(?<![\w.])(\d+)(?![\w.])")


def _change_constant(line: str) -> str:
    m = re.match(r'(  \{ (?:le|eq|lt) = ")((?:[^"\\]|\\.)*)(".*)', line)
    assert m, line
    expr = m.group(2)
    if _INT.search(expr):
        new = _INT.sub(lambda g: str(int(g.group(1)) + 1), expr, count=1)
    else:
        new = f"2 * ({expr})"
    return m.group(1) + new + m.group(3)


def _change_rule(line: str) -> str:
    m = re.search(r'by = "([^"]*)"', line)
    assert m, line
    other = "cauchy_schwarz" if m.group(1) == "triangle" else "triangle"
    return line[: m.start(1)] + other + line[m.end(1) :]


def _tampered(text: str, k: int, how: str) -> str:
    lines, at = _proof_lines(text)
    i = at + k
    if how == "constant":
        lines[i] = _change_constant(lines[i])
    elif how == "rule":
        lines[i] = _change_rule(lines[i])
    else:
        del lines[i]
    return "\n".join(lines)


def _n_steps(text: str) -> int:
    lines, at = _proof_lines(text)
    return lines.index("]", at) - at - 1


#: every step of S1, P1-sharp and E5; of the long P1 and T3 chains the first, a middle
#: and the last step in the default run, every step with ``-m slow``
CASES = [
    pytest.param(
        cid,
        k,
        how,
        marks=() if cid not in ("P1", "T3") or k in (1, n // 2, n) else pytest.mark.slow,
    )
    for cid, n in (("S1", 5), ("P1-sharp", 9), ("P1", 12), ("E5", 1), ("T3", 11))
    for k in range(1, n + 1)
    for how in ("constant", "rule", "drop")
    if not (how == "drop" and k == n)
]


@pytest.mark.parametrize(("cid", "k", "how"), CASES)
def test_a_tampered_step_is_rejected_at_that_step(cid, k, how):
    text = _export(cid)
    assert _n_steps(text) == len(_chain(cid).steps)
    out = _check(_tampered(text, k, how))
    assert not out.ok
    assert out.failed_step == k, out.message
    assert out.message.startswith(f"proof rejected at step {k} ("), out.message


@pytest.mark.parametrize("cid", ["S1", "P1-sharp", "T3"])
def test_dropping_the_last_step_no_longer_proves_the_claim(cid):
    text = _export(cid)
    out = _check(_tampered(text, _n_steps(text), "drop"))
    assert not out.ok
    assert "the chain proves" in out.message


def test_a_dropped_discharge_leaves_an_assumption_on_the_bound_variable():
    text = _export("S1")
    lines, at = _proof_lines(text)
    step = next(i for i in range(at, at + 6) if "lemma E5-general" in lines[i])
    lines[step] = re.sub(r", discharge = \[.*\] \}", " }", lines[step])
    out = _check("\n".join(lines))
    assert not out.ok
    assert out.failed_step == step - at
    assert "bound variable" in out.message


def test_a_lemma_whose_chain_does_not_give_its_claim_is_rejected():
    text = _export("S1").replace('claim = "opnorm(diag(s) - (s @ s.T)) <= 1/2"', "X")
    text = text.replace("X", 'claim = "opnorm(diag(s) - (s @ s.T)) <= 1/4"')
    out = _check(text)
    assert not out.ok
    assert "lemma E5-general" in out.message and "claims" in out.message


def test_a_step_written_as_an_equality_that_the_rule_gives_as_an_inequality():
    text = _export("S1")
    lines, at = _proof_lines(text)
    lines[at + 3] = lines[at + 3].replace("{ le = ", "{ eq = ", 1)  # submultiplicative
    out = _check("\n".join(lines))
    assert not out.ok and out.failed_step == 3
    assert "written 'eq'" in out.message


# --------------------------------------------------------------------------
# Hand-written proofs in the contract's form
# --------------------------------------------------------------------------
S1_HAND = """\
id = "s1-hand"
title = "Softmax output is R/2-Lipschitz in x"
source = "ours (S1)"
sizes = { n = 5, d = 3 }
parameters = { R = 4 }
hypotheses = [
  "opnorm(A) <= R",
  "norm2(x) <= R",
  "norm2(y) <= R",
]
claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"
variables = { z = "vector d" }
proof = [
  { start = "norm2(f(x) - f(y))" },
  { le = "sup(opnorm(jac(f(z), z)), z, x, y) * norm2(x - y)", by = "mean_value" },
  { eq = "sup(opnorm((diag(f(z)) - outer(f(z), f(z))) @ A), z, x, y) * norm2(x - y)", \
by = "identity" },
  { le = "sup(opnorm(diag(f(z)) - outer(f(z), f(z))) * opnorm(A), z, x, y) * norm2(x - y)", \
by = "submultiplicative" },
  { le = "sup(opnorm(A) / 2, z, x, y) * norm2(x - y)", by = "lemma E5", subs = { x = "z" } },
  { eq = "opnorm(A) / 2 * norm2(x - y)", by = "sup_constant" },
  { le = "R / 2 * norm2(x - y)", by = "hypothesis" },
]
"""


def test_a_hand_written_s1_proof_in_the_minimal_form_checks():
    out = _check(S1_HAND)
    assert out.ok, out.message
    assert out.message == "proved by the file's proof, 6 steps, for every n, d"


@pytest.mark.parametrize(
    ("old", "new", "k", "word"),
    [
        ('{ le = "R / 2 * norm2', '{ le = "R / 4 * norm2', 6, "hypothesis"),
        (
            "sup(opnorm(A) / 2, z, x, y) * norm2(x - y)",
            "sup(opnorm(A) / 3, z, x, y) * norm2(x - y)",
            4,
            "lemma E5",
        ),
        ('by = "submultiplicative"', 'by = "triangle"', 3, "triangle"),
        ('subs = { x = "z" }', 'subs = { x = "y" }', 4, "lemma E5"),
    ],
)
def test_a_wrong_hand_written_step_is_rejected_with_its_number(old, new, k, word):
    assert old in S1_HAND
    out = _check(S1_HAND.replace(old, new, 1))
    assert not out.ok
    assert out.message.startswith(f"proof rejected at step {k} ({word}): "), out.message


def test_a_proof_of_a_weaker_claim_is_accepted_and_of_a_stronger_one_rejected():
    weaker = S1_HAND.replace(
        'claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"',
        'claim = "norm2(f(x) - f(y)) <= R * norm2(x - y)"',
    )
    assert _check(weaker).ok
    stronger = S1_HAND.replace(
        'claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"',
        'claim = "norm2(f(x) - f(y)) <= (R/3) * norm2(x - y)"',
    )
    out = _check(stronger)
    assert not out.ok and "the chain proves" in out.message


# --------------------------------------------------------------------------
# Bad proof tables: file:line, exit 2 (StatementFileError)
# --------------------------------------------------------------------------
def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "needle", "problem"),
    [
        (
            ', by = "submultiplicative" }',
            " }",
            "opnorm(diag(f(z)) - outer(f(z), f(z))) * opnorm",
            "missing 'by'",
        ),
        (
            '{ eq = "opnorm(A) / 2 * norm2(x - y)"',
            '{ eq = "opnorm(A) / 2 * norm2(x - y)", le = "R"',
            "opnorm(A) / 2 * norm2(x - y)",
            "exactly one of eq, le, lt",
        ),
        ('by = "sup_constant"', 'by = "sup_constnt"', "sup_constnt", "unknown rule 'sup_constnt'"),
        ('by = "lemma E5"', 'by = "lemma E55"', "lemma E55", "unknown lemma 'E55'"),
        (
            'by = "mean_value" }',
            'by = "mean_value", olde = "x" }',
            "mean_value",
            "unknown key 'olde'",
        ),
        (
            '{ le = "R / 2 * norm2(x - y)"',
            '{ le = "R / 2 * norm2(x - w)"',
            "norm2(x - w)",
            "unknown name 'w'",
        ),
        ('z = "vector d"', 'z = "vector q"', "vector q", "variable z"),
    ],
)
def test_bad_proof_tables_name_the_file_and_line(old, new, needle, problem):
    assert old in S1_HAND
    text = S1_HAND.replace(old, new, 1)
    with pytest.raises(StatementFileError) as info:
        parse_statement_text(text, "bad.toml")
    msg = str(info.value)
    assert problem in msg, msg
    assert msg.startswith(f"bad.toml:{_line_of(text, needle)}:"), msg


def test_a_proof_needs_a_start_and_a_step():
    head = S1_HAND.split("proof = [")[0]
    with pytest.raises(StatementFileError, match="starts with"):
        parse_statement_text(head + 'proof = [ { le = "R", by = "hypothesis" } ]\n', "b.toml")
    with pytest.raises(StatementFileError, match="a step after its start"):
        parse_statement_text(head + 'proof = [ { start = "R" } ]\n', "b.toml")


def test_lemma_tables_need_a_proof_and_no_cycles():
    lemma = '\n[[lemma]]\nid = "L"\nproof = [ { start = "R" }, { le = "R", by = "lemma L" } ]\n'
    with pytest.raises(StatementFileError, match="cites itself"):
        parse_statement_text(S1_HAND + lemma, "b.toml")
    no_proof = S1_HAND.split("proof = [")[0] + '\n[[lemma]]\nid = "L"\n'
    with pytest.raises(StatementFileError, match="need a 'proof'"):
        parse_statement_text(no_proof, "b.toml")


def test_rule_arguments_it_does_not_take_reject_the_step():
    text = S1_HAND.replace('by = "sup_constant" }', 'by = "sup_constant", args = { p = "x" } }')
    out = _check(text)
    assert not out.ok and out.failed_step == 5
    assert "takes no argument 'p'" in out.message


def test_a_hypothesis_the_statement_does_not_have_is_rejected_at_its_step():
    text = S1_HAND.replace('  "opnorm(A) <= R",\n', "")
    text = text.replace(
        '{ le = "R / 2 * norm2(x - y)", by = "hypothesis" }',
        '{ le = "R / 2 * norm2(x - y)", by = "hypothesis", old = "opnorm(A)", new = "R" }',
    )
    out = _check(text)
    assert not out.ok and out.failed_step == 6
    assert "is not a hypothesis" in out.message


@pytest.mark.parametrize(
    "claim",
    [
        "sup(norm2(z), z, x, y) <= R",  # a supremum: for proofs only
        "norm2(z) <= R",  # a declared variable, free
    ],
)
def test_declared_variables_and_sups_stay_out_of_the_claim(claim):
    text = S1_HAND.replace(
        'claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"', f'claim = "{claim}"'
    )
    with pytest.raises(StatementFileError, match="may be used in a proof"):
        parse_statement_text(text, "b.toml")


def test_hole_is_a_name_only_in_a_context():
    text = S1_HAND.replace('{ eq = "opnorm(A) / 2 * norm2(x - y)"', '{ eq = "HOLE * norm2(x - y)"')
    with pytest.raises(StatementFileError, match="unknown name 'HOLE'"):
        parse_statement_text(text, "b.toml")


def test_a_bad_step_is_located_at_its_own_table_even_when_its_text_repeats():
    last = '{ le = "R / 2 * norm2(x - y)", by = "hypothesis" }'
    text = S1_HAND.replace(last, last + ',\n  { lt = "R", by = "hypothesis", eq = "R" }')
    assert text != S1_HAND
    with pytest.raises(StatementFileError) as info:
        parse_statement_text(text, "b.toml")
    line = text.count("\n", 0, text.index('{ lt = "R"')) + 1
    assert str(info.value).startswith(f"b.toml:{line}:"), str(info.value)


def test_a_bad_lemma_step_is_located_in_its_lemma():
    text = _export("S1").replace('by = "sup_certificate"', 'by = "sup_certifcate"')
    with pytest.raises(StatementFileError) as info:
        parse_statement_text(text, "b.toml")
    line = text.count("\n", 0, text.index("sup_certifcate")) + 1
    assert str(info.value).startswith(f"b.toml:{line}:")
    assert "lemma E5-general, step 2" in str(info.value)


DECREASING = """\
id = "exp-decreasing"
parameters = { R = 4 }
hypotheses = ["opnorm(A) <= R"]
claim = "exp(-opnorm(A)) <= exp(-R)"
proof = [
  { start = "exp(-opnorm(A))" },
  { le = "exp(-R)", by = "hypothesis" },
]
"""


def test_a_rewrite_in_a_decreasing_context_is_rejected():
    """exp(-||A||) <= exp(-R) does not follow from ||A|| <= R (it is the other way round)."""
    out = _check(DECREASING)
    assert not out.ok and out.failed_step == 1
    at = DECREASING.replace(
        'by = "hypothesis" }',
        'by = "hypothesis", old = "opnorm(A)", new = "R", at = "exp(-HOLE)" }',
    )
    out = _check(at)
    assert not out.ok and out.failed_step == 1
    assert "the context is not nondecreasing there" in out.message


def test_the_true_direction_checks_and_a_strict_step_needs_a_strict_reason():
    true = (
        DECREASING.replace("exp(-opnorm(A)) <= exp(-R)", "exp(-R) <= exp(-opnorm(A))")
        .replace('{ start = "exp(-opnorm(A))" }', '{ start = "exp(-R)" }')
        .replace('{ le = "exp(-R)"', '{ le = "exp(-opnorm(A))"')
    )
    assert _check(true).ok
    strict = true.replace('{ le = "exp(-opnorm(A))"', '{ lt = "exp(-opnorm(A))"')
    out = _check(strict)
    assert not out.ok and out.failed_step == 1 and "written 'lt'" in out.message


# --------------------------------------------------------------------------
# lemma ID: the file's [[lemma]], then its pack's statements, then the catalogue's
# --------------------------------------------------------------------------
E5_STEP = (
    '  { le = "1/2", by = "lemma E5-general", subs = { s = "f(A, x)" }, discharge = ['
    '{ by = "softmax_simplex", old = "norm1(f(A, x))", new = "1" }, '
    '{ by = "softmax_simplex", old = "dot(f(A, x), ones(n))", new = "1" }] },'
)
E5_FILE = f"""
id = "my-e5"
claim = "opnorm(diag(f(x)) - outer(f(x), f(x))) <= 1/2"
proof = [
  {{ start = "opnorm(diag(f(A, x)) - (f(A, x) @ f(A, x).T))" }},
{E5_STEP}
]
"""

FALSE_E5_GENERAL = """
[[lemma]]
id = "E5-general"
claim = "opnorm(diag(s) - (s @ s.T)) <= 1/4"
hypotheses = ["norm1(s) == 1", "dot(s, ones(n)) == 1"]
variables = { s = "vector n", sigma = "scalar" }
proof = [
  { start = "opnorm(diag(s) - (s @ s.T))" },
  { le = "sup(2 * sigma * (1 - sigma), sigma, 0, 1)", by = "gershgorin" },
  { le = "1/4", by = "sup_certificate", args = { certificate = "2 * (sigma - (1/2))**2" } },
]
"""


def test_a_user_file_cites_a_helper_lemma_of_the_catalogue(tmp_path):
    path = tmp_path / "my-e5.toml"
    path.write_text(E5_FILE)
    from softproof.derivations.statement_files import load_statement

    out = check_proof(load_statement(path))
    assert out.ok, out.message
    cited = out.result.steps[0].step.why.chain
    assert cited is chains.chain("E5-general") and cited is chains.e5_general()


def test_the_files_own_lemma_comes_before_the_catalogues():
    """A [[lemma]] named like a catalogue statement is the one cited: here a false one."""
    out = _check(E5_FILE + FALSE_E5_GENERAL)
    assert not out.ok and "lemma E5-general" in out.message and "SOS" in out.message


def test_an_unknown_lemma_names_the_catalogues_helpers():
    with pytest.raises(StatementFileError, match="unknown lemma 'E5-generic'.*E5-general"):
        parse_statement_text(E5_FILE.replace("lemma E5-general", "lemma E5-generic"))


def test_a_lazily_read_proof_reports_a_bad_table_with_file_and_line_when_used():
    """The catalogue's files read their proof tables on first use: a bad one is still
    a file error naming the line, raised then."""
    bad = E5_FILE.replace('by = "lemma E5-general"', 'by = "no_such_rule"')
    st = parse_statement_text(bad, "lazy.toml", lazy_proof=True)  # nothing read yet
    assert st.proof._resolved is None
    with pytest.raises(StatementFileError, match=r"lazy\.toml:6:.*unknown rule 'no_such_rule'"):
        _ = st.proof.chain
    with pytest.raises(StatementFileError, match=r"lazy\.toml:6:.*unknown rule"):
        parse_statement_text(bad, "lazy.toml")  # read at once otherwise
    good = parse_statement_text(E5_FILE, "lazy.toml", lazy_proof=True)
    assert check_proof(good).ok


# --------------------------------------------------------------------------
# A step must be defined wherever the one before it is
# --------------------------------------------------------------------------
DOMAIN_TRICK = """\
id = "domain-trick"
claim = "10**-40 - (t - 1/3)**2 <= 0"
proof = [
  { start = "10**-40 - (t - 1/3)**2" },
  { eq = "-norm2(sqrt((t - 1/3)**2 - 10**-40) * ones(1))**2", by = "identity" },
  { le = "0", by = "nonneg_combination" },
]
"""

ANY_CLAIM = """\
id = "any-claim"
sizes = { d = 3 }
claim = "norm_inf(softmax(x) - softmax(y)) <= 0.4999 * norm_inf(x - y)"
proof = [
  { start = "norm_inf(softmax(x) - softmax(y))" },
  { eq = "0.4999 * norm_inf(x - y) - norm2(sqrt(0.4999 * norm_inf(x - y) - SMX) * ones(1))**2", \
by = "identity" },
  { le = "0.4999 * norm_inf(x - y)", by = "nonneg_combination" },
]
"""


ANY_CLAIM = ANY_CLAIM.replace("SMX", "norm_inf(softmax(x) - softmax(y))")


@pytest.mark.parametrize("text", [DOMAIN_TRICK, ANY_CLAIM], ids=["kink", "any-claim"])
def test_an_identity_that_holds_only_where_its_root_is_real_is_no_step(text):
    """Both claims are false; each 'proof' rewrites the expression into one that is
    defined only where the claim holds (x == a - (sqrt(a - x))^2 needs x <= a)."""
    out = _check(text)
    assert not out.ok and out.failed_step == 1
    assert "which the previous one does not" in out.message
