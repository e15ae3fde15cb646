#!/usr/bin/env bash
# One setup step for awal: system packages (when absent), a .venv, and the project
# installed in it with the extras asked for. A second run with nothing changed is quick
# and changes nothing.
#
#   scripts/setup.sh                 # ground floor only (what the main job needs today)
#   scripts/setup.sh dev             # + the test tools (and Chromium for the demo's browser tests)
#   scripts/setup.sh serve,demo,dev  # any comma-separated list of extras
#   AWAL_PYTHON=/path/to/python3.12 scripts/setup.sh dev   # choose the interpreter
set -euo pipefail

extras="${1:-}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[setup] %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------
# command -> Debian package. Installed only when the command is missing.
declare -A sys_pkgs=([espeak-ng]=espeak-ng [sox]=sox [ffmpeg]=ffmpeg)
# the demo's browser tests (dev) drive Debian's Chromium through its chromedriver
[[ ",$extras," == *,dev,* ]] && sys_pkgs+=([chromium]=chromium [chromedriver]=chromium-driver)
missing=()
for cmd in "${!sys_pkgs[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${sys_pkgs[$cmd]}")
done
if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null 2>&1; then
        log "missing system packages: ${missing[*]} (no apt-get here: install them with your package manager)"
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
        sudo="sudo"
    fi
    log "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- python ----------------------------------------------------------------------------
usable() { "$1" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; }
pick_python() {
    if [ -n "${AWAL_PYTHON:-}" ]; then # an explicit choice is used or refused, never replaced
        usable "$AWAL_PYTHON" && { echo "$AWAL_PYTHON"; return 0; }
        log "AWAL_PYTHON=$AWAL_PYTHON is not a working Python 3.10-3.12"; return 1
    fi
    for py in python3.11 python3.12 python3.10 python3; do
        command -v "$py" >/dev/null 2>&1 && usable "$py" && { echo "$py"; return 0; }
    done
    log "awal needs Python 3.10-3.12"; return 1
}
if [ ! -x .venv/bin/python ]; then
    py="$(pick_python)" || exit 1
    log "creating .venv with $("$py" --version)"
    "$py" -m venv .venv
fi

# Reinstall only when pyproject.toml or the extras changed since the last successful run.
spec="."
[ -n "$extras" ] && spec=".[$extras]"
hash="$(sha256sum pyproject.toml | cut -c1-16)"
key="$hash ${extras:-base}"
stamp=".venv/.awal-setup"
if [ -f "$stamp" ] && grep -qxF "$key" "$stamp"; then
    log "environment up to date (${extras:-base})"
    exit 0
fi
log "installing awal${extras:+[$extras]} into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
{ grep "^$hash " "$stamp" 2>/dev/null || true; echo "$key"; } | sort -u > "$stamp.new"
mv "$stamp.new" "$stamp"
log "done"
