fn main() -> std::process::ExitCode {
    // Before anything that takes time: a SIGHUP or SIGUSR1 that arrives while the daemon
    // starts must wait for its signalfd, not kill it (their default action is to terminate).
    // `cli::main` lets them through again for every command but `run`.
    let _ = edgeddns::daemon::handled_signals().thread_block();
    let args: Vec<String> = std::env::args().skip(1).collect();
    edgeddns::cli::main(&args)
}
