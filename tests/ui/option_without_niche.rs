use stateword::Observable;

fn main() {
    // u8 uses all 256 bit patterns: Option<u8> has no spare room in one byte.
    let o = Observable::new(None::<u8>);
    o.set(Some(1));
}
