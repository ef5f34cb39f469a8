//! The migrated schema on a real MariaDB equals what the seed's own stack creates
//! (`tests/fixtures/reference-mysql.json`, a copy of ../shared/schema/reference-mysql.json).
//! Runs whenever MariaDB is reachable at TEST_MYSQL_URL (the test command starts it); on SQLite the same
//! migration must simply run and create the six tables.
use std::collections::BTreeMap;

use crate::helpers::*;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Map, Value};

const TABLES: [&str; 6] = ["attendances", "employees", "face_encodings", "leave_requests", "shift_settings", "users"];

async fn rows(db: &DatabaseConnection, sql: &str, schema: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [schema.into()])).await.unwrap()
}

fn s(r: &sea_orm::QueryResult, col: &str) -> Option<String> {
    r.try_get::<Option<String>>("", col)
        .unwrap_or_else(|_| r.try_get::<Option<Vec<u8>>>("", col).unwrap().map(|b| String::from_utf8(b).unwrap()))
}

/// Reads the structure from information_schema in the shape of the reference JSON.
pub async fn describe(db: &DatabaseConnection, schema: &str) -> Value {
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let cols = rows(
        db,
        "SELECT TABLE_NAME t, COLUMN_NAME n, COLUMN_TYPE ty, IS_NULLABLE nl, COLUMN_DEFAULT d, COLUMN_KEY k, EXTRA e \
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
        schema,
    )
    .await;
    for r in &cols {
        let t = out.entry(s(r, "t").unwrap()).or_default();
        let list = t.entry("columns").or_insert_with(|| json!([])).as_array_mut().unwrap();
        list.push(json!({
            "name": s(r, "n"), "column_type": s(r, "ty"), "nullable": s(r, "nl").as_deref() == Some("YES"),
            "default": s(r, "d"), "key": s(r, "k"), "extra": s(r, "e"),
        }));
    }
    let idx = rows(
        db,
        "SELECT TABLE_NAME t, INDEX_NAME i, COLUMN_NAME c, CAST(NON_UNIQUE AS CHAR) nu \
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        schema,
    )
    .await;
    for r in &idx {
        let t = out.entry(s(r, "t").unwrap()).or_default();
        let indexes = t.entry("indexes").or_insert_with(|| json!({})).as_object_mut().unwrap();
        let e = indexes
            .entry(s(r, "i").unwrap())
            .or_insert_with(|| json!({"columns": [], "unique": s(r, "nu").as_deref() == Some("0")}));
        e["columns"].as_array_mut().unwrap().push(json!(s(r, "c")));
    }
    let fks = rows(
        db,
        "SELECT TABLE_NAME t, COLUMN_NAME c, REFERENCED_TABLE_NAME rt, REFERENCED_COLUMN_NAME rc \
        FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
        ORDER BY TABLE_NAME, COLUMN_NAME",
        schema,
    )
    .await;
    for t in out.values_mut() {
        t.entry("foreign_keys").or_insert_with(|| json!([]));
    }
    for r in &fks {
        let t = out.get_mut(&s(r, "t").unwrap()).unwrap();
        t["foreign_keys"]
            .as_array_mut()
            .unwrap()
            .push(json!({"column": s(r, "c"), "ref_table": s(r, "rt"), "ref_column": s(r, "rc")}));
    }
    out.remove("seaql_migrations");
    serde_json::to_value(out).unwrap()
}

/// `SHOW CREATE TABLE` of each table, normalised like the reference file.
async fn show_create(db: &DatabaseConnection) -> String {
    let mut out = String::new();
    for t in ["users", "shift_settings", "employees", "face_encodings", "attendances", "leave_requests"] {
        let r = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SHOW CREATE TABLE `{t}`")))
            .await
            .unwrap()
            .unwrap();
        let ddl: String = r.try_get_by_index(1).unwrap();
        let ddl = ddl.split(' ').filter(|w| !w.starts_with("AUTO_INCREMENT=")).collect::<Vec<_>>().join(" ");
        out.push_str(&ddl);
        out.push_str("\n;\n");
    }
    out
}

fn diff(reference: &Value, actual: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let (r, a) = (reference.as_object().unwrap(), actual.as_object().unwrap());
    for t in r.keys().chain(a.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (r.get(t), a.get(t)) {
            (Some(rt), Some(at)) => {
                let (rc, ac) = (rt["columns"].as_array().unwrap(), at["columns"].as_array().unwrap());
                for i in 0..rc.len().max(ac.len()) {
                    if rc.get(i) != ac.get(i) {
                        problems.push(format!(
                            "{t} column #{}:\n  reference {:?}\n  migrated  {:?}",
                            i + 1,
                            rc.get(i),
                            ac.get(i)
                        ));
                    }
                }
                for part in ["indexes", "foreign_keys"] {
                    if rt[part] != at[part] {
                        problems.push(format!("{t}.{part}:\n  reference {}\n  migrated  {}", rt[part], at[part]));
                    }
                }
            }
            (Some(_), None) => problems.push(format!("table {t} missing")),
            (None, Some(_)) => problems.push(format!("extra table {t}")),
            (None, None) => unreachable!(),
        }
    }
    problems
}

#[tokio::test]
async fn migrations_reproduce_the_reference_schema_on_mariadb() {
    let server = mysql_server_url();
    let name = fresh_mysql_db_name();
    let url = format!("{server}/{name}");
    let db = match backend::db::connect(&url).await {
        Ok(db) => db,
        Err(e) if std::env::var("SKIP_MYSQL").is_ok() => {
            eprintln!("skipped: MariaDB not reachable at {server} and SKIP_MYSQL is set ({e})");
            return;
        }
        Err(e) => {
            panic!("MariaDB not reachable at {server}: {e}. Start it (the test command does) or set SKIP_MYSQL=1.")
        }
    };
    backend::db::migrate(&db).await.unwrap();
    let reference: Value = serde_json::from_str(include_str!("../fixtures/reference-mysql.json")).unwrap();
    let actual = describe(&db, &name).await;
    let problems = diff(&reference, &actual);
    assert!(problems.is_empty(), "schema differs from the reference:\n{}", problems.join("\n"));
    let expected_ddl = include_str!("../fixtures/reference-mysql-show-create.sql");
    let actual_ddl = show_create(&db).await;
    assert_eq!(actual_ddl.trim(), expected_ddl.trim(), "SHOW CREATE TABLE differs");
    // Migrating again is a no-op.
    backend::db::migrate(&db).await.unwrap();
    db.execute_unprepared(&format!("DROP DATABASE `{name}`")).await.unwrap();
}

#[tokio::test]
async fn migrations_create_the_six_tables_on_the_test_database() {
    let app = spawn_app().await;
    let backend_kind = app.db.get_database_backend();
    let sql = match backend_kind {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name AS n FROM sqlite_master WHERE type = 'table' ORDER BY name".to_string()
        }
        _ => {
            "SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME"
                .to_string()
        }
    };
    let got: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(backend_kind, sql))
        .await
        .unwrap()
        .iter()
        .map(|r| s(r, "n").unwrap())
        .filter(|n| n != "seaql_migrations" && !n.starts_with("sqlite_"))
        .collect();
    assert_eq!(got, TABLES.to_vec());
    // A second connection to the same URL migrates idempotently.
    let again = Database::connect(app.config.database_url.clone()).await.unwrap();
    backend::db::migrate(&again).await.unwrap();
}
