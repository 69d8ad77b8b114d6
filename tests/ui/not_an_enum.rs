use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
struct Level(u8);

fn main() {}
