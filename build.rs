//! The build's time, for telling a router clock that has not been set yet (it reads the
//! firmware's build date or 1970 until NTP syncs): no true clock reads earlier than this.
//! SOURCE_DATE_EPOCH, when set, keeps the build reproducible (OpenWrt's build sets it).

fn main() {
    let at = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    });
    println!("cargo:rustc-env=EDGEDDNS_BUILD_TIME={at}");
    // The time of the last change to the program, not of every test edit.
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
}
