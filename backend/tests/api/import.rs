//! Employee import from .xlsx: dry run, apply, upsert by kode, all-or-nothing on invalid rows, refusal of
//! non-xlsx content and oversize files, and the export -> import round trip read back through the API.
use std::io::Cursor;

use crate::helpers::*;
use backend::entities::Employee;
use calamine::{Reader, Xlsx};
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

/// An .xlsx with the given rows (first row = header), every cell a string, as an owner would type it.
fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn upload(app: &TestApp, bytes: Vec<u8>, dry_run: bool) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("karyawan.xlsx"));
    app.client.post(app.url(&format!("/api/employees/import?dry_run={dry_run}"))).multipart(form).send().await.unwrap()
}

async fn employees(app: &TestApp) -> Vec<Value> {
    let p: Value = app.get("/api/employees?per_page=200").await.json().await.unwrap();
    let mut items = p["items"].as_array().unwrap().clone();
    items.sort_by(|a, b| a["kode"].as_str().cmp(&b["kode"].as_str()));
    items
}

#[tokio::test]
async fn dry_run_then_apply_then_upsert_then_round_trip() {
    let app = spawn_app().await;
    app.login().await;
    app.create_shift("Pagi", "08:00", "17:00", 5).await;
    app.create_shift("Malam", "22:00", "06:00", 10).await;
    app.create_employee("EMP-001", "Nama Lama", None).await;
    let file = xlsx(&[
        vec!["kode", "nama", "email", "shift"],
        vec!["EMP-001", "Budi Santoso", "budi@contoh.co.id", "pagi"],
        vec!["EMP-002", "Siti Aminah", "", "Malam"],
        vec!["", "", "", ""],
        vec!["EMP-003", "Joko Widodo", "joko@contoh.co.id", ""],
    ]);

    let r = upload(&app, file.clone(), true).await;
    assert_eq!(r.status(), 200);
    let rep: Value = r.json().await.unwrap();
    assert_eq!(
        (rep["dry_run"].as_bool(), rep["rows"].as_u64(), rep["created"].as_u64(), rep["updated"].as_u64()),
        (Some(true), Some(3), Some(2), Some(1))
    );
    assert_eq!(rep["errors"], json!([]));
    assert_eq!(rep["preview"][0], json!({"row": 2, "kode": "EMP-001", "nama": "Budi Santoso", "action": "update"}));
    assert_eq!(rep["preview"][2]["row"], 5, "spreadsheet row numbers, empty row skipped");
    assert_eq!(Employee::find().count(&app.db).await.unwrap(), 1, "a dry run changes nothing");

    let rep: Value = upload(&app, file.clone(), false).await.json().await.unwrap();
    assert_eq!(
        (rep["dry_run"].as_bool(), rep["created"].as_u64(), rep["updated"].as_u64()),
        (Some(false), Some(2), Some(1))
    );
    let list = employees(&app).await;
    let view: Vec<(&str, &str, Option<&str>, Option<&str>, bool)> = list
        .iter()
        .map(|e| {
            (
                e["kode"].as_str().unwrap(),
                e["nama"].as_str().unwrap(),
                e["email"].as_str(),
                e["shift_nama"].as_str(),
                e["aktif"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("EMP-001", "Budi Santoso", Some("budi@contoh.co.id"), Some("Pagi"), true),
            ("EMP-002", "Siti Aminah", None, Some("Malam"), true),
            ("EMP-003", "Joko Widodo", Some("joko@contoh.co.id"), None, true),
        ]
    );

    // Applying the same file again changes nothing; an empty email cell does not erase the stored email.
    let rep: Value = upload(&app, file, false).await.json().await.unwrap();
    assert_eq!(
        (rep["created"].as_u64(), rep["updated"].as_u64(), rep["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );
    let rep: Value =
        upload(&app, xlsx(&[vec!["Kode", "Nama"], vec!["emp-003", "Joko W."]]), false).await.json().await.unwrap();
    assert_eq!(rep["updated"], 1, "kode matches case-insensitively");
    let joko = employees(&app).await.into_iter().find(|e| e["kode"] == "EMP-003").unwrap();
    assert_eq!((joko["nama"].as_str(), joko["email"].as_str()), (Some("Joko W."), Some("joko@contoh.co.id")));

    // Export -> import: the export is a valid import file that changes nothing.
    let r = app.get("/api/employees/export").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"data-karyawan-"));
    let exported = r.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(exported.clone())).unwrap();
    let ws = wb.worksheet_range("Karyawan").unwrap();
    assert_eq!(ws.height(), 4);
    let header: Vec<String> = (0..4).map(|c| ws.get((0, c)).unwrap().to_string()).collect();
    assert_eq!(header, ["kode", "nama", "email", "shift"]);
    let rep: Value = upload(&app, exported, true).await.json().await.unwrap();
    assert_eq!(
        (rep["created"].as_u64(), rep["updated"].as_u64(), rep["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(rep["errors"], json!([]));
}

#[tokio::test]
async fn invalid_rows_are_reported_and_nothing_is_applied() {
    let app = spawn_app().await;
    app.login().await;
    app.create_shift("Pagi", "08:00", "17:00", 5).await;
    let file = xlsx(&[
        vec!["kode", "nama", "email", "shift"],
        vec!["EMP-010", "Benar Sekali", "benar@contoh.co.id", "Pagi"],
        vec!["EMP-011", "", "", ""],
        vec!["../x", "Kode Aneh", "", ""],
        vec!["EMP-012", "Email Salah", "bukan-email", ""],
        vec!["EMP-013", "Shift Salah", "", "Shift Hantu"],
        vec!["emp-010", "Dobel", "", ""],
    ]);
    let rep: Value = upload(&app, file.clone(), true).await.json().await.unwrap();
    let rows: Vec<u64> = rep["errors"].as_array().unwrap().iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, vec![3, 4, 5, 6, 7], "{rep}");
    assert!(rep["errors"][3]["message"].as_str().unwrap().contains("Shift Hantu"));
    assert!(rep["errors"][4]["message"].as_str().unwrap().contains("baris 2"));
    assert_eq!(rep["created"], 1, "what the valid rows would do");

    let r = upload(&app, file, false).await;
    let body = assert_error(r, 422, "IMPORT_INVALID").await;
    assert_eq!(body["error"]["errors"].as_array().unwrap().len(), 5);
    assert_eq!(Employee::find().count(&app.db).await.unwrap(), 0, "all or nothing: nothing applied");
}

#[tokio::test]
async fn non_xlsx_oversize_and_too_many_rows_are_refused() {
    let app = spawn_app_with(|env| {
        env.insert("IMPORT_MAX_ROWS".into(), "3".into());
        env.insert("MAX_UPLOAD_BYTES".into(), "200000".into());
    })
    .await;
    app.login().await;
    let csv = b"kode,nama\nEMP-1,Budi\n".to_vec();
    assert_error(upload(&app, csv, true).await, 415, "UNSUPPORTED_MEDIA").await;
    let xls = [0xD0u8, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1].repeat(10);
    let b = assert_error(upload(&app, xls, true).await, 415, "UNSUPPORTED_MEDIA").await;
    assert!(b["error"]["message"].as_str().unwrap().contains(".xlsx"));
    assert_error(upload(&app, b"PK\x03\x04 not really a zip".to_vec(), true).await, 422, "INVALID_XLSX").await;
    let mut rows = vec![vec!["kode", "nama"]];
    let names: Vec<String> = (0..4).map(|i| format!("E-{i}")).collect();
    for n in &names {
        rows.push(vec![n.as_str(), "Orang"]);
    }
    assert_error(upload(&app, xlsx(&rows), false).await, 422, "IMPORT_TOO_MANY_ROWS").await;
    assert_error(upload(&app, vec![b'P'; 300_000], true).await, 413, "PAYLOAD_TOO_LARGE").await;
    let r =
        app.client.post(app.url("/api/employees/import")).multipart(Form::new().text("x", "y")).send().await.unwrap();
    assert_error(r, 422, "VALIDATION").await;
    assert_eq!(Employee::find().count(&app.db).await.unwrap(), 0);
}
