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
    /// Mark ALPA for active employees with a shift and no attendance row on a work day (idempotent).
    CloseDay {
        /// The day to close (YYYY-MM-DD); default: today in APP_TIMEZONE.
        #[arg(long)]
        date: Option<String>,
    },
    /// Back up or restore face encodings as JSON keyed by employee kode (`encodings export FILE`).
    Encodings {
        #[arg(value_parser = ["export", "import"])]
        action: String,
        file: std::path::PathBuf,
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
        Command::CloseDay { date } => {
            let today = backend::domain::time::local(chrono::Utc::now(), config.timezone).date();
            let date = match date {
                Some(d) => backend::domain::time::parse_date(&d)
                    .ok_or_else(|| anyhow::anyhow!("--date must be YYYY-MM-DD, got {d:?}"))?,
                None => today,
            };
            let db = backend::startup::prepare(&config).await?;
            let report = backend::services::attendance::close_day(&db, &config, date, today)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            if report.work_day {
                println!(
                    "{}: {} marked ALPA, {} already had a row, {} not applicable (inactive, no shift, or created later)",
                    report.date, report.marked, report.had_row, report.not_applicable
                );
            } else {
                println!("{}: not a work day (WORK_DAYS); nothing marked", report.date);
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
        Command::Encodings { action, file } => {
            let state = backend::startup::build_state(config).await?;
            if action == "export" {
                let backup = backend::services::encodings::export(&state.db).await?;
                let json = serde_json::to_string_pretty(&backup)?;
                std::fs::write(&file, json).with_context(|| format!("write {}", file.display()))?;
                println!("exported {} encodings to {}", backup.entries.len(), file.display());
            } else {
                let text = std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
                let backup: backend::services::encodings::Backup =
                    serde_json::from_str(&text).with_context(|| format!("parse {}", file.display()))?;
                let r = backend::services::encodings::import(&state, &backup).await?;
                println!("imported {} encodings", r.imported);
                for k in &r.unknown_kode {
                    println!("skipped: no employee with kode {k}");
                }
                for (who, why) in &r.refused {
                    println!("refused: {who}: {why} -> register this face again");
                }
            }
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
