fn main() {
    println!("edgeddns {}", env!("CARGO_PKG_VERSION"));
}
