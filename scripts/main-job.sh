#!/usr/bin/env bash
# The README's main job: awal's language tools on the bundled samples, then speech recognition
# with the bundled model. (Later: synthesis with the bundled voice.)
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

section "speech recognition: the bundled model (whisper-base-awal) on held-out synthetic speech"
echo "samples/audio/: espeak-ng voices of test sentences the model never saw in training (samples/README.md)"
$awal eval asr --model whisper-base-awal --manifest samples/audio/heldout.jsonl --no-progress \
    --details "$tmp/heldout.jsonl" > "$tmp/heldout.json"
.venv/bin/python - "$tmp/heldout.jsonl" "$tmp/heldout.json" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    print(f"{r['lang']}  {r['audio_filepath'].rsplit('/', 1)[-1]}  CER {100 * r['cer']:5.1f}%")
    print(f"     said:  {r['text']}")
    print(f"     heard: {r['pred_text_scored']}")  # in the reference's script (the model writes Tamazight in Latin)
report = json.load(open(sys.argv[2], encoding="utf-8"))
for lang, s in report["per_language"].items():
    print(f"{lang}: WER {100 * s['wer']:.1f}%  CER {100 * s['cer']:.1f}%  ({s['utterances']} utterances)")
print(f"real-time factor {report['rtf']:.2f} on this machine; the model card: asr/bundled/whisper-base-awal/MODEL_CARD.md")
PY

printf '\nNext: `.venv/bin/awal transcribe FILES...` transcribes your files; `.venv/bin/awal serve` starts the\n'
printf 'streaming service (docs/streaming.md); `make test` runs the test suite; docs/ explains every step.\n'
