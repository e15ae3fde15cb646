# What every recipe's run.sh shares; sourced after its options are parsed (it reads $root, $stage
# and $stop_stage): the interpreter (AWAL_PYTHON_BIN, else the checkout's .venv), the awal command,
# and the stage helpers.
py=${AWAL_PYTHON_BIN:-$root/.venv/bin/python}
awal=("$py" -m awal.cli)
log() { printf '\n[%s] stage %s: %s\n' "$(date +%H:%M:%S)" "$1" "$2"; } # log STAGE MESSAGE
want() { [[ $stage -le $1 && $stop_stage -ge $1 ]]; }                     # want STAGE: is it to run?
