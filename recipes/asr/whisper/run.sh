#!/usr/bin/env bash
# Whisper fine-tuning recipe: manifests -> NeMo/Lightning training -> CTranslate2 -> metrics -> model card.
#
#   ./run.sh [--stage N] [--stop-stage M] [--conf base_cpu] [--text-dir DIR] [--exp DIR] [-- hydra overrides...]
#
# Stages (icefall/ESPnet style: each can be re-run alone, and training resumes from its last checkpoint):
#   0  data       awal prepare synthetic: real Darija (DODa) and Tamazight (Common Voice) text voiced
#                 by espeak-ng; held-out sentences for test (never in train); for base_cpu also the
#                 round-2 corpora (*-more: more text and new voices, never a dev or test sentence);
#                 for base_cpu_round4 and _round5 the test suite (awal prepare test-suite) and corpora
#                 voiced by espeak-ng and Kokoro through rooms and codecs, Darija in ordinary spelling
#   1  tokenizer  Whisper's byte-level BPE is kept (pretrained models need their own); this stage checks
#                 that every training text fits the decoder and reports tokens per utterance per language
#   2  train      python -m awal.asr.train.train (Hydra config conf/<conf>.yaml, NeMo exp_manager, Lhotse data);
#                 base_cpu trains three rounds: conf/base_cpu.yaml, then conf/base_cpu_round2.yaml from it,
#                 then conf/base_cpu_round3.yaml from round 2
#   3  export     awal export asr <exp>/hf --out <exp>/model --quantization int8
#   4  evaluate   awal eval asr on each test set, for the exported model and for the untouched whisper-base
#                 (base_cpu_round4, _round5: the test suite, also for the model bundled before)
#   5  card       writes <exp>/model/MODEL_CARD.md and records the metrics in awal.json
#   6  bundle     (base_cpu, base_gpu) copies the model to asr/bundled/whisper-base-awal when its held-out CER
#                 is lower than the bundled one's; (base_cpu_round4, _round5) when its CER on the suite's unseen
#                 voices is: a new binary is committed only when the metrics improve
#
# Real corpora: replace stage 0 with `awal prepare common-voice|dvoice|kaldi|...` (docs/data.md) and point
# model.train_ds.manifest_filepath / model.validation_ds.manifest_filepath at their manifests.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
stage=0
stop_stage=6
conf=base_cpu
text_dir=$root/../shared/data
exp=$here/exp/$conf
quantization=int8
hours_ary=1.4
hours_zgh=1.2
overrides=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --stage) stage=$2; shift 2 ;;
        --stop-stage) stop_stage=$2; shift 2 ;;
        --conf) conf=$2; exp=$here/exp/$conf; shift 2 ;;
        --exp) exp=$(realpath -m "$2"); shift 2 ;;
        --text-dir) text_dir=$(realpath -m "$2"); shift 2 ;;
        --quantization) quantization=$2; shift 2 ;;
        --hours-ary) hours_ary=$2; shift 2 ;;
        --hours-zgh) hours_zgh=$2; shift 2 ;;
        --) shift; overrides=("$@"); break ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

. "$root/recipes/lib.sh" # py, awal, log, want
data=$here/data
mkdir -p "$exp"

suite_round=false # rounds 4 and 5 (issue 18) are scored on the test suite and bundled on its unseen voices
[[ $conf == base_cpu_round4 || $conf == base_cpu_round5 ]] && suite_round=true

if want 0 && $suite_round; then
    # a test suite of held-out sentences per condition (the sentences round 1 held out), then corpora
    # voiced by espeak-ng and Kokoro's voices (never a reserved one), through rooms, codecs, clipping,
    # noises and overlapping talkers; Darija in ordinary spelling
    log 0 "data: test suite and $conf corpora from the real text in $text_dir"
    doda=$text_dir/doda
    kokoro_voices=$("$root/scripts/kokoro-voices.sh")
    [[ -f $data/suite/ary/suite.json ]] || "${awal[@]}" prepare test-suite --lang ary \
        --text "$doda/ongoing__02.csv" "$doda/ongoing__03.csv" "$doda/ongoing__04.csv" --within-split 7 0.05 0.03 \
        --dictionary "$doda" --ordinary "$root/samples/text/ary-ordinary-heldout.tsv" \
        --kokoro-voices "$kokoro_voices" --sentences 40 --out "$data/suite"
    [[ -f $data/suite/zgh/suite.json ]] || "${awal[@]}" prepare test-suite --lang zgh \
        --text "$text_dir/text/zgh_tifinagh_cv.txt" --within-split 7 0.06 0.03 \
        --kokoro-voices "$kokoro_voices" --sentences 40 --out "$data/suite"
    voices=(--kokoro-voices "$kokoro_voices" --kokoro-blends 40 --channels
            --noise none,white,pink,babble,overlap --heldout 0)
    ary=(--lang ary --spelling ordinary --dictionary "$doda" --text "$doda"/ongoing__*.csv
         --exclude "$data/suite/ary/suite.json")
    zgh=(--lang zgh --text "$text_dir/text/zgh_tifinagh_cv.txt" --exclude "$data/suite/zgh/suite.json")
    corpus() { # name, language, families, hours, seed, more options
        [[ -f $data/$1/train.jsonl ]] && return  # made already (a corpus is deterministic for its seed)
        local -n lang_options=$2
        "${awal[@]}" prepare synthetic "${lang_options[@]}" "${voices[@]}" --families "$3" --hours "$4" \
            --seed "$5" "${@:6}" --out "$data/$1"
    }
    if [[ $conf == base_cpu_round4 ]]; then  # half espeak-ng, half Kokoro (the family drawn per utterance)
        corpus r4-ary ary espeak,kokoro 1.5 11 --dev 0.01
        corpus r4-zgh zgh espeak,kokoro 1.0 11 --dev 0.02
        corpus r4-tel-ary ary espeak,kokoro 0.3 12 --dev 0 --telephone
        corpus r4-tel-zgh zgh espeak,kokoro 0.3 12 --dev 0 --telephone
    else  # round 5: new sentences and blends (new seeds), two thirds Kokoro
        corpus r5-ary ary kokoro 0.8 21 --dev 0.015
        corpus r5-zgh zgh kokoro 0.5 21 --dev 0.025
        corpus r5-esp-ary ary espeak 0.4 21 --dev 0
        corpus r5-esp-zgh zgh espeak 0.3 21 --dev 0
        corpus r5-tel-ary ary espeak,kokoro 0.2 22 --dev 0 --telephone
        corpus r5-tel-zgh zgh espeak,kokoro 0.2 22 --dev 0 --telephone
    fi
elif want 0; then
    log 0 "data: synthetic speech from the real text in $text_dir"
    doda=$text_dir/doda
    for f in "$doda/ongoing__02.csv" "$text_dir/text/zgh_tifinagh_cv.txt"; do
        [[ -f $f ]] || { echo "run.sh: $f is missing; give --text-dir (a folder with doda/ and text/)" >&2; exit 2; }
    done
    "${awal[@]}" prepare synthetic --lang ary --seed 7 --heldout 0.05 --dev 0.03 --hours "$hours_ary" \
        --text "$doda/ongoing__02.csv" "$doda/ongoing__03.csv" "$doda/ongoing__04.csv" --out "$data/synthetic-ary"
    "${awal[@]}" prepare synthetic --lang zgh --seed 7 --heldout 0.06 --dev 0.03 --hours "$hours_zgh" \
        --text "$text_dir/text/zgh_tifinagh_cv.txt" --out "$data/synthetic-zgh"
    if [[ $conf == base_cpu || $conf == base_gpu ]]; then  # round 2: more Darija text, the rest of the Tamazight text, new voices
        "${awal[@]}" prepare synthetic --lang ary --seed 8 --heldout 0 --dev 0 --hours 2.5 \
            --text "$doda"/ongoing__0[5-9].csv "$doda"/ongoing__1*.csv "$doda"/ongoing__2*.csv \
            --exclude "$data/synthetic-ary/synthetic.json" --out "$data/synthetic-ary-more"
        "${awal[@]}" prepare synthetic --lang zgh --seed 8 --heldout 0 --dev 0 --hours 1.2 \
            --text "$text_dir/text/zgh_tifinagh_cv.txt" \
            --exclude "$data/synthetic-zgh/synthetic.json" --out "$data/synthetic-zgh-more"
    fi
    if [[ $conf == base_gpu ]]; then  # the GPU round: the DODa files round 2 did not use, new Tamazight voices
        "${awal[@]}" prepare synthetic --lang ary --seed 9 --heldout 0 --dev 0 --hours 6 \
            --text "$doda"/ongoing__[3-7]*.csv \
            --exclude "$data/synthetic-ary/synthetic.json" --out "$data/synthetic-ary-gpu"
        "${awal[@]}" prepare synthetic --lang zgh --seed 9 --heldout 0 --dev 0 --hours 3 \
            --text "$text_dir/text/zgh_tifinagh_cv.txt" \
            --exclude "$data/synthetic-zgh/synthetic.json" --out "$data/synthetic-zgh-gpu"
    fi
    # packs: 2-4 utterances joined in one window, so the model goes on after the first sentence;
    # packed test sets measure exactly that
    for lang in ary zgh; do
        sources=("$data/synthetic-$lang/train.jsonl")
        [[ -f $data/synthetic-$lang-more/train.jsonl ]] && sources+=("$data/synthetic-$lang-more/train.jsonl")
        count=$([[ $lang == ary ]] && echo 600 || echo 400)
        "$py" -m awal.data.pack "${sources[@]}" --out "$data/packed-$lang" --count "$count"
        "$py" -m awal.data.pack "$data/synthetic-$lang/test.jsonl" --out "$data/packed-$lang" --name test \
            --count 30 --seed 1
    done
fi

train_manifests="[$data/synthetic-ary/train.jsonl,$data/synthetic-zgh/train.jsonl]"
dev_manifests="[$data/synthetic-ary/dev.jsonl,$data/synthetic-zgh/dev.jsonl]"
if [[ $conf == base_cpu_round4 ]]; then
    train_manifests="[$data/r4-ary/train.jsonl,$data/r4-zgh/train.jsonl,$data/r4-tel-ary/train.jsonl,$data/r4-tel-zgh/train.jsonl]"
    dev_manifests="[$data/r4-ary/dev.jsonl,$data/r4-zgh/dev.jsonl]"
elif [[ $conf == base_cpu_round5 ]]; then
    train_manifests="[$(printf "$data/r5-%s/train.jsonl," ary zgh esp-ary esp-zgh tel-ary tel-zgh | sed 's/,$//')]"
    dev_manifests="[$data/r5-ary/dev.jsonl,$data/r5-zgh/dev.jsonl]"
fi

if want 1; then
    log 1 "tokenizer: Whisper's byte-level BPE, kept; token counts of the training text"
    "$py" -m awal.asr.train.tokens --config-path="$here/conf" --config-name="$conf" \
        "model.train_ds.manifest_filepath=$train_manifests" --out "$exp/tokens.json"
fi

# later rounds train on round 1's corpora plus the round-2 corpora and packs (stage 0)
more="$data/synthetic-ary-more/train.jsonl,$data/synthetic-zgh-more/train.jsonl"
more="$more,$data/packed-ary/train.jsonl,$data/packed-zgh/train.jsonl"
run_name() { awk '$1 == "name:" { print $2; exit }' "$here/conf/$1.yaml"; } # a config's run folder name
train_round() { # config, weights to start from, extra training manifests (comma-separated)
    "$py" -m awal.asr.train.train --config-path="$here/conf" --config-name="$1" \
        "model.train_ds.manifest_filepath=[${train_manifests:1:-1},$3]" \
        "model.validation_ds.manifest_filepath=$dev_manifests" \
        "exp_manager.exp_dir=$exp" "model.init_from=$2" "${overrides[@]}"
}

bundled_hf() { # the bundled model converted back to a Hugging Face folder, once: its path
    if [[ ! -f $1/config.json ]]; then
        log 2 "train: the bundled model -> $1 (awal.asr.train.ct2_to_hf)" >&2
        "$py" -m awal.asr.train.ct2_to_hf "$root/asr/bundled/whisper-base-awal" "$1" >&2
    fi
    echo "$1"
}

if want 2 && [[ $conf == base_gpu ]]; then
    # round 3 on a GPU, from the bundled model converted back to a Hugging Face folder. It was round 2
    # when round 3 was made; since then the bundled model is round 3 itself (round 2's binary is in
    # git: `git show b96196f:asr/bundled/whisper-base-awal/model.bin`, for redoing round 3 as made)
    init=$(bundled_hf "$exp/round2-hf")
    log 2 "train: conf/base_gpu.yaml from $init -> $exp"
    train_round base_gpu "$init" "$more,$data/synthetic-ary-gpu/train.jsonl,$data/synthetic-zgh-gpu/train.jsonl"
elif want 2 && $suite_round; then
    # round 4 trained from round 3, round 5 from round 4: the model bundled when it was made. Once a
    # later round is bundled, the files it was made from are in git (round 3: `git show
    # 5fbcf74:asr/bundled/whisper-base-awal/<file>`; round 4: 3ce6e71:...): to redo a round as made,
    # put them in a folder and convert it with awal.asr.train.ct2_to_hf into $exp/<parent>-hf
    [[ $conf == base_cpu_round4 ]] && parent=round3 || parent=round4
    init=$(bundled_hf "$exp/$parent-hf")
    log 2 "train: conf/$conf.yaml from $init -> $exp"
    "$py" -m awal.asr.train.train --config-path="$here/conf" --config-name="$conf" \
        "model.train_ds.manifest_filepath=$train_manifests" "model.validation_ds.manifest_filepath=$dev_manifests" \
        "exp_manager.exp_dir=$exp" "model.init_from=$init" "${overrides[@]}"
elif want 2; then
    log 2 "train: conf/$conf.yaml -> $exp"
    "$py" -m awal.asr.train.train --config-path="$here/conf" --config-name="$conf" \
        "model.train_ds.manifest_filepath=$train_manifests" \
        "model.validation_ds.manifest_filepath=$dev_manifests" \
        "exp_manager.exp_dir=$exp" "${overrides[@]}"
    if [[ $conf == base_cpu ]]; then
        round1=$exp/$(run_name base_cpu)/run/hf round2=$exp/$(run_name base_cpu_round2)/run/hf
        log 2 "train, round 2: conf/base_cpu_round2.yaml from $round1"
        train_round base_cpu_round2 "$round1" "$more"
        log 2 "train, round 3: conf/base_cpu_round3.yaml from $round2"
        train_round base_cpu_round3 "$round2" "$more"
    fi
fi

# the model stages 3-5 work on: the best checkpoint (a Hugging Face folder) of the config's last
# round, in the run folder its config names (exp_manager: <exp>/<name>/run)
case $conf in
    base_cpu) last_round=base_cpu_round3 ;;
    *) last_round=$conf ;;
esac
run_dir=$exp/$(run_name "$last_round")/run

if want 3; then
    log 3 "export: $run_dir/hf -> $exp/model ($quantization)"
    [[ -d $run_dir/hf ]] || { echo "run.sh: no trained model in $run_dir/hf (run stage 2)" >&2; exit 1; }
    "${awal[@]}" export asr "$run_dir/hf" --out "$exp/model" --quantization "$quantization"
fi

if want 4 && $suite_round; then
    # the test suite, for the exported model, the model bundled now (what stage 6 compares with) and the
    # untouched base; the last two are scored once per round (the bundled one before stage 6 replaces it)
    log 4 "evaluate: the test suite $data/suite (exported model, bundled model, untouched whisper-base)"
    mkdir -p "$exp/eval"
    for pair in "model:$exp/model" "bundled:$root/asr/bundled/whisper-base-awal" "whisper-base:whisper-base"; do
        name=${pair%%:*} model=${pair#*:}
        [[ $name != model && -s $exp/eval/suite-$name.json ]] && continue
        "${awal[@]}" eval asr --suite "$data/suite" --model "$model" --report "$exp/eval/suite-$name.json" \
            --details "$exp/eval/suite-$name" | tee "$exp/eval/suite-$name.md"
    done
elif want 4; then
    log 4 "evaluate: held-out test sets, exported model and untouched whisper-base"
    mkdir -p "$exp/eval"
    for lang in ary zgh ary_packed zgh_packed; do  # *_packed: 2-4 held-out sentences in one window
        [[ $lang == *_packed ]] && test_set=$data/packed-${lang%_packed}/test.jsonl || test_set=$data/synthetic-$lang/test.jsonl
        [[ -f $test_set ]] || continue
        for model in "$exp/model" whisper-base; do
            name=$([[ $model == whisper-base ]] && echo whisper-base || echo model)
            if [[ $name == whisper-base && -s $exp/eval/$name-$lang.json ]]; then  # the base does not change
                "$py" -m awal.asr.train.card --summary "$exp/eval/$name-$lang.json" --label "$name $lang"
                continue
            fi
            "${awal[@]}" eval asr --model "$model" --manifest "$test_set" \
                --details "$exp/eval/$name-$lang.jsonl" > "$exp/eval/$name-$lang.json"
            "$py" -m awal.asr.train.card --summary "$exp/eval/$name-$lang.json" --label "$name $lang"
        done
    done
    # a model trained with short encoder contexts: the held-out sets as the streaming engine encodes them
    if grep -q '"bucket_s"' "$exp/model/awal.json"; then
        for lang in ary zgh; do
            "${awal[@]}" eval asr --model "$exp/model" --manifest "$data/synthetic-$lang/test.jsonl" --context short \
                --details "$exp/eval/model-${lang}_short.jsonl" > "$exp/eval/model-${lang}_short.json"
            "$py" -m awal.asr.train.card --summary "$exp/eval/model-${lang}_short.json" --label "model $lang (short contexts)"
        done
    fi
fi

if want 5; then
    log 5 "model card: $exp/model/MODEL_CARD.md"
    "$py" -m awal.asr.train.card --model "$exp/model" --eval "$exp/eval" --data "$data" --run "$run_dir" \
        --command "recipes/asr/whisper/run.sh --conf $conf"
fi

if want 6 && $suite_round; then
    log 6 "bundle: $exp/model -> asr/bundled/whisper-base-awal if its CER on the unseen voices is lower"
    "$py" -m awal.asr.train.card --bundle "$root/asr/bundled/whisper-base-awal" --model "$exp/model" \
        --eval "$exp/eval" --unseen
elif want 6 && [[ $conf == base_cpu || $conf == base_gpu ]]; then
    log 6 "bundle: $exp/model -> asr/bundled/whisper-base-awal if its held-out CER is lower"
    "$py" -m awal.asr.train.card --bundle "$root/asr/bundled/whisper-base-awal" --model "$exp/model"
fi
