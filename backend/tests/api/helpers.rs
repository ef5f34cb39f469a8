#![allow(dead_code)]
//! Black-box test harness: starts the real application in-process on a random port, on a fresh database
//! (SQLite file by default; a fresh MariaDB database when `TEST_DB=mysql`), and talks HTTP to it.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use backend::config::Config;
use backend::startup::Application;
use backend::state::AppState;
use reqwest::{Client, Response, StatusCode};
use sea_orm::DatabaseConnection;
use serde_json::{json, Value};

pub const OWNER_EMAIL: &str = "owner@contoh.co.id";
pub const OWNER_PASSWORD: &str = "rahasia-sekali-123";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub db: DatabaseConnection,
    pub config: Config,
    /// Client with a cookie jar (behaves like the SPA).
    pub client: Client,
    /// Temp directory holding the SQLite file and uploads; removed on drop.
    pub _tmp: TempDir,
}

pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The shared real face photos (never copied into the repository): `$FACES_DIR`, else `../shared/data/faces`
/// beside the checkout, else `/work/shared/data/faces` (where a clone elsewhere on this machine, such as
/// CI's, finds them; the browser tests look in the same places). `None`, saying so, when none has them.
pub fn faces_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FACES_DIR").map(PathBuf::from),
        Some(workspace_root().join("../shared/data/faces")),
        Some(PathBuf::from("/work/shared/data/faces")),
    ];
    let found = candidates.into_iter().flatten().find(|d| d.join("dev/identities.csv").is_file());
    if found.is_none() {
        eprintln!("skipped: ../shared/data/faces not found (real face photos are needed for this test)");
    }
    found
}

/// `sqlite` (default) or `mysql`, from `TEST_DB`.
pub fn test_db_kind() -> String {
    std::env::var("TEST_DB").unwrap_or_else(|_| "sqlite".into()).to_lowercase()
}

/// Server URL of the test MariaDB (no database part).
pub fn mysql_server_url() -> String {
    std::env::var("TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root:@127.0.0.1:3306".into())
}

/// A unique name for a fresh MySQL test database (the test command drops leftovers before a run).
pub fn fresh_mysql_db_name() -> String {
    format!("absensi_t_{}", uuid::Uuid::new_v4().simple())
}

fn init_tracing() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            backend::telemetry::init(false, false);
        }
    });
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `customise` may change settings (e.g. geofence, challenge) before it starts.
pub async fn spawn_app_with(customise: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    init_tracing();
    let tmp = std::env::temp_dir().join(format!("absensi-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&tmp).unwrap();
    let database_url = match test_db_kind().as_str() {
        "mysql" => format!("{}/{}", mysql_server_url(), fresh_mysql_db_name()),
        _ => format!("sqlite://{}?mode=rwc", tmp.join("test.db").display()),
    };
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("APP_ENV".into(), "test".into());
    env.insert("DATABASE_URL".into(), database_url);
    env.insert("BIND_ADDR".into(), "127.0.0.1:0".into());
    env.insert("JWT_SECRET".into(), format!("test-secret-{}", uuid::Uuid::new_v4()));
    env.insert("UPLOAD_DIR".into(), tmp.join("uploads").display().to_string());
    env.insert("STATIC_DIR".into(), tmp.join("dist").display().to_string());
    env.insert("FACE_MODELS_DIR".into(), workspace_root().join("face-models").display().to_string());
    env.insert("DAILY_CLOSE_ENABLED".into(), "false".into());
    customise(&mut env);
    let config = Config::from_source(&env).expect("test config");
    let state: AppState = backend::startup::build_state(config.clone()).await.expect("build app state");
    let db = state.db.clone();
    let app = Application::build_with(state).expect("build app");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address: format!("http://127.0.0.1:{port}"), port, db, config, client, _tmp: TempDir(tmp) }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn create_owner(&self) {
        backend::services::users::create_owner(&self.db, OWNER_EMAIL, OWNER_PASSWORD).await.expect("create owner");
    }

    /// Creates the owner and logs in; the client keeps the cookie. Returns the bearer token.
    pub async fn login(&self) -> String {
        self.create_owner().await;
        let resp = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"email": OWNER_EMAIL, "password": OWNER_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.client.put(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.client.patch(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client.delete(self.url(path)).send().await.unwrap()
    }

    /// Creates a shift through the API and returns its JSON.
    pub async fn create_shift(&self, nama: &str, masuk: &str, pulang: &str, toleransi: i32) -> Value {
        let resp = self
            .post_json(
                "/api/shifts",
                &json!({"nama": nama, "jam_masuk": masuk, "jam_pulang": pulang, "toleransi_menit": toleransi}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "create shift");
        resp.json().await.unwrap()
    }

    /// Creates an employee through the API and returns its JSON.
    pub async fn create_employee(&self, kode: &str, nama: &str, shift_id: Option<i64>) -> Value {
        let resp = self
            .post_json("/api/employees", &json!({"kode": kode, "nama": nama, "email": format!("{}@contoh.co.id", kode.to_lowercase()), "shift_id": shift_id}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "create employee");
        resp.json().await.unwrap()
    }
}

/// Asserts the status and the error code of a JSON error response; returns the body.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Value {
    let got = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status (body: {body})");
    assert_eq!(body["error"]["code"], code, "error code (body: {body})");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message present: {body}");
    body
}

/// Every row of the six tables of the locked schema (DESIGN.md §3), ordered by id: compare two snapshots
/// to prove a request changed nothing (row counts and row contents).
#[derive(Debug, Clone, PartialEq)]
pub struct DbSnapshot {
    pub users: Vec<backend::entities::user::Model>,
    pub shift_settings: Vec<backend::entities::shift_setting::Model>,
    pub employees: Vec<backend::entities::employee::Model>,
    pub face_encodings: Vec<backend::entities::face_encoding::Model>,
    pub attendances: Vec<backend::entities::attendance::Model>,
    pub leave_requests: Vec<backend::entities::leave_request::Model>,
}

impl DbSnapshot {
    /// The upload paths the database names (profile photos and leave proofs), relative to `UPLOAD_DIR`.
    pub fn referenced_uploads(&self) -> std::collections::BTreeSet<PathBuf> {
        self.employees
            .iter()
            .filter_map(|e| e.foto_profil.clone())
            .chain(self.leave_requests.iter().filter_map(|l| l.bukti_foto.clone()))
            .map(PathBuf::from)
            .collect()
    }

    /// Row counts per table, for short messages.
    pub fn counts(&self) -> [(&'static str, usize); 6] {
        [
            ("users", self.users.len()),
            ("shift_settings", self.shift_settings.len()),
            ("employees", self.employees.len()),
            ("face_encodings", self.face_encodings.len()),
            ("attendances", self.attendances.len()),
            ("leave_requests", self.leave_requests.len()),
        ]
    }

    /// What differs from `other`, table by table (empty when equal).
    pub fn diff(&self, other: &DbSnapshot) -> Vec<String> {
        fn table<T: PartialEq + std::fmt::Debug>(name: &str, a: &[T], b: &[T], out: &mut Vec<String>) {
            if a != b {
                let changed: Vec<String> = b.iter().filter(|r| !a.contains(r)).map(|r| format!("{r:?}")).collect();
                let gone: Vec<String> = a.iter().filter(|r| !b.contains(r)).map(|r| format!("{r:?}")).collect();
                out.push(format!(
                    "{name}: {} -> {} rows; new/changed {changed:?}; gone/old {gone:?}",
                    a.len(),
                    b.len()
                ));
            }
        }
        let mut out = Vec::new();
        table("users", &self.users, &other.users, &mut out);
        table("shift_settings", &self.shift_settings, &other.shift_settings, &mut out);
        table("employees", &self.employees, &other.employees, &mut out);
        table("face_encodings", &self.face_encodings, &other.face_encodings, &mut out);
        table("attendances", &self.attendances, &other.attendances, &mut out);
        table("leave_requests", &self.leave_requests, &other.leave_requests, &mut out);
        out
    }
}

/// Reads all six tables (fails if one of them no longer exists).
pub async fn db_snapshot(db: &DatabaseConnection) -> DbSnapshot {
    use backend::entities::*;
    use sea_orm::{EntityTrait, QueryOrder};
    DbSnapshot {
        users: User::find().order_by_asc(user::Column::Id).all(db).await.expect("users"),
        shift_settings: ShiftSetting::find()
            .order_by_asc(shift_setting::Column::Id)
            .all(db)
            .await
            .expect("shift_settings"),
        employees: Employee::find().order_by_asc(employee::Column::Id).all(db).await.expect("employees"),
        face_encodings: FaceEncoding::find()
            .order_by_asc(face_encoding::Column::Id)
            .all(db)
            .await
            .expect("face_encodings"),
        attendances: Attendance::find().order_by_asc(attendance::Column::Id).all(db).await.expect("attendances"),
        leave_requests: LeaveRequest::find()
            .order_by_asc(leave_request::Column::Id)
            .all(db)
            .await
            .expect("leave_requests"),
    }
}

/// Every regular file under `dir` (recursively) with its bytes, keyed by the path relative to `dir`.
pub fn files_under(dir: &std::path::Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
