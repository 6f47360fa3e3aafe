#!/usr/bin/env bash
# Traces at scale (issue 20, docs/benchmarks.md "Traces at scale"): records a C program that makes N getpid
# syscalls (2N events, the small-event worst case) with a Release `mk exec --trace`, then runs everything that
# reads the trace and prints, for each, the elapsed time, the CPU time and the peak resident memory (VmHWM, from
# /usr/bin/time). The trace and the exports are written to a temporary folder that is deleted at the end.
#
#   tools/trace-scale.sh [N] [record options...]      N defaults to 1,000,000 calls; e.g. tools/trace-scale.sh
#                                                     50000000 --compress zlib
# Needs gcc (through userland/bin/mk-gcc), GNU time at /usr/bin/time and about 85 bytes of free disk an event: the
# trace (~13) and the protobuf export (~32) are kept until the end, and each step's output (the JSON export: ~70)
# is written to the folder, then overwritten by the next step's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
calls=${1:-1000000}
shift || true
case "$calls" in '' | *[!0-9]*) echo "usage: $0 [CALLS] [record options...]" >&2; exit 1 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/trace-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat > "$work/getpid_loop.c" <<'EOF'
#include "mk.h"

int main(int argc, char **argv)
{
    long n = 0;
    if (argc > 1)
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0');
    if (n == 0) n = 200000;
    long sum = 0;
    for (long i = 0; i < n; i++) sum += mk_getpid();
    return sum == n ? 0 : 1;
}
EOF
"$root/userland/bin/mk-gcc" -O2 -o "$work/getpid_loop" "$work/getpid_loop.c"
dotnet build "$root/sim" -c Release -nologo -v q > "$work/build.log" || { cat "$work/build.log"; exit 1; }
mk=(dotnet "$root/sim/bin/Release/net10.0/mk.dll")
trace="$work/loop.mktrace"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "| step | elapsed | CPU (user+sys) | peak RSS | output |"
echo "|---|---|---|---|---|"
# measure LABEL OUTPUT-NOTE COMMAND...: runs COMMAND under GNU time, its standard output to $work/out.
measure() {
  local label=$1 note=$2
  shift 2
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err"; then
    echo "$label failed:" >&2
    tail -n 20 "$work/err" >&2
    exit 1
  fi
  local e u s m
  read -r e u s m < "$work/time"
  [ -n "$note" ] || note=$(wc -c < "$work/out" | awk '{ printf "%.0f bytes", $1 }')
  awk -v l="$label" -v e="$e" -v u="$u" -v s="$s" -v m="$m" -v n="$note" \
    'BEGIN { printf "| %s | %.1f s | %.1f s | %.0f MB | %s |\n", l, e, u + s, m / 1024, n }'
}

measure "record (\`exec --trace\`)" "-" "${mk[@]}" exec "$work/getpid_loop" "$calls" --trace "$trace" --max-ticks 2000000000 "$@"
echo "| trace file | | | | $(stat -c %s "$trace") bytes |"
measure "\`replay\`" "" "${mk[@]}" replay "$trace"
grep -q '^OK: all' "$work/out" || { cat "$work/out" >&2; exit 1; }
events=$(grep -Eo 'all [0-9]+ events' "$work/out" | grep -Eo '[0-9]+')
ticks=$(grep -Eo 'at tick [0-9]+' "$work/out" | grep -Eo '[0-9]+')
measure "\`replay --syscalls-only\`" "" "${mk[@]}" replay --syscalls-only "$trace"
grep -q '^OK: all' "$work/out" || { cat "$work/out" >&2; exit 1; }
measure "\`trace show\` (all)" "" "${mk[@]}" trace show "$trace"
measure "\`trace show --syscall getpid -T\`" "" "${mk[@]}" trace show "$trace" --syscall getpid -T
measure "\`trace show -c\`" "" "${mk[@]}" trace show "$trace" -c
half=$((ticks / 2))
measure "\`trace show --from $half --to $((half + 2))\`" "" "${mk[@]}" trace show "$trace" --from "$half" --to $((half + 2))
measure "\`trace export --format perfetto\`" "" "${mk[@]}" trace export --format perfetto "$trace" -
measure "\`trace export --format perfetto-proto\`" "-" "${mk[@]}" trace export --format perfetto-proto "$trace" "$work/loop.pb"
echo "| (protobuf file) | | | | $(stat -c %s "$work/loop.pb") bytes |"
rm -f "$work/loop.pb" "$trace"
echo "$events events, $ticks ticks; load average at end: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
