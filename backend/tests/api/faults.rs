//! Faults: the database going away under a running server (MariaDB only: the app reaches it through a TCP
//! proxy that the test cuts and restores), and a full disk under the upload directory.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::*;

/// A TCP proxy in front of MariaDB that can be "unplugged": while down it closes every open connection
/// and drops new ones at once (to the app this is a database that stopped).
struct DbProxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    _accept: JoinHandle<()>,
}

impl DbProxy {
    async fn start(upstream: String) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns2.lock().unwrap().push(task);
            }
        });
        DbProxy { addr, up, conns, _accept: accept }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn server_host_port() -> String {
    let url = mysql_server_url();
    let rest = url.split("://").nth(1).unwrap_or("");
    let host = rest.rsplit('@').next().unwrap_or("").trim_end_matches('/');
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:3306")
    }
}

#[tokio::test]
async fn a_database_outage_gives_clean_503s_writes_nothing_and_recovers() {
    if test_db_kind() != "mysql" {
        eprintln!("skipped: the database outage test runs with TEST_DB=mysql (SQLite has no server to lose)");
        return;
    }
    let proxy = DbProxy::start(server_host_port()).await;
    let db_name = fresh_mysql_db_name();
    let url = format!("mysql://root:@{}/{db_name}", proxy.addr);
    let app = spawn_app_with(|env| {
        env.insert("DATABASE_URL".into(), url.clone());
        env.insert("DB_ACQUIRE_TIMEOUT_SECS".into(), "1".into());
    })
    .await;
    app.login().await;
    let shift = app.create_shift("Pagi", "08:00", "17:00", 5).await;
    assert_eq!(app.get("/api/health").await.status(), 200);

    proxy.down();
    let t = Instant::now();
    // Reads, writes and the kiosk's configuration: each a JSON 503, none a 500 or a hang.
    let health = app.get("/api/health").await;
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Value>().await.unwrap()["database"], "unavailable");
    assert_error(app.get("/api/employees").await, 503, "DB_UNAVAILABLE").await;
    assert_error(app.get("/api/dashboard/summary").await, 503, "DB_UNAVAILABLE").await;
    let new_shift = json!({"nama": "Malam", "jam_masuk": "22:00", "jam_pulang": "06:00", "toleransi_menit": 5});
    assert_error(app.post_json("/api/shifts", &new_shift).await, 503, "DB_UNAVAILABLE").await;
    let emp = json!({"kode": "K-OUT", "nama": "Saat mati", "email": null, "shift_id": shift["id"]});
    assert_error(app.post_json("/api/employees", &emp).await, 503, "DB_UNAVAILABLE").await;
    let took = t.elapsed();
    assert!(took < Duration::from_secs(30), "five refused requests took {took:?}");

    // The database returns: the same server answers again without a restart.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if app.get("/api/health").await.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing the refused requests carried was half-written.
    let shifts: Value = app.get("/api/shifts").await.json().await.unwrap();
    let names: Vec<&str> = shifts.as_array().unwrap().iter().filter_map(|s| s["nama"].as_str()).collect();
    assert_eq!(names, vec!["Pagi"], "{shifts}");
    let employees: Value = app.get("/api/employees").await.json().await.unwrap();
    assert_eq!(employees["total"], 0, "{employees}");
    // And writes work again.
    assert_eq!(app.post_json("/api/shifts", &new_shift).await.status(), 201);
}

/// A tiny tmpfs mounted for the test (needs root and mount rights; otherwise the test is skipped).
struct TinyDisk(std::path::PathBuf);

impl TinyDisk {
    fn mount(kb: u32) -> Option<TinyDisk> {
        let dir = std::env::temp_dir().join(format!("absensi-full-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        Some(TinyDisk(dir))
    }

    /// Writes a filler file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join("filler")).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.flush();
    }

    fn files(&self) -> Vec<String> {
        fn walk(d: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    walk(&e.path(), out);
                } else {
                    out.push(e.file_name().to_string_lossy().into_owned());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_full_upload_disk_is_a_clear_507_and_changes_nothing() {
    let Some(disk) = TinyDisk::mount(64) else {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root); a full disk is then only unit-tested");
        return;
    };
    let upload_dir = disk.0.clone();
    let app = spawn_app_with(|env| {
        env.insert("UPLOAD_DIR".into(), upload_dir.display().to_string());
    })
    .await;
    app.login().await;
    let emp = app.create_employee("K-FULL", "Disk Penuh", None).await;
    disk.fill();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(400, 300, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }))
    .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
    .unwrap();
    let form = reqwest::multipart::Form::new()
        .part("photo", reqwest::multipart::Part::bytes(png).file_name("foto.png").mime_str("image/png").unwrap());
    let resp =
        app.client.post(app.url(&format!("/api/employees/{}/photo", emp["id"]))).multipart(form).send().await.unwrap();
    let body = assert_error(resp, 507, "STORAGE_FULL").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("penuh"), "{body}");
    // Nothing changed: no photo recorded, no half-written or temporary file left beside the filler.
    let after: Value = app.get(&format!("/api/employees/{}", emp["id"])).await.json().await.unwrap();
    assert!(after["foto_url"].is_null(), "{after}");
    assert_eq!(disk.files(), vec!["filler".to_string()]);
}
