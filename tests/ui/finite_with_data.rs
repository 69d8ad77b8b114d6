use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
#[state(finite)]
enum Conn {
    Disconnected,
    Closed { code: u16 },
}

// A struct with an integer field is level-triggered, so not finite either.
#[derive(Clone, Copy, PartialEq, State)]
#[state(finite)]
struct Link {
    up: bool,
    speed: u16,
}

fn main() {}
