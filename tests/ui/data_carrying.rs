use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
enum Conn {
    Disconnected,
    Connected(u32),
}

fn main() {}
