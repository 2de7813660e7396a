use clap::Parser;

/// mimalloc instead of glibc's malloc: a page of facts allocates and frees many small values
/// (rows, GraphQL values, JSON), and glibc's allocator took a fifth of the server's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = chancery::config::Cli::parse();
    chancery::telemetry::init(&cli.log);
    match chancery::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", chancery::cli::error_report(&error));
            std::process::ExitCode::FAILURE
        }
    }
}
