use clap::Parser;

fn main() {
    let cli = nsbgp::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("NSBGP_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // The one place a failure becomes an exit code.
    match rt.block_on(nsbgp::cli::run(cli)) {
        Ok(()) => {}
        // `exec`/`vtysh`: the program spoke for itself; pass its status on.
        Err(nsbgp::error::Error::Exited(code)) => std::process::exit(code),
        Err(e) => {
            eprintln!("nsbgp: error: {e}");
            std::process::exit(nsbgp::error::exit_code(&e));
        }
    }
}
