use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
enum Digit { D0, D1, D2, D3, D4, D5, D6, D7, D8, D9 }

// 10 * 10 = 100 values: more than the 64 a finite state may have.
#[derive(Clone, Copy, PartialEq, State)]
#[state(finite)]
struct Score {
    home: Digit,
    away: Digit,
}

fn main() {}
