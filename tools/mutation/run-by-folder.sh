#!/usr/bin/env bash
# Mutation testing of kernel/, one Stryker run per folder (folders.tsv: the files and the tests each run takes), then
# the score of every folder and of kernel/ as a whole (score.py). A periodic job, not a CI step: see docs/testing.md.
#
#   tools/mutation/run-by-folder.sh                 # every folder, one after the other
#   tools/mutation/run-by-folder.sh root shmem      # the named rows only
#   tools/mutation/score.py kernel/StrykerOutput/by-folder/*/mutation-report.json   # the figures again
#
# Each run's reports (HTML, JSON) and log go to kernel/StrykerOutput/by-folder/<name>/; a later run of a row replaces
# its reports. Extra Stryker options: STRYKER_ARGS="--concurrency 1" tools/mutation/run-by-folder.sh ...
set -uo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: an & in a replacement would stand for the match
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/kernel/StrykerOutput/by-folder
F=FullyQualifiedName~MicroKernel.Tests
NOSTRESS='&FullyQualifiedName!~QueueServerTests&FullyQualifiedName!~Random_schedules&FullyQualifiedName!~Under_random_schedules&FullyQualifiedName!~A_use_after_send_faults'
dotnet tool restore > /dev/null
status=0
while IFS=$'\t' read -r name patterns filter; do
  case "$name" in ''|\#*) continue ;; esac
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  mutate=()
  IFS=';' read -ra pats <<< "$patterns"
  for p in "${pats[@]}"; do mutate+=(--mutate "$p"); done
  filter=${filter//\$NOSTRESS/$NOSTRESS}
  filter=${filter//\$F/$F}
  dir=$out/$name
  rm -rf "$dir" && mkdir -p "$dir"
  echo "== $name: ${patterns} (started $(date -u +%H:%M:%S) UTC)"
  # Release: the tests run optimised kernel code; the dots reporter shows progress in the log.
  (cd kernel && dotnet stryker "${mutate[@]}" --configuration Release --output "$dir/run" \
     --reporter html --reporter json --reporter dots --reporter cleartext \
     --test-case-filter "$filter" ${STRYKER_ARGS:-} < /dev/null) > "$dir/log.txt" 2>&1 || status=1
  cp "$dir"/run/reports/* "$dir"/ 2>/dev/null
  grep -o 'final mutation score is [0-9.]* %' "$dir/log.txt" | tail -n 1 || echo "$name: no score (see $dir/log.txt)"
done < tools/mutation/folders.tsv
shopt -s nullglob
reports=("$out"/*/mutation-report.json)
if [ ${#reports[@]} -gt 0 ]; then python3 tools/mutation/score.py "${reports[@]}"; else echo "no report: no run finished"; status=1; fi
exit $status
