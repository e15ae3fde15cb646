"""The ``awal`` command's contracts, through the real installed console script.

Text commands read stdin and write stdout, UTF-8, one output line per input line; bad
input (unknown language, invalid UTF-8, missing or mismatched files) exits 2 with a
message on stderr that says what and where.
"""

from __future__ import annotations

import json

import pytest

KNOWN_CODES = ("ary", "kab", "rif", "shi", "tzm", "zgh")
PROFILES = ("scoring", "scoring-leaderboard", "tts", "display")


def lines_of(stdout: str) -> list[str]:
    """Output lines as awal writes them: every line ends with a newline."""
    assert stdout == "" or stdout.endswith("\n"), f"output does not end with a newline: {stdout!r}"
    return stdout.split("\n")[:-1] if stdout else []


# --- awal text normalize ---------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("lang", ["ary", "kab", "zgh"])
def test_normalize_keeps_one_line_per_input_line(run_awal, lang, profile):
    # Blank lines in the middle, whitespace-only lines, CRLF, and a last line without a
    # trailing newline: 7 input lines.
    text = "Salam, 3lach?\r\n\r\nⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ\n   \n\nمَرْحَبًا 250 درهم\r\nεγ ḥ 12"
    result = run_awal("text", "normalize", "--lang", lang, "--profile", profile, input=text)
    assert result.returncode == 0, result.stderr
    out = lines_of(result.stdout)
    assert len(out) == 7, out
    assert out[1] == "" and out[4] == "", out  # blank lines stay blank, in place
    assert "\r" not in result.stdout


def test_normalize_display_kabyle_greek_lookalikes(run_awal):
    # Greek epsilon and gamma typed for Kabyle ɛ and ɣ.
    result = run_awal("text", "normalize", "--lang", "kab", "--profile", "display", input="εγ\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["ɛɣ"]


def test_normalize_scoring_keeps_tifinagh_labialization_mark(run_awal):
    result = run_awal("text", "normalize", "--lang", "zgh", "--profile", "scoring", input="ⴰⴳⵯⵔⵔⴰⵡ\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["ⴰⴳⵯⵔⵔⴰⵡ"]
    assert "\u2d6f" in result.stdout  # never NFKC-folded into ⵡ


def test_normalize_scoring_removes_arabic_harakat(run_awal):
    result = run_awal("text", "normalize", "--lang", "ary", input="مَرْحَبًا بِكُمْ\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["مرحبا بكم"]


def test_normalize_leaderboard_folds_darija_letters_scoring_keeps_them(run_awal):
    leaderboard = run_awal("text", "normalize", "--lang", "ary", "--profile", "scoring-leaderboard", input="پاپا\n")
    scoring = run_awal("text", "normalize", "--lang", "ary", "--profile", "scoring", input="پاپا\n")
    assert leaderboard.returncode == 0 and scoring.returncode == 0
    assert lines_of(leaderboard.stdout) == ["بابا"]
    assert lines_of(scoring.stdout) == ["پاپا"]


def test_normalize_tts_spells_out_money(run_awal):
    result = run_awal("text", "normalize", "--lang", "ary", "--profile", "tts", input="250 درهم\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["ميتين و خمسين درهم"]


def test_normalize_default_profile_is_scoring(run_awal):
    text = "مَرْحَبًا، پاپا!\n"
    default = run_awal("text", "normalize", "--lang", "ary", input=text)
    scoring = run_awal("text", "normalize", "--lang", "ary", "--profile", "scoring", input=text)
    assert default.returncode == 0
    assert default.stdout == scoring.stdout


def test_normalize_rejects_unknown_profile(run_awal):
    result = run_awal("text", "normalize", "--lang", "ary", "--profile", "nope", input="x\n")
    assert result.returncode == 2
    assert "scoring-leaderboard" in result.stderr  # the choices are listed


# --- awal text translit ----------------------------------------------------------------


def test_translit_tifinagh_to_latin_and_back(run_awal):
    to_latn = run_awal("text", "translit", "--lang", "zgh", "--to", "latn", input="ⴰⴳⵯⵔⵔⴰⵡ\n")
    assert to_latn.returncode == 0, to_latn.stderr
    assert lines_of(to_latn.stdout) == ["agʷrraw"]
    back = run_awal("text", "translit", "--lang", "zgh", "--to", "tfng", input=to_latn.stdout)
    assert back.returncode == 0, back.stderr
    assert lines_of(back.stdout) == ["ⴰⴳⵯⵔⵔⴰⵡ"]


def test_translit_target_script_is_case_insensitive(run_awal):
    result = run_awal("text", "translit", "--lang", "zgh", "--to", "LATN", input="ⴰⵣⵓⵍ\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["azul"]


def test_translit_arabizi_to_arabic(run_awal):
    result = run_awal("text", "translit", "--lang", "ary", "--to", "arab", input="3lach\n")
    assert result.returncode == 0, result.stderr
    assert lines_of(result.stdout) == ["علاش"]


@pytest.mark.parametrize(
    "text", ["بغيت rendez-vous\n", "بغيت ناخد rendez-vous مع الطبيب\n"], ids=["one-arabic-word", "sentence"]
)
def test_translit_french_word_in_arabic_script_darija_passes_through(run_awal, text):
    result = run_awal("text", "translit", "--lang", "ary", "--to", "arab", input=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout == text


def test_translit_unsupported_target_script_is_usage_error(run_awal):
    result = run_awal("text", "translit", "--lang", "ary", "--to", "tfng", input="salam\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "tfng" in result.stderr
    assert "arab" in result.stderr and "latn" in result.stderr  # the supported scripts


def test_translit_lexicon_overrides_rules(run_awal, tmp_path):
    rules = run_awal("text", "translit", "--lang", "ary", "--to", "arab", input="salam 3lach\n")
    assert rules.returncode == 0, rules.stderr
    assert lines_of(rules.stdout) == ["سالام علاش"]

    lexicon = tmp_path / "pairs.tsv"
    lexicon.write_text("# arabizi\tarabic\nsalam\tسلام\n", encoding="utf-8")
    result = run_awal(
        "text", "translit", "--lang", "ary", "--to", "arab", "--lexicon", lexicon, input="salam 3lach\nSalam!\n"
    )
    assert result.returncode == 0, result.stderr
    # The lexicon word wins (also in sentence case, with its punctuation); others follow the rules.
    assert lines_of(result.stdout) == ["سلام علاش", "سلام!"]


@pytest.mark.parametrize(
    ("lang", "to"), [("ary", "arab"), ("ary", "latn"), ("zgh", "latn"), ("zgh", "tfng"), ("kab", "tfng")]
)
def test_translit_keeps_one_line_per_input_line(run_awal, lang, to):
    text = "salam 3lach\r\n\r\nⴰⵣⵓⵍ\n\nواش نتا مزيان\n   \nazul"
    result = run_awal("text", "translit", "--lang", lang, "--to", to, input=text)
    assert result.returncode == 0, result.stderr
    out = lines_of(result.stdout)
    assert len(out) == 7, out
    assert out[1] == "" and out[3] == "", out
    assert "\r" not in result.stdout


# --- awal score -------------------------------------------------------------------------


def write(path, text: str | bytes):
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def test_score_hand_computed_example(run_awal, tmp_path):
    ref = write(tmp_path / "ref.txt", "a b c d\n")
    hyp = write(tmp_path / "hyp.txt", "a x c\n")
    result = run_awal("score", "--lang", "kab", "--ref", ref, "--hyp", hyp)
    assert result.returncode == 0, result.stderr
    assert len(lines_of(result.stdout)) == 1  # ONE JSON object
    report = json.loads(result.stdout)
    assert report["ref_words"] == 4
    assert report["substitutions"] == 1
    assert report["deletions"] == 1
    assert report["insertions"] == 0
    assert report["wer"] == pytest.approx(0.5)
    # Characters (spaces included): "a b c d" -> "a x c" is 1 substitution + 2 deletions of 7.
    assert report["cer"] == pytest.approx(3 / 7, abs=1e-5)


def test_score_sums_over_lines_and_normalizes_with_profile(run_awal, tmp_path):
    # Line 2 differs from its reference only in harakat and punctuation: no errors after
    # scoring normalization. Line 1 has one inserted word.
    ref = write(tmp_path / "ref.txt", "واش نتا مزيان\nمرحبا بكم\n")
    hyp = write(tmp_path / "hyp.txt", "واش نتا غير مزيان\nمَرْحَبًا، بِكُمْ!\n")
    result = run_awal("score", "--lang", "ary", "--ref", ref, "--hyp", hyp, "--profile", "scoring")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["ref_words"], report["substitutions"], report["insertions"], report["deletions"]) == (5, 0, 1, 0)
    assert report["wer"] == pytest.approx(1 / 5)


def test_score_details_one_json_line_per_input_line(run_awal, tmp_path):
    ref = write(tmp_path / "ref.txt", "a b c d\nazul\n")
    hyp = write(tmp_path / "hyp.txt", "a x c\nazul fellawen\n")
    details = tmp_path / "errors.jsonl"
    result = run_awal("score", "--lang", "kab", "--ref", ref, "--hyp", hyp, "--details", details)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    first, second = rows
    assert first["ref"] == "a b c d" and first["hyp"] == "a x c"
    ops = [(a["op"], a["ref"], a["hyp"]) for a in first["alignment"]]
    assert ops == [("equal", "a", "a"), ("substitute", "b", "x"), ("equal", "c", "c"), ("delete", "d", None)]
    assert [a["op"] for a in second["alignment"]] == ["equal", "insert"]
    assert second["alignment"][1]["hyp"] == "fellawen"
    assert json.loads(result.stdout)["insertions"] == 1


def test_score_different_line_counts_is_usage_error(run_awal, tmp_path):
    ref = write(tmp_path / "ref.txt", "a b\nc d\n")
    hyp = write(tmp_path / "hyp.txt", "a b\n")
    result = run_awal("score", "--lang", "kab", "--ref", ref, "--hyp", hyp)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "2" in result.stderr and "1" in result.stderr and "lines" in result.stderr


def test_score_missing_file_is_usage_error_naming_it(run_awal, tmp_path):
    hyp = write(tmp_path / "hyp.txt", "a\n")
    missing = tmp_path / "no-such-ref.txt"
    result = run_awal("score", "--lang", "kab", "--ref", missing, "--hyp", hyp)
    assert result.returncode == 2
    assert "no-such-ref.txt" in result.stderr
    assert "Traceback" not in result.stderr


# --- bad input --------------------------------------------------------------------------

BAD_LINE_3 = "salam\nazul\n".encode("utf-8") + b"caf\xe9 \xff\n" + "bghit\n".encode("utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ("text", "normalize", "--lang", "ary"),
        ("text", "normalize", "--lang", "kab", "--profile", "display"),
        ("text", "translit", "--lang", "ary", "--to", "arab"),
        ("text", "translit", "--lang", "zgh", "--to", "tfng"),
    ],
    ids=["normalize", "normalize-display", "translit-ary", "translit-zgh"],
)
def test_invalid_utf8_line_is_reported_with_its_number(run_awal, args):
    result = run_awal(*args, input=BAD_LINE_3)
    assert result.returncode == 2
    assert "line 3" in result.stderr
    assert "UTF-8" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines_of(result.stdout)) <= 2  # nothing written for the bad line or after it


@pytest.mark.parametrize("which", ["--ref", "--hyp"])
def test_score_invalid_utf8_line_is_reported_with_file_and_line(run_awal, tmp_path, which):
    good = write(tmp_path / "good.txt", "salam\nazul\nxx\nbghit\n")
    bad = write(tmp_path / "bad.txt", BAD_LINE_3)
    files = {"--ref": good, "--hyp": good, which: bad}
    result = run_awal("score", "--lang", "ary", "--ref", files["--ref"], "--hyp", files["--hyp"])
    assert result.returncode == 2
    assert "bad.txt" in result.stderr
    assert "line 3" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("text", "normalize", "--lang", "xx"),
        ("text", "translit", "--lang", "xx", "--to", "latn"),
    ],
    ids=["normalize", "translit"],
)
def test_unknown_language_lists_known_codes(run_awal, args):
    result = run_awal(*args, input="salam\n")
    assert result.returncode == 2
    assert "xx" in result.stderr
    for code in KNOWN_CODES:
        assert code in result.stderr
    assert result.stdout == ""


def test_score_unknown_language_lists_known_codes(run_awal, tmp_path):
    ref = write(tmp_path / "ref.txt", "a\n")
    result = run_awal("score", "--lang", "xx", "--ref", ref, "--hyp", ref)
    assert result.returncode == 2
    for code in KNOWN_CODES:
        assert code in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("text", "normalize", "--lang", "ary", "--profile", "tts"),
        ("text", "translit", "--lang", "ary", "--to", "latn"),
    ],
    ids=["normalize", "translit"],
)
def test_empty_input_gives_empty_output(run_awal, args):
    result = run_awal(*args, input=b"")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_score_empty_files_is_not_an_error(run_awal, tmp_path):
    empty = write(tmp_path / "empty.txt", b"")
    result = run_awal("score", "--lang", "ary", "--ref", empty, "--hyp", empty)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ref_words"] == 0
    assert report["substitutions"] == report["insertions"] == report["deletions"] == 0


# --- top level --------------------------------------------------------------------------


def test_help_lists_subcommands(run_awal):
    result = run_awal("--help")
    assert result.returncode == 0
    for command in ("languages", "text", "score"):
        assert command in result.stdout


def test_text_help_lists_tools(run_awal):
    result = run_awal("text", "--help")
    assert result.returncode == 0
    assert "normalize" in result.stdout and "translit" in result.stdout


def test_version(run_awal):
    from awal import __version__

    result = run_awal("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"awal {__version__}"


def test_no_arguments_prints_help_and_exits_2(run_awal):
    result = run_awal()
    assert result.returncode == 2
    assert "usage: awal" in result.stdout + result.stderr
    assert "score" in result.stdout + result.stderr


def test_languages_lists_all_codes(run_awal):
    result = run_awal("languages")
    assert result.returncode == 0, result.stderr
    codes = [line.split("\t")[0] for line in lines_of(result.stdout)]
    assert sorted(codes) == sorted(KNOWN_CODES)
