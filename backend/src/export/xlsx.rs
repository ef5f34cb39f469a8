//! Excel exports with `rust_xlsxwriter`.
//!
//! The attendance report writes its detail sheet in "constant memory" mode: each row goes to a temporary file
//! as soon as it is written, so a year of a thousand employees costs the same memory as a week. Dates and
//! times are real Excel dates/times with number formats (sortable, filterable, usable in formulas).
use std::fs::File;

use chrono::NaiveDateTime;
use rust_xlsxwriter::{DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::ReportMeta;
use crate::domain::report::{format_periode, nama_hari};
use crate::services::reports::{ReportRow, SummaryItem};

pub const DETAIL_SHEET: &str = "Absensi";
pub const SUMMARY_SHEET: &str = "Ringkasan";
pub const MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Columns of the detail sheet: header and width (characters).
pub const DETAIL_COLUMNS: [(&str, f64); 15] = [
    ("Tanggal", 11.0),
    ("Hari", 8.0),
    ("Kode", 12.0),
    ("Nama", 28.0),
    ("Shift", 12.0),
    ("Status", 11.0),
    ("Masuk", 8.0),
    ("Pulang", 8.0),
    ("Terlambat (menit)", 10.0),
    ("Pulang cepat (menit)", 11.0),
    ("Liveness", 9.0),
    ("Kemiripan", 10.0),
    ("Latitude", 11.0),
    ("Longitude", 11.0),
    ("Dicatat", 17.0),
];

pub const SUMMARY_COLUMNS: [(&str, f64); 10] = [
    ("Kode", 12.0),
    ("Nama", 28.0),
    ("Hadir", 8.0),
    ("Terlambat", 10.0),
    ("Menit terlambat", 10.0),
    ("Menit pulang cepat", 11.0),
    ("Izin", 7.0),
    ("Alpa", 7.0),
    ("Ditolak", 8.0),
    ("Total hari", 8.0),
];

/// Rows above the summary table on the "Ringkasan" sheet (company, title, period, generated, blank).
pub const SUMMARY_HEADER_ROW: u32 = 5;

struct Formats {
    header: Format,
    date: Format,
    time: Format,
    datetime: Format,
    int: Format,
    dec3: Format,
    coord: Format,
    text: Format,
}

impl Formats {
    fn new() -> Self {
        let header = Format::new()
            .set_bold()
            .set_background_color(0xDDE7F0)
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter);
        Formats {
            header,
            date: Format::new().set_num_format("dd/mm/yyyy").set_align(FormatAlign::Left),
            time: Format::new().set_num_format("hh:mm").set_align(FormatAlign::Center),
            datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
            int: Format::new().set_num_format("0"),
            dec3: Format::new().set_num_format("0.000"),
            coord: Format::new().set_num_format("0.000000"),
            text: Format::new(),
        }
    }
}

fn header_row(ws: &mut Worksheet, row: u32, cols: &[(&str, f64)], f: &Format) -> Result<(), XlsxError> {
    for (c, (title, width)) in cols.iter().enumerate() {
        ws.set_column_width(c as u16, *width)?;
        ws.write_string_with_format(row, c as u16, *title, f)?;
    }
    ws.set_row_height(row, 30)?;
    Ok(())
}

fn write_detail_row(
    ws: &mut Worksheet,
    row: u32,
    r: &ReportRow,
    meta: &ReportMeta,
    f: &Formats,
) -> Result<(), XlsxError> {
    ws.write_datetime_with_format(row, 0, r.tanggal, &f.date)?;
    ws.write_string(row, 1, nama_hari(r.tanggal))?;
    ws.write_string(row, 2, &r.kode)?;
    ws.write_string(row, 3, &r.nama)?;
    if let Some(s) = &r.shift_nama {
        ws.write_string(row, 4, s)?;
    }
    ws.write_string(row, 5, &r.status)?;
    if let Some(t) = &r.check_in {
        ws.write_datetime_with_format(row, 6, t, &f.time)?;
    }
    if let Some(t) = &r.check_out {
        ws.write_datetime_with_format(row, 7, t, &f.time)?;
    }
    ws.write_number_with_format(row, 8, r.late_minutes() as f64, &f.int)?;
    ws.write_number_with_format(row, 9, r.early_leave_minutes() as f64, &f.int)?;
    let live = match r.liveness_ok {
        Some(true) => "Ya",
        Some(false) if r.check_in.is_some() || r.similarity.is_some() => "Tidak",
        _ => "-",
    };
    ws.write_string_with_format(row, 10, live, &f.text)?;
    if let Some(s) = r.similarity {
        ws.write_number_with_format(row, 11, s as f64, &f.dec3)?;
    }
    if let Some(v) = r.latitude {
        ws.write_number_with_format(row, 12, v as f64, &f.coord)?;
    }
    if let Some(v) = r.longitude {
        ws.write_number_with_format(row, 13, v as f64, &f.coord)?;
    }
    if let Some(d) = r.dibuat {
        let local: NaiveDateTime = d.and_utc().with_timezone(&meta.timezone).naive_local();
        ws.write_datetime_with_format(row, 14, local, &f.datetime)?;
    }
    Ok(())
}

/// Writes the attendance report into `out`: sheet "Absensi" (one row per attendance row, streamed from
/// `batches`) and sheet "Ringkasan" (title, period and the per-employee summary with a total row).
/// Returns the number of detail rows written.
pub fn write_attendance_report(
    meta: &ReportMeta,
    batches: impl Iterator<Item = Vec<ReportRow>>,
    summary: &[SummaryItem],
    out: &File,
) -> Result<u64, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("Laporan Absensi {}", format_periode(meta.from, meta.to)))
            .set_company(&meta.company)
            .set_author("absensi wajah"),
    );
    let mut n = 0u64;
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(DETAIL_SHEET)?;
        header_row(ws, 0, &DETAIL_COLUMNS, &f.header)?;
        ws.set_freeze_panes(1, 0)?;
        for batch in batches {
            for r in &batch {
                n += 1;
                write_detail_row(ws, n as u32, r, meta, &f)?;
            }
        }
        ws.autofilter(0, 0, n.max(1) as u32, (DETAIL_COLUMNS.len() - 1) as u16)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name(SUMMARY_SHEET)?;
    write_summary(ws, meta, summary, &f)?;
    wb.save_to_writer(out)?;
    Ok(n)
}

fn write_summary(ws: &mut Worksheet, meta: &ReportMeta, summary: &[SummaryItem], f: &Formats) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, &meta.company, &title)?;
    ws.write_string_with_format(1, 0, "Laporan Absensi Karyawan", &Format::new().set_bold())?;
    ws.write_string(2, 0, format!("Periode: {}", format_periode(meta.from, meta.to)))?;
    let mut note = format!("Dibuat: {}", meta.generated.format("%d/%m/%Y %H:%M"));
    if let Some(filter) = &meta.filter_note {
        note.push_str(&format!(" · Filter: {filter}"));
    }
    ws.write_string(3, 0, note)?;
    let h = SUMMARY_HEADER_ROW;
    header_row(ws, h, &SUMMARY_COLUMNS, &f.header)?;
    let mut totals = [0i64; 8];
    for (i, s) in summary.iter().enumerate() {
        let row = h + 1 + i as u32;
        ws.write_string(row, 0, &s.kode)?;
        ws.write_string(row, 1, &s.nama)?;
        let vals = [s.hadir, s.terlambat, s.late_minutes, s.early_leave_minutes, s.izin, s.alpa, s.ditolak];
        let days = s.hadir + s.terlambat + s.izin + s.alpa + s.ditolak;
        for (c, v) in vals.iter().chain(std::iter::once(&days)).enumerate() {
            ws.write_number_with_format(row, 2 + c as u16, *v as f64, &f.int)?;
            totals[c] += *v;
        }
    }
    let total_row = h + 1 + summary.len() as u32;
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    ws.write_string_with_format(total_row, 0, "Total", &bold)?;
    ws.write_string_with_format(total_row, 1, format!("{} karyawan", summary.len()), &bold)?;
    for (c, v) in totals.iter().enumerate() {
        ws.write_number_with_format(total_row, 2 + c as u16, *v as f64, &bold.clone().set_num_format("0"))?;
    }
    ws.set_freeze_panes(h + 1, 0)?;
    if !summary.is_empty() {
        ws.autofilter(h, 0, h + summary.len() as u32, (SUMMARY_COLUMNS.len() - 1) as u16)?;
    }
    Ok(())
}

/// Columns of the employee export, which is also the import template.
pub const EMPLOYEE_COLUMNS: [(&str, f64); 4] = [("kode", 14.0), ("nama", 30.0), ("email", 32.0), ("shift", 16.0)];

/// One employee line of the export: kode, nama, email, shift name.
pub type EmployeeLine = (String, String, Option<String>, Option<String>);

/// The employee list as an .xlsx that `POST /api/employees/import` accepts back unchanged.
pub fn employees(company: &str, lines: &[EmployeeLine]) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_title("Data Karyawan").set_company(company));
    let ws = wb.add_worksheet();
    ws.set_name("Karyawan")?;
    header_row(ws, 0, &EMPLOYEE_COLUMNS, &f.header)?;
    ws.set_row_height(0, 18)?;
    for (i, (kode, nama, email, shift)) in lines.iter().enumerate() {
        let row = 1 + i as u32;
        ws.write_string(row, 0, kode)?;
        ws.write_string(row, 1, nama)?;
        if let Some(e) = email {
            ws.write_string(row, 2, e)?;
        }
        if let Some(s) = shift {
            ws.write_string(row, 3, s)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, lines.len().max(1) as u32, 3)?;
    wb.save_to_buffer()
}
