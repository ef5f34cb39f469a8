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
    /// Fill an EMPTY database with demo data in bulk (employees on three shifts, a year of attendance,
    /// leaves): for trying the dashboard and for `bench-dashboard`. Refuses a database with employees.
    SeedDemo {
        #[arg(long, default_value_t = 1000)]
        employees: usize,
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Last day of attendance (YYYY-MM-DD); default today in APP_TIMEZONE.
        #[arg(long)]
        end: Option<String>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Time the dashboard queries on DATABASE_URL (p50/p95 per call) and print one JSON object.
    BenchDashboard {
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// Write the attendance report of a period to a file (`xlsx` or `pdf`), as the API does; prints rows,
    /// size, time and the process's peak memory as JSON.
    ExportReport {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, value_parser = ["xlsx", "pdf"], default_value = "xlsx")]
        format: String,
        #[arg(long)]
        employee_id: Option<i32>,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Evaluate the face pipeline on a dataset (DIR/identities.csv, DIR/pairs.csv) with the configured
    /// matching policy; prints one JSON object (DESIGN.md §10) as the last line.
    EvalFace {
        #[arg(long)]
        dataset: std::path::PathBuf,
    },
    /// Time decode -> embedding per image and 1:N search over 1k/10k/100k synthetic encodings; prints JSON.
    BenchFace {
        #[arg(long)]
        images: std::path::PathBuf,
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
    // the server logs to stdout; the other commands print their result there (JSON, reports, counts)
    backend::telemetry::init(config.log_format_json, !matches!(cli.command, Command::Serve));
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
        Command::SeedDemo { employees, days, end, seed } => {
            let end = match end {
                Some(s) => backend::domain::time::parse_date(&s).context("--end must be YYYY-MM-DD")?,
                None => backend::domain::time::local(chrono::Utc::now(), config.timezone).date(),
            };
            anyhow::ensure!(employees > 0 && (1..=3660).contains(&days), "--employees > 0 and --days 1..=3660");
            let db = backend::startup::prepare(&config).await?;
            let opts = backend::services::demo::SeedOptions { employees, days, end, seed };
            println!("{}", backend::services::demo::seed(&db, &config, &opts).await?);
        }
        Command::BenchDashboard { iterations } => {
            let db = backend::startup::prepare(&config).await?;
            println!("{}", backend::services::demo::bench_dashboard(&db, &config, iterations.max(1)).await?);
        }
        Command::ExportReport { from, to, format, employee_id, out } => {
            let (from, to) = match (backend::domain::time::parse_date(&from), backend::domain::time::parse_date(&to)) {
                (Some(f), Some(t)) if f <= t => (f, t),
                _ => anyhow::bail!("--from and --to must be YYYY-MM-DD with from <= to"),
            };
            let db = backend::startup::prepare(&config).await?;
            let (rss_before, _) = backend::services::demo::rss_mib();
            let started = std::time::Instant::now();
            let filter = backend::services::reports::ReportFilter { from, to, employee_id, status: None };
            let meta = backend::export::ReportMeta {
                company: config.company_name.clone(),
                from,
                to,
                generated: backend::domain::time::local(chrono::Utc::now(), config.timezone),
                timezone: config.timezone,
                filter_note: employee_id.map(|id| format!("karyawan #{id}")),
            };
            let fail = |e: backend::error::AppError| anyhow::anyhow!("{}", e.message);
            let (rows, pages) = if format == "pdf" {
                let (bytes, pages) =
                    backend::services::reports::export_pdf(&db, config.report_pdf_max_rows, &filter, &meta)
                        .await
                        .map_err(fail)?;
                std::fs::write(&out, bytes).with_context(|| format!("write {}", out.display()))?;
                (backend::services::reports::count_rows(&db, &filter).await?, Some(pages))
            } else {
                let (mut file, rows) =
                    backend::services::reports::export_xlsx(&db, &filter, &meta).await.map_err(fail)?;
                use std::io::Seek;
                file.rewind()?;
                let mut dest = std::fs::File::create(&out).with_context(|| format!("create {}", out.display()))?;
                std::io::copy(&mut file, &mut dest)?;
                (rows, None)
            };
            let (rss_peak, rss_now) = backend::services::demo::rss_mib();
            let bytes = std::fs::metadata(&out)?.len();
            println!(
                "{}",
                serde_json::json!({"format": format, "rows": rows, "pages": pages, "bytes": bytes,
                    "seconds": (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
                    "rss_mib": {"before": rss_before, "peak": rss_peak, "after": rss_now}})
            );
        }
        Command::EvalFace { dataset } => {
            let policy = backend::face_service::policy_from(&config)?;
            let models = config.face_models_dir.clone();
            let report =
                tokio::task::spawn_blocking(move || face_engine::eval::run_eval_face(&models, &dataset, &policy))
                    .await?
                    .map_err(|e| anyhow::anyhow!(e))?;
            println!("{report}");
        }
        Command::BenchFace { images } => {
            let models = config.face_models_dir.clone();
            let report = tokio::task::spawn_blocking(move || face_engine::eval::run_bench_face(&models, &images))
                .await?
                .map_err(|e| anyhow::anyhow!(e))?;
            println!("{report}");
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
