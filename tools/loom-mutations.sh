#!/usr/bin/env bash
# Shows that each loom model catches the bug it is there for: applies one
# mutation at a time to a scratch copy of the crate, runs the model that
# should catch it, and fails if a mutant survives.
#
#   bash tools/loom-mutations.sh            # every mutation
#   bash tools/loom-mutations.sh arm-first  # one, by name
#
# Takes a few minutes per mutation on 2 cores (a release loom build each).
# Mutants build in their own target dir: cargo names a package's artifacts
# by its path relative to the workspace, so a mutant built in target/loom
# would overwrite the tree's own loom binary, which then looks up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=${SCRATCH:-$root/target/mutants}

# name | file | perl substitution | loom model that must fail
# (The lock byte's own logic, which loom builds replace with a loom mutex,
# is checked by the unit tests in src/list_lock.rs instead.)
mutations=(
  "arm-first|src/list_lock.rs|s/(        let gate = self\.gate\.lock\(\)\.unwrap\(\);\n)/        if how == Acquire::SetPending {\n            self.byte.fetch_or(PENDING, Ordering::SeqCst);\n        }\n\$1/; s/(            Acquire::SetPending => \{\n)                self\.byte\.fetch_or\(PENDING, Ordering::SeqCst\);\n/\$1/|a_woken_waiter_listens_again_between_two_setters"
  "listen-unarmed|src/list_lock.rs|s/(            Acquire::SetPending => \{\n)                self\.byte\.fetch_or\(PENDING, Ordering::SeqCst\);\n/\$1/|set_races_the_first_poll"
  "notified-relaxed|src/notify.rs|s/state\.store\(NOTIFIED, Ordering::Release\)/state.store(NOTIFIED, Ordering::Relaxed)/|set_races_the_first_poll"
  "notified-before-take|src/notify.rs|s/(            let waker = entry\.as_ref\(\)\.take_waker\(\);\n)((?:.*\n)*?)(            entry\.as_ref\(\)\.state\.store\(NOTIFIED, Ordering::Release\);\n)/\$3\$2\$1/|set_races_the_first_poll"
  "record-after-notify|src/waiters.rs|s/        record\(\);\n        seqcst_order_point\(\);\n        self\.list\.notify_all\(\);\n/        self.list.notify_all();\n        seqcst_order_point();\n        record();\n/|a_state_left_by_another_thread"
  "no-ledger-entry|src/observable.rs|s/if S::VARIANTS > 0 \{/if false {/|a_state_left_by_another_thread"
  "cursor-stays|src/subscriber.rs|s/\*cursor = version;//|subscriber_changed_races_setters"
  "entry-is-current|src/wait.rs|s/let entry = Layout::<S>::value\(slot\);/let entry = Layout::<S>::value(observable.word.read_in_order());/|a_transient_payload_races_a_second_entry_of_its_variant"
  "unmoved-by-one|src/wait.rs|s/if Layout::<S>::version\(word\) == v0 \{/if Layout::<S>::version(word).wrapping_sub(v0) <= 1 {/|set_races_the_first_poll"
  "first-entry-stays|src/ledger.rs|s/slot\.swap\(put, Ordering::SeqCst\)/slot.compare_exchange(0, put, Ordering::SeqCst, Ordering::SeqCst).unwrap_or_else(core::convert::identity)/|the_latest_payload_of_a_variant_is_seen"
  "publish-after-count|src/waiters.rs|s/listener\.listen\(&self\.list, waker, \x7c\x7c \{\n +if !registered \{\n +publish\(\);\n +\}\n +\}\)/listener.listen(\&self.list, waker, \x7c\x7c ())/; s/(            self\.registered\.fetch_add\(1, Ordering::SeqCst\);\n)/\$1            publish();\n/|a_wait_that_begins_after_an_entry_gets_the_next_one_recorded"
  "window-ignored|src/ledger.rs|s/&& entered_since::<S>\(held, start, version\)\.is_some\(\)/\&\& held != 0 \&\& start != version/|a_wait_that_begins_after_an_entry_gets_the_next_one_recorded"
  "newest-ahead|src/ledger.rs|s/Layout::<S>::distance\(start, version\) <= Layout::<S>::VERSION_MASK \/ 2/true/|a_setter_delayed_past_a_new_registration_still_records"
  "counted-ahead|src/ledger.rs|s/Layout::<S>::distance\(start, now\) >= Layout::<S>::distance\(version, now\)/true/|a_delayed_setter_counts_the_newest_start_back_from_the_word"
  "start-relaxed|src/ledger.rs|s/newest\.load\(Ordering::Acquire\)/newest.load(Ordering::Relaxed)/|a_delayed_setter_counts_the_newest_start_back_from_the_word"
  "publish-relaxed|src/ledger.rs|s/(    \} else \{\n        )Ordering::Release/\$1Ordering::Relaxed/|a_delayed_setter_counts_the_newest_start_back_from_the_word"
  "no-put-back|src/ledger.rs|s/        put = displaced;/        return;/|a_late_record_puts_a_later_entry_of_its_variant_back"
)

survivors=()
for entry in "${mutations[@]}"; do
  IFS='|' read -r name file subst model <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  rm -rf "$scratch/src" "$scratch/tests" && mkdir -p "$scratch"
  cp -r Cargo.toml Cargo.lock src tests derive benches examples README.md docs "$scratch/"
  before=$(sha1sum "$scratch/$file")
  perl -0pi -e "$subst" "$scratch/$file"
  if [ "$before" = "$(sha1sum "$scratch/$file")" ]; then
    echo "mutation $name: the pattern no longer matches $file; update this script" >&2
    exit 2
  fi
  log="$scratch/$name.log"
  run() {
    (cd "$scratch" && RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 \
      cargo test --quiet --release --target-dir "$root/target/loom-mutants" --test loom "$@")
  }
  # A mutant that does not build proves nothing: that is an error here.
  if ! run --no-run >"$log" 2>&1; then
    echo "mutation $name does not build; see $log" >&2
    exit 2
  fi
  if run -- --exact "$model" >>"$log" 2>&1; then
    echo "SURVIVED: $name ($model passed)"
    survivors+=("$name")
  else
    echo "caught:   $name by $model"
  fi
done
[ ${#survivors[@]} -eq 0 ] || { echo "mutants survived: ${survivors[*]}" >&2; exit 1; }
