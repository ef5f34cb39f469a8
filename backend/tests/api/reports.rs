//! Attendance reports: JSON rows and summary (late/early minutes in SQL agree with the Rust rules, night
//! shift included), the .xlsx read back with calamine (real dates and times), the PDF checked with
//! `pdftotext` and rendered with `pdftoppm`, limits and bad input.
//!
//! Needs poppler-utils (`pdftotext`, `pdftoppm`); `make test` installs it when missing.
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::*;
use crate::leaves::insert_att;
use backend::entities::AttendanceStatus::*;
use calamine::{Data, DataType, Reader, Xlsx};
use chrono::{Duration, NaiveDate, NaiveTime};
use serde_json::{json, Value};

const COMPANY: &str = "PT Maju Jaya Sentosa";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Fixture {
    app: TestApp,
    budi: i64,
    citra: i64,
}

/// Budi (day shift), Citra (night shift), Dodi (no shift): known rows in November 2026, one row outside.
async fn fixture(extra_env: &[(&str, &str)]) -> Fixture {
    let extra: Vec<(String, String)> = extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let app = spawn_app_with(move |env| {
        env.insert("COMPANY_NAME".into(), COMPANY.into());
        for (k, v) in extra {
            env.insert(k, v);
        }
    })
    .await;
    app.login().await;
    let pagi = app.create_shift("Pagi", "08:00", "17:00", 5).await["id"].as_i64();
    let malam = app.create_shift("Malam", "22:00", "06:00", 10).await["id"].as_i64();
    let budi = app.create_employee("EMP-001", "Budi Santoso", pagi).await["id"].as_i64().unwrap();
    let citra = app.create_employee("EMP-002", "Citra Ma'ruf", malam).await["id"].as_i64().unwrap();
    let dodi = app.create_employee("EMP-003", "Dodi Tanpa Shift", None).await["id"].as_i64().unwrap();
    let db = &app.db;
    let (b, c, o) = (budi as i32, citra as i32, dodi as i32);
    insert_att(db, b, d("2026-10-31"), Hadir, Some("07:50"), Some("17:00")).await;
    insert_att(db, b, d("2026-11-02"), Hadir, Some("07:55"), Some("17:10")).await;
    insert_att(db, b, d("2026-11-03"), Terlambat, Some("08:20"), Some("16:30")).await;
    insert_att(db, b, d("2026-11-04"), Izin, None, None).await;
    insert_att(db, b, d("2026-11-05"), Alpa, None, None).await;
    insert_att(db, b, d("2026-11-06"), Ditolak, None, None).await;
    insert_att(db, c, d("2026-11-02"), Terlambat, Some("00:30"), Some("05:30")).await;
    insert_att(db, c, d("2026-11-03"), Hadir, Some("21:55"), Some("06:05")).await;
    insert_att(db, o, d("2026-11-02"), Hadir, Some("08:30"), Some("12:00")).await;
    Fixture { app, budi, citra }
}

const NOV: &str = "from=2026-11-01&to=2026-11-30";

#[tokio::test]
async fn json_report_rows_summary_filters_and_pages() {
    let f = fixture(&[]).await;
    let app = &f.app;
    let r: Value = app.get(&format!("/api/reports/attendance?{NOV}")).await.json().await.unwrap();
    assert_eq!((r["from"].as_str(), r["to"].as_str()), (Some("2026-11-01"), Some("2026-11-30")));
    assert_eq!(r["total_rows"], 8);
    let rows = r["rows"].as_array().unwrap();
    let order: Vec<(&str, &str)> =
        rows.iter().map(|x| (x["kode"].as_str().unwrap(), x["tanggal"].as_str().unwrap())).collect();
    assert_eq!(
        order,
        vec![
            ("EMP-001", "2026-11-02"),
            ("EMP-001", "2026-11-03"),
            ("EMP-001", "2026-11-04"),
            ("EMP-001", "2026-11-05"),
            ("EMP-001", "2026-11-06"),
            ("EMP-002", "2026-11-02"),
            ("EMP-002", "2026-11-03"),
            ("EMP-003", "2026-11-02"),
        ]
    );
    assert_eq!(rows[1]["check_in"], "08:20");
    assert_eq!((rows[1]["late_minutes"].as_i64(), rows[1]["early_leave_minutes"].as_i64()), (Some(20), Some(30)));
    assert_eq!((rows[5]["late_minutes"].as_i64(), rows[5]["early_leave_minutes"].as_i64()), (Some(150), Some(30)));
    let summary = r["summary"].as_array().unwrap();
    assert_eq!(
        summary[0],
        json!({"employee_id": f.budi, "kode": "EMP-001", "nama": "Budi Santoso", "hadir": 1, "terlambat": 1,
               "late_minutes": 20, "early_leave_minutes": 30, "izin": 1, "alpa": 1, "ditolak": 1})
    );
    assert_eq!(
        summary[1],
        json!({"employee_id": f.citra, "kode": "EMP-002", "nama": "Citra Ma'ruf", "hadir": 1, "terlambat": 1,
               "late_minutes": 150, "early_leave_minutes": 30, "izin": 0, "alpa": 0, "ditolak": 0})
    );
    assert_eq!(summary[2]["hadir"], 1);
    assert_eq!((summary[2]["late_minutes"].as_i64(), summary[2]["early_leave_minutes"].as_i64()), (Some(0), Some(0)));
    // The SQL aggregate and the per-row Rust rule agree for every employee.
    for s in summary {
        let mine: Vec<&Value> = rows.iter().filter(|x| x["employee_id"] == s["employee_id"]).collect();
        let sum = |k: &str| mine.iter().map(|x| x[k].as_i64().unwrap()).sum::<i64>();
        assert_eq!(s["late_minutes"].as_i64().unwrap(), sum("late_minutes"), "{s}");
        assert_eq!(s["early_leave_minutes"].as_i64().unwrap(), sum("early_leave_minutes"), "{s}");
    }

    let r: Value =
        app.get(&format!("/api/reports/attendance?{NOV}&employee_id={}", f.budi)).await.json().await.unwrap();
    assert_eq!(r["total_rows"], 5);
    assert_eq!(r["summary"].as_array().unwrap().len(), 1);
    let r: Value = app.get(&format!("/api/reports/attendance?{NOV}&status=alpa")).await.json().await.unwrap();
    assert_eq!(r["total_rows"], 1);
    assert_eq!(r["summary"][0]["alpa"], 1);
    assert_eq!(r["summary"][0]["hadir"], 0);
    let r: Value = app.get(&format!("/api/reports/attendance?{NOV}&per_page=3&page=2")).await.json().await.unwrap();
    assert_eq!((r["total_rows"].as_u64(), r["page"].as_u64(), r["per_page"].as_u64()), (Some(8), Some(2), Some(3)));
    let kodes: Vec<&str> = r["rows"].as_array().unwrap().iter().map(|x| x["tanggal"].as_str().unwrap()).collect();
    assert_eq!(kodes, vec!["2026-11-05", "2026-11-06", "2026-11-02"]);
    assert_eq!(r["summary"].as_array().unwrap().len(), 3, "the summary covers the whole period");
    let r: Value = app.get("/api/reports/attendance?from=2026-12-01&to=2026-12-31").await.json().await.unwrap();
    assert_eq!((r["total_rows"].as_u64(), r["rows"].as_array().unwrap().len()), (Some(0), 0));
}

/// A check-in more than 12 hours after `jam_masuk` is as late in the report and the ranking as the kiosk
/// said (it used to count 0 minutes: the offset was folded into +-12 h), and a night shift's check-in after
/// midnight still counts from the previous evening.
#[tokio::test]
async fn late_minutes_beyond_twelve_hours_match_the_kiosk_rule() {
    use backend::domain::attendance::ShiftTimes;
    use backend::domain::time::parse_hhmm;
    let f = fixture(&[]).await;
    let app = &f.app;
    let (b, c) = (f.budi as i32, f.citra as i32);
    insert_att(&app.db, b, d("2026-11-09"), Terlambat, Some("20:17"), None).await;
    insert_att(&app.db, c, d("2026-11-09"), Terlambat, Some("13:59"), None).await;
    let kiosk = |jm: &str, jp: &str, ci: &str| {
        ShiftTimes::new(parse_hhmm(jm).unwrap(), parse_hhmm(jp).unwrap(), Some(5))
            .late_minutes(d("2026-11-09"), parse_hhmm(ci).unwrap())
    };
    let (budi_late, citra_late) = (kiosk("08:00", "17:00", "20:17"), kiosk("22:00", "06:00", "13:59"));
    assert_eq!((budi_late, citra_late), (737, 959));

    let r: Value = app.get("/api/reports/attendance?from=2026-11-09&to=2026-11-09").await.json().await.unwrap();
    let late: Vec<(i64, i64)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["employee_id"].as_i64().unwrap(), x["late_minutes"].as_i64().unwrap()))
        .collect();
    assert_eq!(late, vec![(f.budi, budi_late), (f.citra, citra_late)]);
    let summary: Vec<i64> =
        r["summary"].as_array().unwrap().iter().map(|s| s["late_minutes"].as_i64().unwrap()).collect();
    assert_eq!(summary, vec![budi_late, citra_late]);

    // November: Budi 20 + 737, Citra 150 + 959, in the report summary and in the dashboard's ranking alike.
    let r: Value = app.get(&format!("/api/reports/attendance?{NOV}")).await.json().await.unwrap();
    let by_emp = |id: i64| r["summary"].as_array().unwrap().iter().find(|s| s["employee_id"] == id).cloned().unwrap();
    assert_eq!(by_emp(f.budi)["late_minutes"], 20 + budi_late);
    assert_eq!(by_emp(f.citra)["late_minutes"], 150 + citra_late);
    let lr: Value = app.get("/api/dashboard/late-ranking?from=2026-11-01&to=2026-11-30").await.json().await.unwrap();
    let ranked: Vec<(i64, i64, i64)> = lr["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (i["employee_id"].as_i64().unwrap(), i["late_days"].as_i64().unwrap(), i["late_minutes"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(ranked, vec![(f.citra, 2, 150 + citra_late), (f.budi, 2, 20 + budi_late)]);
}

async fn download(app: &TestApp, query: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.get(&format!("/api/reports/attendance?{query}")).await;
    assert_eq!(r.status(), 200, "{query}");
    let h = r.headers().clone();
    (h, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn xlsx_has_real_dates_times_and_a_summary_sheet() {
    let f = fixture(&[]).await;
    let (h, bytes) = download(&f.app, &format!("{NOV}&format=xlsx")).await;
    assert_eq!(h["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_eq!(h["content-disposition"], "attachment; filename=\"laporan-absensi-2026-11-01-2026-11-30.xlsx\"");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Absensi".to_string(), "Ringkasan".to_string()]);
    let ws = wb.worksheet_range("Absensi").unwrap();
    assert_eq!(ws.height(), 9, "header + 8 rows");
    let header: Vec<String> = (0..15).map(|c| ws.get((0, c)).unwrap().to_string()).collect();
    assert_eq!(&header[..8], &["Tanggal", "Hari", "Kode", "Nama", "Shift", "Status", "Masuk", "Pulang"]);
    // Row 2 (EMP-001, 2026-11-03, TERLAMBAT 08:20-16:30).
    let tanggal = ws.get((2, 0)).unwrap();
    assert!(matches!(tanggal, Data::DateTime(_)), "a real Excel date, got {tanggal:?}");
    assert_eq!(tanggal.as_date(), Some(d("2026-11-03")));
    assert_eq!(ws.get((2, 1)).unwrap().to_string(), "Selasa");
    assert_eq!(ws.get((2, 2)).unwrap(), &Data::String("EMP-001".into()));
    assert_eq!(ws.get((2, 4)).unwrap(), &Data::String("Pagi".into()));
    assert_eq!(ws.get((2, 5)).unwrap(), &Data::String("TERLAMBAT".into()));
    let masuk = ws.get((2, 6)).unwrap();
    assert!(matches!(masuk, Data::DateTime(_)), "a real Excel time, got {masuk:?}");
    assert_eq!(masuk.as_time(), NaiveTime::from_hms_opt(8, 20, 0));
    assert_eq!(ws.get((2, 7)).unwrap().as_time(), NaiveTime::from_hms_opt(16, 30, 0));
    assert_eq!(ws.get((2, 8)).unwrap().as_f64(), Some(20.0));
    assert_eq!(ws.get((2, 9)).unwrap().as_f64(), Some(30.0));
    assert!(matches!(ws.get((2, 14)).unwrap(), Data::DateTime(_)), "dibuat is a date-time");
    // ALPA row: no times.
    assert_eq!(ws.get((4, 5)).unwrap(), &Data::String("ALPA".into()));
    assert!(matches!(ws.get((4, 6)), None | Some(Data::Empty)));
    // The night-shift row.
    assert_eq!(ws.get((6, 3)).unwrap(), &Data::String("Citra Ma'ruf".into()));
    assert_eq!(ws.get((6, 8)).unwrap().as_f64(), Some(150.0));

    let sum = wb.worksheet_range("Ringkasan").unwrap();
    assert_eq!(sum.get((0, 0)).unwrap().to_string(), COMPANY);
    assert_eq!(sum.get((2, 0)).unwrap().to_string(), "Periode: 1 November 2026 – 30 November 2026");
    assert_eq!(sum.get((5, 0)).unwrap().to_string(), "Kode");
    let row: Vec<String> = (0..10).map(|c| sum.get((6, c)).unwrap().to_string()).collect();
    assert_eq!(row, ["EMP-001", "Budi Santoso", "1", "1", "20", "30", "1", "1", "1", "5"]);
    let total: Vec<String> = (0..10).map(|c| sum.get((9, c)).unwrap().to_string()).collect();
    assert_eq!(total, ["Total", "3 karyawan", "3", "2", "170", "60", "1", "1", "1", "8"]);

    // An empty period still gives a valid workbook.
    let (_, bytes) = download(&f.app, "from=2027-01-01&to=2027-01-31&format=xlsx").await;
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.worksheet_range("Absensi").unwrap().height(), 1);
}

fn need(tool: &str) {
    let ok = Command::new(tool).arg("-v").output().is_ok();
    assert!(ok, "`{tool}` not found: install poppler-utils (`make test` does it: apt-get install -y poppler-utils)");
}

fn pdftotext(pdf: &Path, pages: Option<(u32, u32)>) -> String {
    need("pdftotext");
    let mut cmd = Command::new("pdftotext");
    cmd.arg("-layout");
    if let Some((f, l)) = pages {
        cmd.args(["-f", &f.to_string(), "-l", &l.to_string()]);
    }
    let out = cmd.arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Renders page `page` to PNG; kept in `REPORT_PREVIEW_DIR` when set (to look at it), else in `dir`.
fn pdftoppm(pdf: &Path, dir: &Path, page: u32, name: &str) -> PathBuf {
    need("pdftoppm");
    let out_dir = std::env::var("REPORT_PREVIEW_DIR").map(PathBuf::from).unwrap_or_else(|_| dir.to_path_buf());
    std::fs::create_dir_all(&out_dir).unwrap();
    let prefix = out_dir.join(name);
    if std::env::var("REPORT_PREVIEW_DIR").is_ok() {
        std::fs::copy(pdf, prefix.with_extension("pdf")).unwrap();
    }
    let p = page.to_string();
    let st = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile", "-f", &p, "-l", &p])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success());
    prefix.with_extension("png")
}

#[tokio::test]
async fn pdf_has_company_period_rows_and_page_numbers() {
    let f = fixture(&[]).await;
    let (h, bytes) = download(&f.app, &format!("{NOV}&format=pdf")).await;
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["content-disposition"], "attachment; filename=\"laporan-absensi-2026-11-01-2026-11-30.pdf\"");
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = PathBuf::from(&f.app.config.upload_dir).parent().unwrap().to_path_buf();
    let pdf = dir.join("laporan.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let text = pdftotext(&pdf, None);
    assert!(text.contains(COMPANY), "{text}");
    assert!(text.contains("Periode: 1 November 2026 – 30 November 2026"), "{text}");
    assert!(text.contains("Halaman 1 dari 1"), "{text}");
    let budi_row = text
        .lines()
        .find(|l| l.contains("03/11/2026") && l.contains("Budi Santoso"))
        .unwrap_or_else(|| panic!("{text}"));
    for part in ["Selasa", "EMP-001", "Pagi", "TERLAMBAT", "08:20", "16:30", "20", "30"] {
        assert!(budi_row.contains(part), "{part} missing in {budi_row:?}");
    }
    assert!(text.lines().any(|l| l.contains("Citra Ma'ruf") && l.contains("150")), "{text}");
    let png = pdftoppm(&pdf, &dir, 1, "laporan-hal-1");
    let img = image::open(&png).unwrap();
    assert!(
        img.width() > 900 && img.width() > img.height(),
        "A4 landscape at 80 dpi: {}x{}",
        img.width(),
        img.height()
    );
}

#[tokio::test]
async fn long_pdf_repeats_the_table_header_and_numbers_pages() {
    let f = fixture(&[]).await;
    let app = &f.app;
    let pagi = app.create_shift("Siang", "13:00", "21:00", 5).await["id"].as_i64();
    for i in 0..4 {
        let e = app.create_employee(&format!("X-{i}"), &format!("Karyawan Uji {i}"), pagi).await;
        for day in 0..30 {
            let date = d("2026-11-01") + Duration::days(day);
            insert_att(&app.db, e["id"].as_i64().unwrap() as i32, date, Hadir, Some("12:55"), Some("21:00")).await;
        }
    }
    let (_, bytes) = download(app, &format!("{NOV}&format=pdf")).await;
    let dir = PathBuf::from(&app.config.upload_dir).parent().unwrap().to_path_buf();
    let pdf = dir.join("panjang.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let all = pdftotext(&pdf, None);
    let pages = all.matches("Halaman ").count();
    assert!(pages >= 3, "128 rows need several pages: {pages}");
    assert!(all.contains(&format!("Halaman {pages} dari {pages}")), "{all}");
    let p2 = pdftotext(&pdf, Some((2, 2)));
    assert!(p2.contains("Halaman 2 dari"), "{p2}");
    assert!(
        p2.contains("Tanggal") && p2.contains("Masuk") && p2.contains("Terlambat"),
        "column header repeated on page 2: {p2}"
    );
    pdftoppm(&pdf, &dir, 2, "laporan-hal-2");
}

#[tokio::test]
async fn pdf_over_the_row_limit_is_refused_but_xlsx_works() {
    let f = fixture(&[("REPORT_PDF_MAX_ROWS", "6")]).await;
    let r = f.app.get(&format!("/api/reports/attendance?{NOV}&format=pdf")).await;
    let body = assert_error(r, 422, "REPORT_TOO_LARGE").await;
    assert_eq!((body["error"]["rows"].as_u64(), body["error"]["max_rows"].as_u64()), (Some(8), Some(6)));
    assert!(body["error"]["message"].as_str().unwrap().contains("xlsx"));
    // Narrowing the filter makes it fit.
    let (h, _) = download(&f.app, &format!("{NOV}&format=pdf&employee_id={}", f.budi)).await;
    assert_eq!(h["content-type"], "application/pdf");
    let (h, _) = download(&f.app, &format!("{NOV}&format=xlsx")).await;
    assert!(h["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
}

#[tokio::test]
async fn bad_report_parameters_are_refused() {
    let app = spawn_app().await;
    app.login().await;
    for q in [
        "",
        "from=2026-11-01",
        "from=2026-11-31&to=2026-12-01",
        "from=2026-11-02&to=2026-11-01",
        "from=2025-01-01&to=2026-01-02",
        "from=2026-11-01&to=2026-11-30&format=csv",
        "from=2026-11-01&to=2026-11-30&status=CUTI",
        "from=2026-11-01&to=2026-11-30&per_page=0",
        "from=2026-11-01&to=2026-11-30&per_page=5001",
        "from=2026-11-01&to=2026-11-30&employee_id=abc",
    ] {
        assert_error(app.get(&format!("/api/reports/attendance?{q}")).await, 422, "VALIDATION").await;
    }
    let r = app.get("/api/reports/attendance?from=2026-11-01&to=2026-11-30&employee_id=4242&format=pdf").await;
    assert_error(r, 404, "NOT_FOUND").await;
    // A full year is allowed.
    assert_eq!(app.get("/api/reports/attendance?from=2026-01-01&to=2026-12-31").await.status(), 200);
}

#[tokio::test]
async fn openapi_documents_multipart_bodies_and_downloads() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let p = &doc["paths"];
    for (path, field) in [("/api/leaves", "bukti"), ("/api/employees/import", "file")] {
        let body = &p[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"];
        let schema = match body["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
            None => body,
        };
        let prop = &schema["properties"][field];
        assert!(prop.to_string().contains("binary"), "{path} {field}: {schema}");
    }
    let content = &p["/api/reports/attendance"]["get"]["responses"]["200"]["content"];
    for ct in
        ["application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf"]
    {
        assert!(content[ct].is_object(), "{ct} missing: {content}");
    }
    let content = &p["/api/employees/export"]["get"]["responses"]["200"]["content"];
    assert!(content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"].is_object(), "{content}");
    for (m, path) in [
        ("get", "/api/leaves"),
        ("get", "/api/leaves/{id}"),
        ("post", "/api/leaves/{id}/approve"),
        ("post", "/api/leaves/{id}/reject"),
        ("post", "/api/leaves/{id}/cancel"),
        ("get", "/api/leaves/{id}/bukti"),
        ("get", "/api/dashboard/summary"),
        ("get", "/api/dashboard/trend"),
        ("get", "/api/dashboard/late-ranking"),
        ("get", "/api/dashboard/recent"),
    ] {
        let op = &p[path][m];
        assert!(op["security"].as_array().is_some_and(|s| !s.is_empty()), "{m} {path} is an owner route: {op}");
        assert!(op["responses"]["401"].is_object() && op["responses"]["200"].is_object(), "{m} {path}");
    }
}

#[tokio::test]
async fn absurd_pages_answer_empty_not_an_error() {
    let f = fixture(&[]).await;
    let r = f.app.get(&format!("/api/reports/attendance?{NOV}&page=18446744073709551615&per_page=5000")).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["rows"].as_array().unwrap().len(), body["total_rows"].as_u64()), (0, Some(8)));
}
