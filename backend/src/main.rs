//! The `backend` binary: a thin CLI over the library (see DESIGN.md §10 for the stable command names).
use std::io::{BufRead, Write};

use anyhow::Context;
use backend::config::Config;
use backend::startup::Application;
use clap::{Parser, Subcommand};
use migration::MigratorTrait;

#[derive(Parser)]
#[command(name = "backend", version, about = "absensi wajah: face-recognition attendance server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve the API and the SPA on BIND_ADDR.
    Serve,
    /// Apply pending migrations (`migrate status` lists them).
    Migrate {
        #[arg(value_parser = ["up", "status"], default_value = "up")]
        action: String,
    },
    /// Create an owner account (password from --password, OWNER_PASSWORD, or a prompt).
    CreateOwner {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[actix_web::main]
async fn main() {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    backend::telemetry::init(config.log_format_json);
    if let Err(e) = run(cli.command, config).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            let scheme = if config.tls_enabled() { "https" } else { "http" };
            tracing::info!(port = app.port(), "listening on {scheme}://{}:{}", config.bind_addr.ip(), app.port());
            app.run_until_stopped().await?;
            tracing::info!("stopped");
        }
        Command::Migrate { action } => {
            let db = backend::db::connect(&config.database_url).await.context("connect to DATABASE_URL")?;
            if action == "status" {
                for m in migration::Migrator::get_applied_migrations(&db).await? {
                    println!("applied  {}", m.name());
                }
                for m in migration::Migrator::get_pending_migrations(&db).await? {
                    println!("pending  {}", m.name());
                }
            } else {
                backend::db::migrate(&db).await.context("migrate")?;
                println!("migrations applied");
            }
        }
        Command::CreateOwner { email, password } => {
            let password = match password.or_else(|| config.owner_password.clone()) {
                Some(p) => p,
                None => prompt_password()?,
            };
            let db = backend::startup::prepare(&config).await?;
            let user = backend::services::users::create_owner(&db, &email, &password).await?;
            println!("owner created: id={} email={}", user.id, user.email);
        }
    }
    Ok(())
}

fn prompt_password() -> anyhow::Result<String> {
    eprint!("Password for the new owner (input is shown): ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
