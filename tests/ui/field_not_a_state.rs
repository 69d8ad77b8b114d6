use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
enum Conn {
    Disconnected,
    // A `u64` does not fit next to its version; `&str` is no value at all.
    Connected { peer: u64 },
    Closed(&'static str),
}

fn main() {}
