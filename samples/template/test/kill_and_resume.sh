#!/usr/bin/env bash
# my_job under SIGKILL: runs it on 200 000 lines, kills it (kill -9) at
# random moments at least ten times, runs it to the end, and checks that for every key
# the output holds each line's running total exactly once, against awk's
# count and sum of the input. Usage: kill_and_resume.sh PATH-TO-my_job
set -euo pipefail
job=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) printf "k%d,%d\n", int(rand() * 500), 1 + int(rand() * 100) }' > "$dir/input.csv"
echo "oops" >> "$dir/input.csv" # a malformed line is skipped
args=(--input "$dir/input.csv" --output "$dir/output.tsv" --state-dir "$dir/state" --parallelism 2)

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# An uninterrupted run on a state of its own says how long the job takes.
began=$(ms)
"$job" --input "$dir/input.csv" --output "$dir/probe.tsv" --state-dir "$dir/probe-state" 2> "$dir/stderr" \
  || { echo "the probe run failed:"; cat "$dir/stderr"; exit 1; }
whole=$(( $(ms) - began ))

# Rounds from an empty state: kill the job at a random moment within the
# probe's time, start it again, until a run ends by itself; then check. A
# fast machine finishes a round in few kills, so rounds go on until ten
# kills hit a running job.
# The reference: awk's count and sum of the input, per key.
awk -F, 'NF == 2 && $2 ~ /^[0-9]+$/ { n[$1]++; sum[$1] += $2 } END { for (k in n) print k "\t" n[k] "\t" sum[k] }' \
  "$dir/input.csv" | sort > "$dir/want.tsv"

# The source reads the file as parallel splits, so lines of one key may be
# summed in another order than the file's; amounts are 1..100, so each
# key's totals rise strictly. Per key: as many totals as lines, rising, the
# last one the key's sum. A lost line lowers the sum, a repeated one adds a line.
check_output() {
  awk -F'\t' '{ if ($1 in last && $2 <= last[$1]) bad[$1] = 1; last[$1] = $2; n[$1]++ }
    END { for (k in n) print k "\t" n[k] "\t" (k in bad ? "not rising" : last[k]) }' \
    "$dir/output.tsv" | sort > "$dir/got.tsv"
  if ! cmp -s "$dir/want.tsv" "$dir/got.tsv"; then
    echo "output differs from the reference after $kills kills (key, lines, total):"
    diff "$dir/want.tsv" "$dir/got.tsv" | head
    exit 1
  fi
}

kills=0
for round in $(seq 20); do
  [ "$kills" -lt 10 ] || break
  rm -rf "$dir/state" "$dir/output.tsv"
  for attempt in $(seq 100); do # each run resumes further; 100 bound a stuck job
    "$job" "${args[@]}" 2> "$dir/stderr" &
    pid=$!
    sleep "$(awk -v ms=$(( whole / 10 + RANDOM % (whole / 2 + 1) )) 'BEGIN { printf "%.3f", ms / 1000 }')"
    kill -9 "$pid" 2> /dev/null || true
    status=0
    { wait "$pid"; } 2> /dev/null || status=$?
    if [ "$status" -eq 137 ]; then
      kills=$((kills + 1))
    elif [ "$status" -eq 0 ]; then
      break
    else
      echo "the job failed (exit $status):"; cat "$dir/stderr"; exit 1
    fi
  done
  [ "$status" -eq 0 ] || { echo "the job did not finish in 100 runs"; exit 1; }
  check_output
done
[ "$kills" -ge 10 ] || { echo "only $kills kills hit a running job"; exit 1; }

echo "every total exactly once after $kills SIGKILLs ($(wc -l < "$dir/output.tsv") lines)"
