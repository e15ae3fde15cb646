#!/usr/bin/env bash
# FastPitch + HiFi-GAN recipe: text -> synthetic (or real) speech -> NeMo training -> ONNX voice -> round trip.
#
#   ./run.sh [--stage N] [--stop-stage M] [--conf bundled_cpu] [--langs "ary zgh"] [--text-dir DIR] [--exp DIR]
#            [--data DIR] [--vocoder universal|fast|FILE] [-- hydra overrides for stages 2 and 4...]
#
# Stages (icefall/ESPnet style: each can be re-run alone; training resumes from its last checkpoint):
#   0  data       awal prepare synthetic: one espeak-ng voice (ar+m3) speaking the real Darija (DODa) and
#                 Tamazight (Common Voice) text at 22,050 Hz, no noise; held-out sentences for test (the
#                 same split as the ASR recipe's, so neither model ever trained on them); then
#                 python -m awal.tts.train.data: the text through the voice's front-end, the audio trimmed
#   1  supdata    python -m awal.tts.train.supdata: pitch contours cached, pitch statistics
#   2  fastpitch  python -m awal.tts.train.fastpitch (Hydra config conf/fastpitch/<conf>.yaml, NeMo exp_manager),
#                 one acoustic model per language
#   3  mels       python -m awal.tts.train.mels: each FastPitch's teacher-forced mels of its training audio
#   4  hifigan    python -m awal.tts.train.hifigan (conf/hifigan/<conf>.yaml): the universal HiFi-GAN fine-tuned
#                 on the mels of every language (one vocoder for the voice); with --vocoder fast instead
#                 python -m awal.tts.train.fast_vocoder: a small HiFi-GAN generator (V3's shape, ~15x less
#                 compute than V1) trained on those mels with spectral losses, for one CPU thread
#   5  export     awal export tts -> <exp>/voice (fastpitch-<lang>.onnx, hifigan.onnx, awal.json); the
#                 vocoder is stage 4's unless --vocoder says otherwise (universal: the universal HiFi-GAN as
#                 is; fast: stage 4's fast vocoder, <exp>/fast-vocoder/vocoder.pt, bundled_cpu's default;
#                 or a file)
#   6  evaluate   awal eval tts: round-trip CER (synthesize the held-out sentences, transcribe them with
#                 the bundled ASR model) and predicted MOS (DNSMOS) for the voice and for the espeak-ng backend
#   7  card       writes <exp>/voice/MODEL_CARD.md and the metrics into its awal.json
#   8  bundle     (bundled_cpu only) copies the voice to tts/bundled/awal-voice when its round-trip CER
#                 is lower than the bundled one's
#
# A real single-speaker corpus: replace stage 0 with `awal prepare ...` (docs/data.md) and
# `python -m awal.tts.train.data MANIFEST --lang L --out data/voice-L/train.jsonl` (and dev, test), then run
# stages 1-7 with a GPU config (conf/*/gpu_22050.yaml).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
stage=0
stop_stage=8
conf=bundled_cpu
langs="ary zgh"
text_dir=$root/../shared/data
exp=$here/exp/$conf
data=$here/data
hours_ary=1.3
hours_zgh=1.1
vocoder=
overrides=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --stage) stage=$2; shift 2 ;;
        --stop-stage) stop_stage=$2; shift 2 ;;
        --conf) conf=$2; exp=$here/exp/$conf; shift 2 ;;
        --langs) langs=$2; shift 2 ;;
        --exp) exp=$(realpath -m "$2"); shift 2 ;;
        --data) data=$(realpath -m "$2"); shift 2 ;;
        --text-dir) text_dir=$(realpath -m "$2"); shift 2 ;;
        --hours-ary) hours_ary=$2; shift 2 ;;
        --hours-zgh) hours_zgh=$2; shift 2 ;;
        --vocoder) vocoder=$2; shift 2 ;;
        --) shift; overrides=("$@"); break ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

. "$root/recipes/lib.sh" # py, awal, log, want
mkdir -p "$exp"
fastpitch_args() {  # the data arguments of FastPitch's config for language $1
    echo "lang=$1" "train_dataset=$data/voice-$1/train.jsonl" "validation_datasets=$data/voice-$1/dev.jsonl" \
        "sup_data_path=$data/voice-$1/sup"
}
fastpitch_nemo() { echo "$exp/fastpitch-$1/run/fastpitch-$1.nemo"; }

if want 0; then
    log 0 "data: one espeak-ng voice speaking the real text in $text_dir"
    doda=$text_dir/doda
    speaker=(--voices m3 --pitches 50 --rates 150 --noise none --speed 1 1 --level -24 -24 --sample-rate 22050)
    for lang in $langs; do
        case $lang in
            ary) text=("$doda/ongoing__02.csv" "$doda/ongoing__03.csv" "$doda/ongoing__04.csv")
                 split=(--seed 7 --heldout 0.05 --dev 0.03 --hours "$hours_ary") ;;
            zgh) text=("$text_dir/text/zgh_tifinagh_cv.txt")
                 split=(--seed 7 --heldout 0.06 --dev 0.03 --hours "$hours_zgh") ;;
            *) echo "run.sh: no synthetic text for $lang; prepare its data by hand (see the header)" >&2; exit 2 ;;
        esac
        for f in "${text[@]}"; do
            [[ -f $f ]] || { echo "run.sh: $f is missing; give --text-dir (a folder with doda/ and text/)" >&2; exit 2; }
        done
        "${awal[@]}" prepare synthetic --lang "$lang" "${split[@]}" "${speaker[@]}" --text "${text[@]}" \
            --out "$data/speech-$lang"
        for part in train dev test; do
            "$py" -m awal.tts.train.data "$data/speech-$lang/$part.jsonl" --lang "$lang" --out "$data/voice-$lang/$part.jsonl"
        done
    done
fi

if want 1; then
    for lang in $langs; do
        log 1 "supdata ($lang): pitch -> $data/voice-$lang/sup"
        # shellcheck disable=SC2046
        "$py" -m awal.tts.train.supdata --config-path="$here/conf/fastpitch" --config-name="$conf" $(fastpitch_args "$lang")
    done
fi

if want 2; then
    for lang in $langs; do
        log 2 "fastpitch ($lang): conf/fastpitch/$conf.yaml -> $exp/fastpitch-$lang"
        # shellcheck disable=SC2046
        "$py" -m awal.tts.train.fastpitch --config-path="$here/conf/fastpitch" --config-name="$conf" \
            $(fastpitch_args "$lang") name="fastpitch-$lang" "exp_manager.exp_dir=$exp" "${overrides[@]}"
    done
fi

train_mels=()
dev_mels=()
for lang in $langs; do
    train_mels+=("$data/mels-$lang/train.jsonl")
    dev_mels+=("$data/mels-$lang/dev.jsonl")
done
join() { local IFS=,; echo "$*"; }

if want 3; then
    for lang in $langs; do
        log 3 "mels ($lang): $(fastpitch_nemo "$lang") teacher-forced on its training audio"
        for part in train dev; do
            "$py" -m awal.tts.train.mels "$(fastpitch_nemo "$lang")" "$data/voice-$lang/$part.jsonl" \
                --out "$data/mels-$lang/$part.jsonl"
        done
    done
fi

vocoder_nemo=$exp/hifigan-awal/run/hifigan-awal.nemo  # bundled_cpu and gpu_22050
[[ $conf == smoke ]] && vocoder_nemo=$exp/hifigan-smoke/run/hifigan-smoke.nemo
[[ -n $vocoder || $conf != bundled_cpu ]] || vocoder=fast  # the bundled voice's vocoder
vocoder_arg=$vocoder
[[ -n $vocoder ]] || vocoder=$vocoder_nemo
case $conf in  # the fast vocoder's training (awal.tts.train.fast_vocoder --help)
    smoke) fast_args=(--steps 20 --batch 4 --channels 32 --checkpoint-every 10) ;;
    bundled_cpu) fast_args=(--steps 8000 --lr 1e-3 --threads 2) ;;
    *) fast_args=() ;;
esac

if want 4 && [[ $vocoder == fast ]]; then
    log 4 "fast vocoder: awal.tts.train.fast_vocoder on the mels of: $langs -> $exp/fast-vocoder"
    "$py" -m awal.tts.train.fast_vocoder --train "${train_mels[@]}" --dev "${dev_mels[@]}" --out "$exp/fast-vocoder" \
        "${fast_args[@]}"
elif want 4; then
    log 4 "hifigan: conf/hifigan/$conf.yaml on the mels of: $langs"
    "$py" -m awal.tts.train.hifigan --config-path="$here/conf/hifigan" --config-name="$conf" \
        "train_dataset=[$(join "${train_mels[@]}")]" "validation_datasets=[$(join "${dev_mels[@]}")]" \
        "exp_manager.exp_dir=$exp" "${overrides[@]}"
fi
[[ $vocoder == fast ]] && vocoder=$exp/fast-vocoder/vocoder.pt

if want 5; then
    log 5 "export: -> $exp/voice"
    models=()
    for lang in $langs; do models+=(--fastpitch "$lang=$(fastpitch_nemo "$lang")"); done
    name=$([[ $conf == bundled_cpu ]] && echo awal-voice || echo "awal-voice-$conf")
    "${awal[@]}" export tts "${models[@]}" --vocoder "$vocoder" --out "$exp/voice" --name "$name"
fi

if want 6; then
    log 6 "evaluate: round trip (held-out sentences -> voice -> bundled ASR model -> CER)"
    mkdir -p "$exp/eval"
    for lang in $langs; do
        for voice in "$exp/voice" espeak; do
            name=$([[ $voice == espeak ]] && echo espeak || echo voice)
            "${awal[@]}" eval tts --voice "$voice" --manifest "$data/voice-$lang/test.jsonl" \
                --details "$exp/eval/$name-$lang.jsonl" > "$exp/eval/$name-$lang.json"
            "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], 'CER', d['cer'], 'RTF', d['synthesis_rtf'], 'MOS', d['mos']['ovrl'])" \
                "$exp/eval/$name-$lang.json" "$name $lang"
        done
    done
fi

if want 7; then
    log 7 "model card: $exp/voice/MODEL_CARD.md"
    "$py" -m awal.tts.train.card --voice "$exp/voice" --eval "$exp/eval" --exp "$exp" --data "$data" \
        --command "recipes/tts/fastpitch_hifigan/run.sh --conf $conf${vocoder_arg:+ --vocoder $vocoder_arg}"
fi

if want 8 && [[ $conf == bundled_cpu ]]; then
    log 8 "bundle: $exp/voice -> tts/bundled/awal-voice if its round-trip CER is lower"
    "$py" -m awal.tts.train.card --bundle "$root/tts/bundled/awal-voice" --voice "$exp/voice"
fi
