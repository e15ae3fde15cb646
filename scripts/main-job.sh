#!/usr/bin/env bash
# The README's main job, for now: awal's language tools on the bundled samples.
# (Later: transcription and synthesis with the bundled models.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
awal=.venv/bin/awal
s=samples/text

section() { printf '\n== %s\n' "$*"; }
show() { # label, command...
    local label=$1; shift
    printf -- '-- %s\n' "$label"
    "$@"
}

section "languages"
$awal languages

section "Darija, Arabic script ($s/ary_arab.txt)"
show "as written" cat $s/ary_arab.txt
show "tts: numbers, times, dates, money and phone numbers spelled out" $awal text normalize --lang ary --profile tts < $s/ary_arab.txt
show "scoring" $awal text normalize --lang ary --profile scoring < $s/ary_arab.txt
show "in Arabizi" $awal text translit --lang ary --to latn < $s/ary_arab.txt

section "Darija, Arabizi ($s/ary_latn.txt)"
show "in Arabic script" $awal text translit --lang ary --to arab < $s/ary_latn.txt
show "tts" $awal text normalize --lang ary --profile tts < $s/ary_latn.txt

section "Tamazight, Tifinagh ($s/zgh_tfng.txt)"
show "as written" cat $s/zgh_tfng.txt
show "in IRCAM Latin" $awal text translit --lang zgh --to latn < $s/zgh_tfng.txt
show "tts" $awal text normalize --lang zgh --profile tts < $s/zgh_tfng.txt

section "Kabyle, Latin ($s/kab_latn.txt)"
show "display: look-alike letters repaired" $awal text normalize --lang kab --profile display < $s/kab_latn.txt
show "in Tifinagh (Kabyle usage)" $awal text translit --lang kab --to tfng < $s/kab_latn.txt

section "scoring: Arabizi read back into Arabic script, against the original"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$awal text translit --lang ary --to arab < $s/ary_latn.txt > "$tmp/hyp.txt"
$awal score --lang ary --ref $s/ary_arab.txt --hyp "$tmp/hyp.txt"

section "synthetic speech: espeak-ng voices the Tamazight sample into a tiny NeMo corpus"
$awal prepare synthetic --lang zgh --text $s/zgh_tfng.txt --out "$tmp/synthetic" --hours 0.004 \
    --heldout 0.2 --dev 0.2 --seed 1 2>/dev/null
head -n 1 "$tmp/synthetic/test.jsonl"

printf '\nNext: `make test` runs the test suite; docs/languages.md and docs/data.md explain every step.\n'
