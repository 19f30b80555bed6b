#!/usr/bin/env bash
# my_job under SIGKILL: runs it on 200 000 lines, kills it (kill -9) at
# random moments ten times, runs it to the end, and checks that for every key
# the output holds each line's running total exactly once, against awk's
# count and sum of the input. Usage: kill_and_resume.sh PATH-TO-my_job
set -euo pipefail
job=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) printf "k%d,%d\n", int(rand() * 500), 1 + int(rand() * 100) }' > "$dir/input.csv"
echo "oops" >> "$dir/input.csv" # a malformed line is skipped
args=(--input "$dir/input.csv" --output "$dir/output.tsv" --state-dir "$dir/state" --parallelism 2)

kills=0
for round in $(seq 10); do
  "$job" "${args[@]}" 2> "$dir/stderr" &
  pid=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  if kill -9 "$pid" 2> /dev/null; then
    kills=$((kills + 1))
  fi
  { wait "$pid"; } 2> /dev/null || true
done
[ "$kills" -ge 5 ] || { echo "only $kills of 10 kills hit a running job"; exit 1; }
"$job" "${args[@]}" || { echo "the last run failed:"; cat "$dir/stderr"; exit 1; }

# The source reads the file as parallel splits, so lines of one key may be
# summed in another order than the file's; amounts are 1..100, so each
# key's totals rise strictly. Per key: as many totals as lines, rising, the
# last one the key's sum. A lost line lowers the sum, a repeated one adds a line.
awk -F, 'NF == 2 && $2 ~ /^[0-9]+$/ { n[$1]++; sum[$1] += $2 } END { for (k in n) print k "\t" n[k] "\t" sum[k] }' \
  "$dir/input.csv" | sort > "$dir/want.tsv"
awk -F'\t' '{ if ($1 in last && $2 <= last[$1]) bad[$1] = 1; last[$1] = $2; n[$1]++ }
  END { for (k in n) print k "\t" n[k] "\t" (k in bad ? "not rising" : last[k]) }' \
  "$dir/output.tsv" | sort > "$dir/got.tsv"
if ! cmp -s "$dir/want.tsv" "$dir/got.tsv"; then
  echo "output differs from the reference after $kills kills (key, lines, total):"
  diff "$dir/want.tsv" "$dir/got.tsv" | head
  exit 1
fi
echo "every total exactly once after $kills SIGKILLs ($(wc -l < "$dir/output.tsv") lines)"
