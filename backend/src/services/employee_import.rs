//! Employee import from `.xlsx` (calamine), upserting by `kode`, all-or-nothing.
//!
//! - First sheet; the first row with content is the header: `kode`, `nama` (required), `email`, `shift`
//!   (a shift *name*), in any order and case; other columns are ignored. Empty rows are skipped.
//! - Every row is validated before anything is written; with any error nothing changes (one transaction):
//!   what an owner expects from "import this file". The dry run reports the same errors and what would be
//!   created, updated or left unchanged.
//! - Existing employees (same `kode`, case-insensitive) get `nama`, and `email`/`shift` when those cells are
//!   filled: an empty cell never erases data (edit the employee to clear a field). `aktif` is not touched;
//!   new employees are active.
//! - Refused before parsing: content that is not a zip (the `.xlsx` container; sniffed, not the file name),
//!   archives that inflate beyond [`MAX_INFLATED_BYTES`] (zip bombs), and sheets with more than
//!   `IMPORT_MAX_ROWS` data rows.
use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde::Serialize;

use crate::api::validate;
use crate::domain::time::utc_now_naive;
use crate::entities::{employee, shift_setting, Employee, ShiftSetting};
use crate::error::{AppError, AppResult};

/// Total uncompressed size allowed for the parts of an uploaded workbook.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;
/// Columns looked at (anything to the right is ignored).
const MAX_COLUMNS: u32 = 64;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// Spreadsheet row number (1 = the first row of the sheet).
    pub row: u32,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlannedRow {
    pub row: u32,
    pub kode: String,
    pub nama: String,
    /// `create`, `update` or `unchanged`.
    pub action: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read (empty rows not counted).
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows matching an existing employee with nothing to change.
    pub unchanged: usize,
    pub errors: Vec<RowError>,
    /// What each valid row does (or would do, in a dry run).
    pub preview: Vec<PlannedRow>,
}

/// One data row as read from the sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetRow {
    pub row: u32,
    pub kode: String,
    pub nama: String,
    pub email: String,
    pub shift: String,
}

fn bad_file(msg: impl Into<String>) -> AppError {
    AppError::unprocessable("INVALID_XLSX", msg)
}

/// `.xlsx` files are zip archives: `PK\x03\x04`. Old `.xls` (OLE2) and anything else is refused with 415.
pub fn sniff_xlsx(bytes: &[u8]) -> AppResult<()> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(());
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(AppError::unsupported_media(
            "Berkas .xls (Excel 97-2003) tidak didukung. Simpan ulang sebagai .xlsx (Excel Workbook) lalu unggah lagi.",
        ));
    }
    Err(AppError::unsupported_media("Berkas harus berupa Excel .xlsx."))
}

/// Inflates every part of the archive into a sink with a running limit: a zip bomb is refused after at
/// most [`MAX_INFLATED_BYTES`] of work, before calamine loads anything into memory.
fn check_inflated_size(bytes: &[u8]) -> AppResult<()> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad_file("Berkas .xlsx rusak atau bukan .xlsx."))?;
    if zip.len() > 1000 {
        return Err(bad_file("Berkas .xlsx berisi terlalu banyak bagian."));
    }
    let mut budget = MAX_INFLATED_BYTES;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| bad_file("Berkas .xlsx rusak."))?;
        let n = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|_| bad_file("Berkas .xlsx rusak."))?;
        if n > budget {
            return Err(AppError::payload_too_large("Isi berkas .xlsx terlalu besar setelah diekstrak."));
        }
        budget -= n;
    }
    Ok(())
}

fn cell_text(v: &DataRef<'_>) -> Result<String, String> {
    Ok(match v {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Int(i) => i.to_string(),
        // Codes typed as numbers (e.g. 1001) come back as floats.
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(e) => return Err(format!("sel berisi galat Excel ({e})")),
        DataRef::Empty => String::new(),
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Columns {
    kode: Option<u32>,
    nama: Option<u32>,
    email: Option<u32>,
    shift: Option<u32>,
}

fn header_column(name: &str) -> Option<&'static str> {
    let n = name.trim().to_lowercase().replace(['_', '-'], " ");
    match n.as_str() {
        "kode" | "kode karyawan" | "nik" => Some("kode"),
        "nama" | "nama karyawan" => Some("nama"),
        "email" | "e mail" | "surel" => Some("email"),
        "shift" | "nama shift" | "shift nama" => Some("shift"),
        _ => None,
    }
}

/// Reads the first sheet into rows (and per-row read errors). `max_rows` bounds the data rows.
pub fn read_sheet(bytes: &[u8], max_rows: usize) -> AppResult<(Vec<SheetRow>, Vec<RowError>)> {
    sniff_xlsx(bytes)?;
    check_inflated_size(bytes)?;
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| bad_file(format!("Berkas .xlsx tidak dapat dibaca: {e}")))?;
    let sheet = wb.sheet_names().first().cloned().ok_or_else(|| bad_file("Berkas .xlsx tidak berisi sheet."))?;
    let mut reader = wb
        .worksheet_cells_reader(&sheet)
        .map_err(|e| bad_file(format!("Sheet \"{sheet}\" tidak dapat dibaca: {e}")))?;
    let mut header_row: Option<u32> = None;
    let mut header_cells: Vec<(u32, String)> = Vec::new();
    let mut cols = Columns::default();
    let mut rows: Vec<SheetRow> = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    let mut current: Option<(SheetRow, bool)> = None;
    let finish = |cur: Option<(SheetRow, bool)>, rows: &mut Vec<SheetRow>| {
        if let Some((r, any)) = cur {
            if any {
                rows.push(r);
            }
        }
    };
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(bad_file(format!("Sheet \"{sheet}\" rusak: {e}"))),
        };
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let text = cell_text(cell.get_value());
        let Some(h) = header_row else {
            if let Ok(t) = &text {
                if !t.is_empty() {
                    header_row = Some(r);
                    header_cells.push((c, t.clone()));
                }
            }
            continue;
        };
        if r == h {
            if let Ok(t) = text {
                header_cells.push((c, t));
            }
            continue;
        }
        if cols.kode.is_none() && cols.nama.is_none() {
            cols = resolve_header(&header_cells, h)?;
        }
        if (r - h) as usize > max_rows {
            return Err(too_many_rows(max_rows));
        }
        if current.as_ref().is_some_and(|(cur, _)| cur.row != r + 1) {
            finish(current.take(), &mut rows);
        }
        let (row, any) = current.get_or_insert_with(|| (SheetRow { row: r + 1, ..Default::default() }, false));
        let field = if Some(c) == cols.kode {
            &mut row.kode
        } else if Some(c) == cols.nama {
            &mut row.nama
        } else if Some(c) == cols.email {
            &mut row.email
        } else if Some(c) == cols.shift {
            &mut row.shift
        } else {
            continue;
        };
        match text {
            Ok(t) => {
                *any |= !t.is_empty();
                *field = t;
            }
            Err(m) => {
                *any = true;
                errors.push(RowError { row: r + 1, message: m });
            }
        }
    }
    finish(current.take(), &mut rows);
    let Some(h) = header_row else {
        return Err(bad_file("Sheet pertama kosong: isi baris judul kode, nama, email, shift."));
    };
    if cols.kode.is_none() && cols.nama.is_none() {
        resolve_header(&header_cells, h)?;
    }
    if rows.len() > max_rows {
        return Err(too_many_rows(max_rows));
    }
    Ok((rows, errors))
}

fn too_many_rows(max: usize) -> AppError {
    AppError::unprocessable(
        "IMPORT_TOO_MANY_ROWS",
        format!("Berkas berisi lebih dari {max} baris data. Pecah menjadi beberapa berkas."),
    )
    .with("max_rows", max)
}

fn resolve_header(cells: &[(u32, String)], h: u32) -> AppResult<Columns> {
    let mut cols = Columns::default();
    for (c, name) in cells {
        match header_column(name) {
            Some("kode") => cols.kode = Some(*c),
            Some("nama") => cols.nama = Some(*c),
            Some("email") => cols.email = Some(*c),
            Some("shift") => cols.shift = Some(*c),
            _ => {}
        }
    }
    if cols.kode.is_none() || cols.nama.is_none() {
        return Err(bad_file(format!(
            "Baris judul (baris {}) harus memuat kolom kode dan nama (opsional: email, shift).",
            h + 1
        )));
    }
    Ok(cols)
}

enum Plan {
    Create { kode: String, nama: String, email: Option<String>, shift_id: Option<i32> },
    Update { model: employee::Model, nama: String, email: Option<String>, shift_id: Option<i32> },
    Unchanged,
}

/// Validates the rows against the database and the file itself, then (unless `dry_run`, and only when
/// there is no error at all) applies them in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    rows: Vec<SheetRow>,
    mut errors: Vec<RowError>,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let shifts: HashMap<String, shift_setting::Model> =
        ShiftSetting::find().all(db).await?.into_iter().map(|s| (s.nama.to_lowercase(), s)).collect();
    let existing: HashMap<String, employee::Model> =
        Employee::find().all(db).await?.into_iter().map(|e| (e.kode.to_lowercase(), e)).collect();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut plans: Vec<(u32, String, String, Plan)> = Vec::new();
    let errored: std::collections::HashSet<u32> = errors.iter().map(|e| e.row).collect();
    for r in &rows {
        if errored.contains(&r.row) {
            continue;
        }
        let mut fail = |m: String| errors.push(RowError { row: r.row, message: m });
        let kode = match crate::api::employees::validate_kode(&r.kode) {
            Ok(k) => k,
            Err(e) => {
                fail(format!("kode: {}", e.message));
                continue;
            }
        };
        if let Some(first) = seen.insert(kode.to_lowercase(), r.row) {
            fail(format!("kode \"{kode}\" sudah dipakai di baris {first} berkas ini"));
            continue;
        }
        let nama = match validate::required_text("nama", "Nama", &r.nama, 191) {
            Ok(n) => n,
            Err(e) => {
                fail(format!("nama: {}", e.message));
                continue;
            }
        };
        let email = match r.email.trim() {
            "" => None,
            e if validate::is_valid_email(e) => Some(e.to_string()),
            e => {
                fail(format!("email \"{e}\" tidak valid"));
                continue;
            }
        };
        let shift_id = match r.shift.trim() {
            "" => None,
            s => match shifts.get(&s.to_lowercase()) {
                Some(m) => Some(m.id),
                None => {
                    fail(format!("shift \"{s}\" tidak ditemukan (buat dulu di menu Shift)"));
                    continue;
                }
            },
        };
        let plan = match existing.get(&kode.to_lowercase()) {
            None => Plan::Create { kode: kode.clone(), nama: nama.clone(), email, shift_id },
            Some(m) => {
                let new_email = email.or_else(|| m.email.clone());
                let new_shift = shift_id.or(m.shift_id);
                if m.nama == nama && m.email == new_email && m.shift_id == new_shift {
                    Plan::Unchanged
                } else {
                    Plan::Update { model: m.clone(), nama: nama.clone(), email: new_email, shift_id: new_shift }
                }
            }
        };
        plans.push((r.row, kode, nama, plan));
    }
    errors.sort_by_key(|e| e.row);
    let mut report = ImportReport {
        dry_run,
        rows: rows.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        errors,
        preview: Vec::with_capacity(plans.len()),
    };
    for (row, kode, nama, plan) in &plans {
        let action = match plan {
            Plan::Create { .. } => {
                report.created += 1;
                "create"
            }
            Plan::Update { .. } => {
                report.updated += 1;
                "update"
            }
            Plan::Unchanged => {
                report.unchanged += 1;
                "unchanged"
            }
        };
        report.preview.push(PlannedRow { row: *row, kode: kode.clone(), nama: nama.clone(), action: action.into() });
    }
    if dry_run {
        return Ok(report);
    }
    if !report.errors.is_empty() {
        let n = report.errors.len();
        return Err(AppError::unprocessable(
            "IMPORT_INVALID",
            format!("{n} baris bermasalah; tidak ada data yang diubah. Perbaiki berkas lalu unggah lagi."),
        )
        .with("rows", report.rows)
        .with("errors", serde_json::to_value(&report.errors).unwrap_or_default()));
    }
    let txn = db.begin().await?;
    let now = utc_now_naive();
    for (_, kode, _, plan) in plans {
        match plan {
            Plan::Create { kode: k, nama, email, shift_id } => {
                let am = employee::ActiveModel {
                    id: NotSet,
                    kode: Set(k),
                    nama: Set(nama),
                    email: Set(email),
                    shift_id: Set(shift_id),
                    aktif: Set(Some(true)),
                    foto_profil: Set(None),
                    dibuat: Set(Some(now)),
                };
                Employee::insert(am).exec(&txn).await.map_err(|e| {
                    AppError::from_db_unique(e, "DUPLICATE_KODE", format!("Kode karyawan \"{kode}\" sudah dipakai"))
                })?;
            }
            Plan::Update { model, nama, email, shift_id } => {
                let mut am: employee::ActiveModel = model.into();
                am.nama = Set(nama);
                am.email = Set(email);
                am.shift_id = Set(shift_id);
                am.update(&txn).await?;
            }
            Plan::Unchanged => {}
        }
    }
    txn.commit().await?;
    tracing::info!(created = report.created, updated = report.updated, "employees imported");
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
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

    #[test]
    fn reads_header_in_any_order_and_skips_empty_rows() {
        let bytes = xlsx(&[
            &["Nama", "KODE", "Catatan", "shift", "Email"],
            &["Budi", "E1", "abaikan", "Pagi", "budi@x.co"],
            &["", "", "", "", ""],
            &["Ani", "E2", "", "", ""],
        ]);
        let (rows, errors) = read_sheet(&bytes, 10).unwrap();
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            SheetRow {
                row: 2,
                kode: "E1".into(),
                nama: "Budi".into(),
                email: "budi@x.co".into(),
                shift: "Pagi".into()
            }
        );
        assert_eq!((rows[1].row, rows[1].kode.as_str(), rows[1].email.as_str()), (4, "E2", ""));
    }

    #[test]
    fn refuses_non_xlsx_missing_header_and_too_many_rows() {
        assert_eq!(read_sheet(b"kode,nama\nE1,Budi\n", 10).unwrap_err().status.as_u16(), 415);
        assert_eq!(read_sheet(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0], 10).unwrap_err().status.as_u16(), 415);
        assert_eq!(read_sheet(b"PK\x03\x04garbage", 10).unwrap_err().code, "INVALID_XLSX");
        let e = read_sheet(&xlsx(&[&["nomor", "nama"], &["1", "Budi"]]), 10).unwrap_err();
        assert_eq!(e.code, "INVALID_XLSX");
        let many: Vec<Vec<String>> = (0..12).map(|i| vec![format!("E{i}"), format!("Orang {i}")]).collect();
        let mut table: Vec<&[&str]> = vec![&["kode", "nama"]];
        let refs: Vec<Vec<&str>> = many.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        for r in &refs {
            table.push(r);
        }
        assert_eq!(read_sheet(&xlsx(&table), 10).unwrap_err().code, "IMPORT_TOO_MANY_ROWS");
        assert_eq!(read_sheet(&xlsx(&table), 12).unwrap().0.len(), 12);
    }

    #[test]
    fn zip_bomb_is_refused_before_parsing() {
        // A valid zip whose single part inflates to 65 MiB of zeros (it compresses to ~65 KB).
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            w.start_file("xl/sharedStrings.xml", opts).unwrap();
            let zeros = vec![b'0'; 1 << 20];
            for _ in 0..65 {
                std::io::Write::write_all(&mut w, &zeros).unwrap();
            }
            w.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < 1 << 20, "compressed size {}", bytes.len());
        assert_eq!(read_sheet(&bytes, 10).unwrap_err().status.as_u16(), 413);
    }
}
