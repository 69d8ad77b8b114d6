#!/usr/bin/env bash
# Instructions per iteration of the hot paths (benches/instructions.rs)
# under callgrind: counts that do not move with the machine's noise.
#
#   bash tools/instructions.sh            # this tree
#   bash tools/instructions.sh 4ba6353    # this tree, then that commit (a worktree)
#
# Each loop runs twice (N and 2N iterations); the difference over N is the
# cost of one iteration, without the program's start-up. Next to the
# instructions, the atomic read-modify-writes among them
# (tools/locked-ops.py): each counts as one instruction but costs tens of
# cycles.
set -euo pipefail
cd "$(dirname "$0")/.."
loops=(get set set-parked wake fanout handoff get-data set-data wake-data fanout-data
  set-parked-async-event wake-async-event fanout-async-event handoff-async-event)
iterations() { case $1 in get* | set*) echo 100000 ;; wake* | handoff*) echo 2000 ;; *) echo 100 ;; esac; }

# The bench executable of the tree at $1, built in its own target dir.
build() { # tree target-dir [rustflags]
  local out path
  out=$(cd "$1" && RUSTFLAGS="${3:-}" cargo bench --no-run --bench instructions --target-dir "$2" 2>&1) ||
    { echo "$out" >&2; return 1; }
  path=$(sed -n 's/.*Executable .*(\(.*\)).*/\1/p' <<<"$out" | tail -n 1)
  case $path in /*) echo "$path" ;; ?*) echo "$1/$path" ;; esac
}

profile=$(mktemp)
trap 'rm -f "$profile"' EXIT
count() { # binary loop n -> "instructions locked-instructions"
  local total
  total=$(valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$profile" "$1" "$2" "$3" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  [ -n "$total" ] || return 1
  echo "$total $(python3 tools/locked-ops.py "$profile")"
}

report() { # label tree target-dir [rustflags]
  local bin
  bin=$(build "$2" "$3" "${4:-}")
  [ -n "$bin" ] || { echo "no instructions bench in $2" >&2; return 1; }
  echo "== $1"
  for loop in "${loops[@]}"; do
    n=$(iterations "$loop")
    if ! a=$(count "$bin" "$loop" "$n"); then
      printf '%-20s %10s\n' "$loop" "-"
      continue
    fi
    b=$(count "$bin" "$loop" $((2 * n)))
    awk -v l="$loop" -v a="$a" -v b="$b" -v n="$n" 'BEGIN {
      split(a, x, " "); split(b, y, " ")
      printf "%-20s %10.2f instructions, %6.2f atomic RMWs per iteration\n", l, (y[1] - x[1]) / n, (y[2] - x[2]) / n
    }'
  done
}

report "this tree" . target
if [ $# -gt 0 ]; then
  tree=target/instructions-$1
  [ -d "$tree" ] || git worktree add --detach "$tree" "$1" >/dev/null
  # An older commit may lack the bench, and states with data: bring this
  # bench along, built without its data state there.
  flags=
  if ! git cat-file -e "$1:benches/instructions.rs" 2>/dev/null; then
    cp benches/instructions.rs "$tree/benches/"
    grep -q 'name = "instructions"' "$tree/Cargo.toml" ||
      printf '\n[[bench]]\nname = "instructions"\nharness = false\nrequired-features = ["derive"]\n' >>"$tree/Cargo.toml"
    flags="--cfg instructions_fieldless_only"
  fi
  # Worktrees share that target dir, and cargo names their artifacts alike:
  # after another worktree's build there, it may find this one's "fresh" and
  # report the other commit's binary. Touching the sources rebuilds it.
  touch "$tree"/src/*.rs
  report "$1" "$tree" "$PWD/target/instructions-target" "$flags"
fi
