"""Statement packs (softproof.derivations.packs), ``report --pack`` and ``list --pack``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from softproof.cli import main
from softproof.derivations.packs import (
    BUILTIN_DIR,
    DEFAULT_PACK,
    PackError,
    builtin_names,
    builtin_pack,
    find_pack,
    open_pack,
)
from softproof.derivations.statement_files import StatementFileError, parse_statement_text
from softproof.numeric.search import check

NAIR = "2510.23012"
GAO = "2305.00660"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_pack_loads(name):
    pack = builtin_pack(name)
    assert pack.name == name and pack.title and pack.paper
    statements = pack.statements()
    assert [s.id for s in statements] == list(pack.ids) and statements
    for s in statements:
        assert s.expected is not None, s.id  # a pack says what it believes
        if s.mutant_of:
            assert s.expected is False and s.mutant_of in pack.ids
            assert pack.get(s.mutant_of).expected is True
    assert builtin_pack(name) is pack  # one object per name: files parse once


def test_builtin_names_and_the_default():
    assert builtin_names() == sorted([DEFAULT_PACK, NAIR, GAO])
    assert builtin_pack().is_default and not builtin_pack(NAIR).is_default
    assert builtin_pack() is builtin_pack(DEFAULT_PACK) is find_pack(DEFAULT_PACK)
    assert find_pack(NAIR) is builtin_pack(NAIR)


def test_nair_pack_marks_quoted_and_reconstructed():
    pack = builtin_pack(NAIR)
    for s in pack.statements():
        text = s.source + " " + s.notes
        assert ("Quoted" in text) != s.id.endswith("-m099"), s.id
        if s.mutant_of:
            assert "Reconstructed" in s.notes and s.sizes["d"] == 2


@pytest.mark.parametrize("sid", ["l1-m099", "linf-m099", "l2-m099"])
def test_nair_mutants_are_violated_with_a_confirmed_witness(sid):
    res = check(builtin_pack(NAIR).get(sid), budget_seconds=10, progress=False)
    assert res.verdict == "violated"
    assert res.confirmation is not None and res.confirmation.confirmed


@pytest.mark.parametrize("sid", ["l1", "linf", "l2"])
def test_nair_statements_hold_as_far_as_searched(sid):
    res = check(builtin_pack(NAIR).get(sid), budget_seconds=0.5, progress=False)
    assert res.verdict in ("searched", "proved")
    assert res.worst_ratio is not None and 0.9 < res.worst_ratio <= 1.0  # the 1/2 is sharp


def test_report_pack_nair(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["report", "--pack", NAIR, "--out", str(out), "--budget", "0.3", "--no-progress"])
    assert code == 0, capsys.readouterr()
    doc = json.loads((out / "report.json").read_text())
    verdicts = {e["id"]: e["verdict"] for e in doc["entries"]}
    assert list(verdicts) == list(builtin_pack(NAIR).ids)
    assert all(v == "violated" for k, v in verdicts.items() if k.endswith("-m099"))
    assert all(v != "violated" for k, v in verdicts.items() if not k.endswith("-m099"))
    assert doc["pack"]["name"] == NAIR and doc["pack"]["default"] is False
    assert doc["certifications"] == [] and doc["constants"] == [] and doc["plots"] == {}
    md = (out / "report.md").read_text()
    assert md.startswith("# softproof report: Nair") and "arXiv:2510.23012" in md
    assert "## Entries" in md and "## Constants" not in md and "## Plots" not in md
    assert "\\Vert x - y\\Vert _1" in md  # the claims in the paper's notation
    assert not (out / "derivation.tex").exists() and not (out / "plots").exists()
    for e in doc["entries"]:
        if e["witness_file"]:
            assert json.loads((out / e["witness_file"]).read_text())["statement"] == e["id"]
    if (out / "report.tex").exists():
        tex = (out / "report.tex").read_text()
        assert "Machine-checked statements of arXiv:2510.23012" in tex
        assert "\\section{The statements}" in tex and "2304.13276" not in tex


def test_report_pack_gao_song_yin(tmp_path, capsys):
    """Honest verdicts: every gradient identity proved for symbolic n, d, every seeded
    mutant violated with a confirmed witness, the Lipschitz bounds of u proved by the
    proofs ``softproof bound`` derived (and the derived bound of the normalised f), the
    sharper 1/2 of the normalised f only searched."""
    out = tmp_path / "rep"
    args = ["report", "--pack", GAO, "--out", str(out), "--budget", "1", "--no-progress"]
    assert main(args) == 0, capsys.readouterr()
    doc = json.loads((out / "report.json").read_text())
    verdicts = {e["id"]: e for e in doc["entries"]}
    assert list(verdicts) == list(builtin_pack(GAO).ids)
    for sid, e in verdicts.items():
        if e["expected"] is False:
            assert e["verdict"] == "violated" and e["witness_file"], sid
        elif sid.endswith("gradient"):
            assert e["verdict"] == "proved" and "symbolic n, d" in e["evidence"], sid
        elif sid == "cosh-normalised-lipschitz":
            assert e["verdict"] == "searched", sid
        else:
            assert e["verdict"] == "proved" and "file's proof" in e["evidence"], (sid, e)
    # for sinh the sum can vanish: the normalised file keeps alpha away from 0
    sinh = builtin_pack(GAO).get("sinh-normalised-gradient")
    assert sinh.hypotheses_text == ("abs(alpha(x)) >= 1/2",)


def test_unknown_pack_is_bad_input_naming_the_known_packs(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", "--pack", "no-such-pack", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown pack 'no-such-pack'" in err and DEFAULT_PACK in err and NAIR in err
    assert not out.exists()
    assert main(["list", "--pack", "no-such-pack"]) == 2
    assert "built-in packs" in capsys.readouterr().err


def test_list_pack(capsys):
    assert main(["list", "--pack", NAIR]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == list(builtin_pack(NAIR).ids)
    assert main(["list", "--pack", NAIR, "--json", "*-m099"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["id"] for d in data} == {"l1-m099", "linf-m099", "l2-m099"}
    assert all(d["mutant_of"] and d["expected"] is False for d in data)
    assert main(["list", "--pack", NAIR, "S1"]) == 2
    assert "no statement in pack 2510.23012 'S1'" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Folder packs and what a pack may not be
# --------------------------------------------------------------------------
TRUE_S1 = """id = "S1"
expected = true
claim = "norm2(f(x) - f(y)) <= opnorm(A)/2*norm2(x - y)"
"""


def test_a_folder_without_pack_toml_is_a_pack(tmp_path, capsys):
    folder = tmp_path / "mine"
    _write(folder, "b-one.toml", 'id = "b-one"\nexpected = true\nclaim = "norm1(f(x)) <= 1"\n')
    _write(folder, "a-two.toml", 'id = "a-two"\nexpected = true\nclaim = "norm2(f(x)) <= 1"\n')
    pack = find_pack(str(folder))
    assert pack.ids == ("a-two", "b-one") and pack.name == "mine" and not pack.is_default
    assert main(["list", "--pack", str(folder)]) == 0
    assert capsys.readouterr().out.split()[0] == "a-two"


def test_a_chain_proves_another_packs_statement_only_if_it_checks_against_it(tmp_path, capsys):
    """A statement S1 outside the catalogue with S1's claim is proved by the S1 chain
    (checked against it, LaTeX linked); a false S1 there (constant 0.4) is not: the
    chain's conclusion does not give it, and the search violates it."""
    verdicts = {}
    for name, text in (
        ("same", TRUE_S1),
        ("false", TRUE_S1.replace("true", "false").replace("opnorm(A)/2", "0.4*opnorm(A)")),
    ):
        folder = tmp_path / name
        _write(folder, "S1.toml", text + ("sizes = { n = 2, d = 2 }\n" if name == "false" else ""))
        out = tmp_path / f"rep-{name}"
        args = ["report", "--pack", str(folder), "--out", str(out), "--budget", "1"]
        assert main([*args, "--no-progress"]) == 0, capsys.readouterr()
        (entry,) = json.loads((out / "report.json").read_text())["entries"]
        verdicts[name] = entry["verdict"]
        if name == "same":
            assert "machine-checked chain" in entry["evidence"] and entry["chain_file"]
        else:
            assert "machine-checked chain" not in entry["evidence"]
    assert verdicts == {"same": "proved", "false": "violated"}


def test_helper_lemmas_are_not_rows(tmp_path):
    folder = tmp_path / "lem"
    _write(folder, "main.toml", 'id = "main"\nexpected = true\nclaim = "norm2(f(x)) <= 1"\n')
    _write(
        folder,
        "helper.toml",
        'id = "helper"\nhelper = true\nexpected = true\nclaim = "norm1(f(x)) == 1"\n',
    )
    pack = open_pack(folder)
    assert [s.id for s in pack.statements()] == ["helper", "main"]
    assert [s.id for s in pack.rows()] == ["main"] and pack.get("helper").helper


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"pack.toml": 'statements = ["a"]\n'}, "no statement file for a"),
        ({"pack.toml": 'statements = ["a", "a"]\n', "a.toml": TRUE_S1}, "more than once: a"),
        ({"pack.toml": "statements = []\n", "a.toml": TRUE_S1}, "not listed in 'statements': a"),
        ({"pack.toml": 'colour = "red"\n'}, "unknown key 'colour'"),
        ({"pack.toml": "statements = [1]\n"}, "a list of statement ids"),
        ({"pack.toml": 'statements = ["a_b"]\n'}, "not a statement id"),
        ({"pack.toml": 'name = "x"\nstatements = [\n'}, "cannot read the pack description"),
        ({"pack.toml": 'aliases = { "X" = "nope" }\n'}, "'aliases' must map"),
    ],
)
def test_bad_pack_descriptions_are_refused(tmp_path, files, problem):
    folder = tmp_path / "bad"
    for name, text in files.items():
        _write(folder, name, text)
    with pytest.raises(PackError, match=problem):
        open_pack(folder)


def test_statement_file_must_fit_its_pack(tmp_path, capsys):
    folder = tmp_path / "fit"
    _write(folder, "S2.toml", TRUE_S1)  # the file says id S1
    with pytest.raises(PackError, match="the id 'S1' differs from the file name 'S2'"):
        open_pack(folder).statements()
    mutant = TRUE_S1.replace("true", "false") + 'mutant-of = "nothing"\n'
    _write(tmp_path / "ref", "S1.toml", mutant)
    with pytest.raises(PackError, match="mutant-of 'nothing' is not a statement of pack ref"):
        open_pack(tmp_path / "ref").statements()
    # through the command line: exit 2 naming the file
    assert main(["report", "--pack", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "S2.toml" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_an_empty_folder_or_a_file_is_not_a_pack(tmp_path):
    with pytest.raises(PackError, match="no statement files"):
        open_pack(tmp_path)
    with pytest.raises(PackError, match="not a folder"):
        open_pack(tmp_path / "missing")


# --------------------------------------------------------------------------
# The metadata keys of statement files
# --------------------------------------------------------------------------
def test_metadata_keys_are_read():
    text = 'id = "G5-m-x"\nkind = "identity"\nmutant-of = "G5"\npart-of = "G5"\nexpected = false\n'
    s = parse_statement_text(text + 'claim = "f(x) == softmax(A @ x)"\n')
    assert (s.kind, s.mutant_of, s.part_of, s.expected, s.helper) == (
        "identity",
        "G5",
        "G5",
        False,
        False,
    )
    d = parse_statement_text('id = "D1"\nkind = "definition"\nclaim = "u(x) == exp(A @ x)"\n')
    assert d.kind == "definition"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('kind = "definition"', "'kind' must be 'inequality' for a claim with '<='"),
        ('kind = "identity"', "'kind' must be 'inequality'"),
        ('kind = "lemma"', "'kind' must be"),
        ("mutant-of = 3", "'mutant-of' must be a string"),
        ('part-of = "a b"', "'part-of' must be a statement id"),
        ('helper = "yes"', "'helper' must be true or false"),
        ('id = "a_b"', "must match [A-Za-z0-9-]+"),
    ],
)
def test_bad_metadata_is_refused_with_its_line(line, problem):
    text = f'claim = "norm2(f(x)) <= 1"\n{line}\n'
    if not line.startswith("id"):
        text = 'id = "m"\n' + text
    with pytest.raises(StatementFileError, match=re.escape(problem)) as info:
        parse_statement_text(text, "m.toml")
    assert str(info.value).startswith("m.toml:")
    assert info.value.line == text.splitlines().index(line) + 1


def test_a_pack_copied_elsewhere_is_not_the_default(tmp_path):
    folder = tmp_path / DEFAULT_PACK
    shutil.copytree(BUILTIN_DIR / DEFAULT_PACK, folder)
    pack = open_pack(folder)
    assert pack.name == DEFAULT_PACK and not pack.is_default  # no catalogue-only sections
    assert len(pack.rows()) == 58 and len(pack.statements()) == 66  # 8 helper lemmas
