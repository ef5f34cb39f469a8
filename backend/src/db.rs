//! Database connection: SQLite by default (a file under `./data/`), MySQL/MariaDB in production.
//! A missing MySQL database is created; migrations are applied by `serve` and `migrate`.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    MySql,
}

pub fn kind_of(url: &str) -> Result<DbKind, DbErr> {
    if url.starts_with("sqlite:") {
        Ok(DbKind::Sqlite)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Ok(DbKind::MySql)
    } else {
        Err(DbErr::Custom(format!(
            "DATABASE_URL must start with sqlite:// or mysql:// (got {:?})",
            url.split("://").next().unwrap_or("")
        )))
    }
}

/// Splits `mysql://user:pw@host:port/db?opts` into (server URL without database, database name).
pub fn split_mysql_url(url: &str) -> Result<(String, String), DbErr> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| DbErr::Custom("bad DATABASE_URL".into()))?;
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (authority, db) = before_query
        .split_once('/')
        .ok_or_else(|| DbErr::Custom("DATABASE_URL for MySQL must name a database: mysql://user:pw@host/db".into()))?;
    if db.is_empty() || !db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
        return Err(DbErr::Custom(format!("invalid MySQL database name {db:?} (letters, digits, _ only)")));
    }
    let mut server = format!("{scheme}://{authority}/");
    if let Some(q) = query {
        server.push('?');
        server.push_str(q);
    }
    Ok((server, db.to_string()))
}

/// The SQLite file path of a `sqlite://path?opts` URL (None for in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(std::path::PathBuf::from(path))
    }
}

/// Creates the MySQL database if it does not exist (utf8mb4, as the reference schema).
pub async fn ensure_mysql_database(url: &str) -> Result<(), DbErr> {
    let (server, db) = split_mysql_url(url)?;
    let mut opts = ConnectOptions::new(server);
    opts.max_connections(1).sqlx_logging(false).connect_timeout(Duration::from_secs(10));
    let conn = Database::connect(opts).await?;
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        format!("CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"),
    ))
    .await?;
    conn.close().await?;
    Ok(())
}

/// How long a request waits for a database connection before it is answered 503 `DB_UNAVAILABLE`.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects (creating the SQLite directory or the MySQL database when missing).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
}

/// [`connect`] with the pool's acquire timeout (`DB_ACQUIRE_TIMEOUT_SECS`): while the database is down,
/// requests fail after this long with a clean 503 instead of hanging.
pub async fn connect_with(url: &str, acquire_timeout: Duration) -> Result<DatabaseConnection, DbErr> {
    let kind = kind_of(url)?;
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).connect_timeout(Duration::from_secs(10)).acquire_timeout(acquire_timeout);
    match kind {
        DbKind::Sqlite => {
            if let Some(file) = sqlite_file(url) {
                if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
            // WAL lets readers work while one writer writes; writers wait up to 10 s for the lock.
            opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        }
        DbKind::MySql => {
            ensure_mysql_database(url).await?;
            opts.max_connections(32).min_connections(1);
        }
    }
    Database::connect(opts).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `SELECT 1`, for the health check.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(db.get_database_backend(), "SELECT 1".to_string())).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_seed_uri() {
        let (server, db) = split_mysql_url("mysql://root:@localhost/attendance_system").unwrap();
        assert_eq!(server, "mysql://root:@localhost/");
        assert_eq!(db, "attendance_system");
        let (server, db) = split_mysql_url("mysql://u:p@127.0.0.1:3306/x_1?ssl-mode=disabled").unwrap();
        assert_eq!(server, "mysql://u:p@127.0.0.1:3306/?ssl-mode=disabled");
        assert_eq!(db, "x_1");
        assert!(split_mysql_url("mysql://root@localhost").is_err());
        assert!(split_mysql_url("mysql://root@localhost/bad-name;drop").is_err());
    }

    #[test]
    fn kinds_and_sqlite_paths() {
        assert_eq!(kind_of("sqlite://data/absensi.db?mode=rwc").unwrap(), DbKind::Sqlite);
        assert_eq!(kind_of("mysql://root:@localhost/a").unwrap(), DbKind::MySql);
        assert!(kind_of("postgres://x").is_err());
        assert_eq!(
            sqlite_file("sqlite://data/absensi.db?mode=rwc").unwrap(),
            std::path::PathBuf::from("data/absensi.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
