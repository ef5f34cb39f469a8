//! Tracing setup: human-readable or JSON logs (`LOG_FORMAT=json`), level from `RUST_LOG` (default `info`).
//! Request logs carry a request id (tracing-actix-web); bodies, frames and secrets are never logged.
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::{fmt, EnvFilter};

/// Logs go to stdout, or with `to_stderr` to stderr (for the commands whose stdout is their result, such as
/// the JSON of `eval-face` and `bench-face`).
pub fn init(json: bool, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tract=warn,tract_core=warn,tract_onnx=warn"));
    let writer = if to_stderr { BoxMakeWriter::new(std::io::stderr) } else { BoxMakeWriter::new(std::io::stdout) };
    let builder = fmt().with_env_filter(filter).with_target(false).with_writer(writer);
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}
