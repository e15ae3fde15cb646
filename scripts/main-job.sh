#!/usr/bin/env bash
# The README's main job: awal's language tools on the bundled samples, speech recognition with the
# bundled model, and synthesis with both voices (each spoken prompt transcribed back); then how to
# start the demo and the service.
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

section "speech synthesis: voice prompts, in each language and script, spoken and heard back"
out=out/main-job; mkdir -p $out
while IFS='|' read -r lang voice name text; do
    $awal synthesize "$text" --lang "$lang" --voice "$voice" --out "$out/$name.wav"
    $awal synthesize "$text" --lang "$lang" --voice "$voice" --rate 8000 --out "$out/$name.ul"
    printf '%s|%s|%s|%s\n' "$lang" "$voice" "$out/$name.wav" "$text"
done > "$tmp/spoken.txt" <<'PROMPTS'
ary|espeak|ary-welcome|مرحبا بيكم فالخدمة ديالنا، تسنا شوية عافاك
ary|awal-voice|ary-welcome-neural|Salam, l'appel dyalk mohim bzzaf. Tsna chwiya.
zgh|espeak|zgh-welcome|ⴰⵣⵓⵍ ⴼⵍⵍⴰⵡⵏ. ⵎⴰⵏⵣⴰⴽⵉⵏ?
zgh|awal-voice|zgh-welcome-neural|Azul fllawn. Manzakin?
kab|espeak|kab-welcome|Azul fell-awen, amek tellam?
PROMPTS
.venv/bin/python - "$tmp/spoken.txt" <<'PY'
import sys
from awal.asr.transcribe import TranscribeOptions, Transcriber
from awal.audio import load_audio
from awal.scoring import score_utterance
from awal.text.scripts import dominant_script

asr = Transcriber()  # whisper-base-awal
print("heard back by the bundled recognition model, in the script of the text:")
for line in open(sys.argv[1], encoding="utf-8"):
    lang, voice, wav, text = line.rstrip("\n").split("|", 3)
    print(f"{lang}  {voice:10s}  {wav}")
    print(f"     said:  {text}")
    if lang not in asr.info.languages:
        print("     heard: (the bundled recognition model does not know this language)")
        continue
    options = TranscribeOptions(language=lang, script=dominant_script(text).lower())
    segments, _, _ = asr.segments(load_audio(wav, sr=16000), options)
    heard = " ".join(s.text for s in segments)
    print(f"     heard: {heard}   (CER {100 * score_utterance(text, heard, lang).cer:.1f}%)")
PY

section "next"
cat <<'NEXT'
The demo (transcribe a file or your microphone, synthesize, round trip), in your browser:
    .venv/bin/awal demo                      # then open http://127.0.0.1:7860 (docs/demo.md)
The service (WebSocket streaming, batch and OpenAI-compatible endpoints, speech synthesis):
    .venv/bin/awal serve --port 8000         # docs/streaming.md, docs/tts.md
Your own files: `.venv/bin/awal transcribe FILES...`; voice prompts: `.venv/bin/awal synthesize TEXT --lang ary`.
`make test` sets up everything and runs the test suite; docs/ explains every step.
NEXT
