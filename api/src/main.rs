use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = chancery::config::Cli::parse();
    chancery::telemetry::init(&cli.log);
    match chancery::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
