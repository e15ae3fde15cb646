#!/usr/bin/env bash
# The streaming benchmark's peers, each in its own virtual environment (never in the project's .venv):
#
#   bench/peers/setup.sh [DIR]        # default: ../peers beside the checkout (bench/streaming.py --peers-dir)
#
# TORCH says what pip installs for torch: "torch" from PyPI by default (the CUDA build, which also
# runs on a CPU); a machine with a CPU-only wheel can name it, e.g.
#   TORCH=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl bench/peers/setup.sh
# Does nothing for a peer whose environment is already there.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-$root/../peers}
torch=${TORCH:-torch}
python=${PYTHON:-python3}
mkdir -p "$dir"

if [[ ! -x $dir/whisperlive-venv/bin/python ]] || ! "$dir/whisperlive-venv/bin/python" -c "import whisper_live" 2>/dev/null; then
    echo "[peers] WhisperLive 0.10.0 -> $dir/whisperlive-venv"
    "$python" -m venv "$dir/whisperlive-venv"
    # whisper-live's declared requirements pull PyAudio (its client's microphone; building it needs
    # portaudio headers) and GPU stacks its faster_whisper server never imports: install what that
    # server imports, then the package itself without its requirements
    "$dir/whisperlive-venv/bin/pip" install -q "$torch" "faster-whisper==1.2.0" websockets fastapi uvicorn \
        python-multipart scipy av onnxruntime "numpy<2.5" requests
    "$dir/whisperlive-venv/bin/pip" install -q --no-deps whisper-live==0.10.0
fi

if [[ ! -x $dir/whisperlivekit-venv/bin/whisperlivekit-server ]]; then
    echo "[peers] WhisperLiveKit 0.2.26 -> $dir/whisperlivekit-venv"
    "$python" -m venv "$dir/whisperlivekit-venv"
    "$dir/whisperlivekit-venv/bin/pip" install -q "$torch" whisperlivekit==0.2.26
fi
echo "[peers] ready in $dir"
