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
    if let Err(e) = rt.block_on(nsbgp::cli::run(cli)) {
        eprintln!("nsbgp: error: {e}");
        std::process::exit(e.exit_code());
    }
}
