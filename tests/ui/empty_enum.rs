use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
enum Never {}

fn main() {}
