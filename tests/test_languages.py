"""The language registry."""

from __future__ import annotations

import pytest

from awal.errors import InputError
from awal.languages import SCRIPTS, UnknownLanguageError, UnknownScriptError, get_language, languages, normalize_script


def test_registry_contents() -> None:
    codes = [lang.code for lang in languages()]
    assert codes == ["ary", "kab", "rif", "shi", "tzm", "zgh"]
    ary = get_language("ary")
    assert ary.scripts == ("Arab", "Latn") and ary.default_script == "Arab" and ary.whisper_token == "ar"
    zgh = get_language("zgh")
    assert zgh.default_script == "Tfng" and "Latn" in zgh.scripts and zgh.unicode_form == "NFC"
    for code in ("shi", "tzm", "rif"):
        variant = get_language(code)
        assert variant.family == "zgh" and variant.is_tamazight
        assert variant.whisper_token == zgh.whisper_token  # one model serves the variants
    kab = get_language("kab")
    assert kab.default_script == "Latn" and not kab.is_tamazight
    assert kab.whisper_token not in (zgh.whisper_token, ary.whisper_token)  # kept apart
    for lang in languages():
        assert set(lang.scripts) <= set(SCRIPTS)
        assert lang.unicode_form == "NFC"  # NFKC would break Tifinagh labialization
        assert isinstance(dict(lang.tts_symbols), dict)


def test_lookup_is_forgiving_about_case_and_space() -> None:
    assert get_language(" ZGH ") is get_language("zgh")
    assert get_language(get_language("ary")).code == "ary"


@pytest.mark.parametrize("code", ["dar", "", "ar", "ber", None])
def test_unknown_codes_list_the_known_ones(code) -> None:
    with pytest.raises(UnknownLanguageError) as err:
        get_language(code)
    assert "known: ary, kab, rif, shi, tzm, zgh" in str(err.value)
    assert isinstance(err.value, InputError)


def test_scripts() -> None:
    assert normalize_script("arab") == "Arab"
    assert normalize_script("Tifinagh") == "Tfng"
    assert normalize_script("LATN") == "Latn"
    with pytest.raises(UnknownScriptError, match="arab, latn, tfng"):
        normalize_script("cyrl")
