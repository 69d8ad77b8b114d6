use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
#[state(exact)]
enum Light {
    Off,
    On,
}

fn main() {}
