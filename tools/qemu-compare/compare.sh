#!/usr/bin/env bash
# mk exec against qemu-x86_64 on the same binary (issue 16, docs/benchmarks.md "mk exec against qemu-x86_64").
# Builds empty.c, crc.c and sieve.c (no C library: both.h ends them on Linux and on MicroKernel alike), then runs each
# binary RUNS times under qemu-x86_64 and under `mk exec --cpu interpret` and `--cpu translate`, and prints the CPU
# time (user + sys) of a run, the instruction count (from mk's trace) and the exit status of each (they must agree:
# the same program computed the same CRC or prime count).
#
#   tools/qemu-compare/compare.sh [RUNS]       RUNS defaults to 5
# Each of crc and sieve is built twice: as written (~190 M and ~280 M instructions, where starting the process and
# compiling blocks weigh) and with -DSCALE=10 (ten times the work: the steady state).
# mk is `dotnet publish sim -c Release`: precompiled (ReadyToRun), as docs/benchmarks.md "Start-up" says; MK=path
# runs another mk instead (a plain `dotnet build` one, say). CPU times come from `perf stat -r RUNS` (the mean and
# its spread, to the tenth of a millisecond) where perf works, else from GNU time (/usr/bin/time, 10 ms steps: the
# median). Needs gcc and qemu-x86_64 (Debian: apt-get install qemu-user). Quote `uptime`'s load with the figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-5}
case "$runs" in '' | *[!0-9]*) echo "usage: $0 [RUNS]" >&2; exit 1 ;; esac
command -v qemu-x86_64 >/dev/null || { echo "$0: qemu-x86_64 not found (Debian: apt-get install qemu-user)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -n "${MK:-}" ]; then
    mk=$MK
else
    dotnet publish "$root/sim" -c Release -o "$work/mk" -v q -nologo >/dev/null
    mk="$work/mk/mk"
fi
perf=0
perf stat -r 1 -e task-clock true >/dev/null 2>&1 && perf=1

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_runs NAME COMMAND...: runs the command $runs times; prints NAME, the CPU time of a run, the exit status
time_runs() {
    local name=$1; shift
    set +e
    "$@" > /dev/null 2>&1
    local status=$?
    set -e
    if [ "$perf" = 1 ]; then
        # -x,: value,unit,event,spread%,...; task-clock counts every thread's CPU time (user + system)
        perf stat -x, -r "$runs" -e task-clock -o "$work/perf" "$@" > /dev/null 2>&1 || true
        awk -F, -v name="$name" -v status="$status" '$3 ~ /task-clock/ {
            printf "%-22s %9.1f ms CPU (+- %s, mean of %d)   exit: %s\n", name, $1, $4, runs, status }' runs="$runs" "$work/perf"
        return
    fi
    : > "$work/cpu"
    for _ in $(seq "$runs"); do
        set +e
        /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > /dev/null 2>&1
        set -e
        read -r _ u s < <(tail -n 1 "$work/time")
        awk -v u="$u" -v s="$s" 'BEGIN { print (u + s) * 1000 }' >> "$work/cpu"
    done
    printf '%-22s %9s ms CPU (median of %d, 10 ms steps)   exit: %s\n' "$name" "$(median < "$work/cpu")" "$runs" "$status"
}

echo "load: $(uptime | sed 's/.*load average: //')"
for build in empty crc sieve crc:10 sieve:10; do
    program=${build%%:*}
    scale=1
    [ "$build" = "$program" ] || scale=${build#*:}
    name=$program
    [ "$scale" = 1 ] || name="$program x$scale"
    binary="$work/$program-$scale"
    gcc -O2 -static -nostdlib -no-pie -fno-pie -fno-stack-protector -ffreestanding -Wl,--build-id=none \
        -DSCALE="$scale" -o "$binary" "$here/$program.c"
    "$mk" exec --max-ticks 100000000 --trace "$binary.mktrace" "$binary" > /dev/null 2>&1 || true
    instructions=$("$mk" trace show --jsonl "$binary.mktrace" 2>/dev/null | sed -n 's/.*"syscall":"exit".*"instructions":\([0-9]*\).*/\1/p' | tail -n 1)
    echo "$name: $instructions instructions"
    time_runs "  qemu-x86_64" qemu-x86_64 "$binary"
    time_runs "  mk exec interpret" "$mk" exec --cpu interpret --max-ticks 100000000 "$binary"
    time_runs "  mk exec translate" "$mk" exec --cpu translate --max-ticks 100000000 "$binary"
done
echo "load: $(uptime | sed 's/.*load average: //')"
