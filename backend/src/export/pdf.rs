//! PDF attendance report with `genpdf`: A4 landscape, DejaVu Sans embedded (Indonesian text and the en
//! dash of the period), company name, period in Indonesian ("1 November 2026 – 30 November 2026"), the
//! per-employee summary, the detail table (its column header repeated on every page) and "Halaman i dari N"
//! in every footer.
//!
//! genpdf lays the whole document out in memory and cannot stream, so the caller bounds the number of rows
//! (`REPORT_PDF_MAX_ROWS`). The page count is known only after layout: the document is laid out twice (the
//! first time only to count pages).
use std::cell::Cell;
use std::rc::Rc;

use genpdf::elements::{Break, CellDecorator, LinearLayout, Paragraph, TableLayout};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::render::Area;
use genpdf::style::Style;
use genpdf::{Alignment, Context, Element, Margins, Mm, PageDecorator, Position, RenderResult, Size};

use super::ReportMeta;
use crate::domain::report::{format_periode, format_tanggal, nama_hari};
use crate::domain::time::format_hhmm;
use crate::services::reports::{ReportRow, SummaryItem};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub const MIME: &str = "application/pdf";

const FONT_SIZE: u8 = 8;
const MARGIN_MM: f64 = 10.0;
const FOOTER_MM: f64 = 8.0;

/// Regular and bold are embedded. Italic styles are never used: they point at the PDF built-in Helvetica
/// so that they are not embedded a second time (genpdf embeds every font of the family).
fn fonts() -> Result<FontFamily<FontData>, genpdf::error::Error> {
    use printpdf::BuiltinFont;
    Ok(FontFamily {
        regular: FontData::new(REGULAR.to_vec(), None)?,
        bold: FontData::new(BOLD.to_vec(), None)?,
        italic: FontData::new(REGULAR.to_vec(), Some(BuiltinFont::HelveticaOblique))?,
        bold_italic: FontData::new(BOLD.to_vec(), Some(BuiltinFont::HelveticaBoldOblique))?,
    })
}

/// Margins, and a footer with the report name and "Halaman i dari N" on every page.
struct Footer {
    page: usize,
    total: Option<usize>,
    pages_seen: Rc<Cell<usize>>,
    left: String,
}

impl PageDecorator for Footer {
    fn decorate_page<'a>(
        &mut self,
        context: &Context,
        mut area: Area<'a>,
        style: Style,
    ) -> Result<Area<'a>, genpdf::error::Error> {
        self.page += 1;
        self.pages_seen.set(self.page);
        area.add_margins(Margins::trbl(MARGIN_MM, MARGIN_MM, MARGIN_MM - 2.0, MARGIN_MM));
        let size = area.size();
        let footer_style = style.with_font_size(7);
        let text = match self.total {
            Some(n) => format!("Halaman {} dari {}", self.page, n),
            None => format!("Halaman {}", self.page),
        };
        let y = size.height - Mm::from(4.0);
        area.print_str(&context.font_cache, Position::new(0, y), footer_style, &self.left)?;
        let w = footer_style.str_width(&context.font_cache, &text);
        area.print_str(&context.font_cache, Position::new(size.width - w, y), footer_style, &text)?;
        area.set_height(size.height - Mm::from(FOOTER_MM));
        Ok(area)
    }
}

fn cell(text: impl Into<String>) -> genpdf::elements::PaddedElement<Paragraph> {
    Paragraph::new(text.into()).padded(Margins::trbl(0.6, 1.0, 0.4, 1.0))
}

fn cell_right(text: impl Into<String>) -> genpdf::elements::PaddedElement<Paragraph> {
    Paragraph::new(text.into()).aligned(Alignment::Right).padded(Margins::trbl(0.6, 1.0, 0.4, 1.0))
}

/// A table with [`RowRules`]; `top` draws the line above the first row (the header's; a body starts right
/// under its header's bottom line).
fn new_table(weights: &[usize], top: bool) -> TableLayout {
    let mut t = TableLayout::new(weights.to_vec());
    t.set_cell_decorator(RowRules { weights: weights.to_vec(), top, rows: 0 });
    t
}

/// Table rules: one horizontal line under each row, the outer frame, no vertical lines between columns.
/// genpdf's `FrameCellDecorator` draws four lines per cell (shared edges twice): on a page of 45 rows x 11
/// columns that is ~2,000 line operations held in memory until the document is written; this draws ~140.
struct RowRules {
    weights: Vec<usize>,
    top: bool,
    rows: usize,
}

impl CellDecorator for RowRules {
    fn set_table_size(&mut self, _columns: usize, rows: usize) {
        self.rows = rows;
    }

    fn decorate_cell(&mut self, column: usize, row: usize, has_more: bool, area: Area<'_>, style: Style) {
        let last = self.weights.len() - 1;
        let size = area.size();
        let height: f64 = size.height.into();
        if height <= 0.0 {
            // A row that did not fit at the bottom of the page (genpdf tries it with zero height first).
            return;
        }
        if column == 0 {
            area.draw_line(vec![Position::new(0, 0), Position::new(0, size.height)], style);
        }
        if column == last {
            // The whole table's width, from this (last) cell's share of it.
            let total: usize = self.weights.iter().sum();
            let w: f64 = size.width.into();
            let x0 = Mm::from(w - w * total as f64 / self.weights[last].max(1) as f64);
            area.draw_line(vec![Position::new(size.width, 0), Position::new(size.width, size.height)], style);
            if !has_more {
                // Grey rules between rows read lighter than the black frame.
                let rule =
                    if row + 1 == self.rows { style } else { style.with_color(genpdf::style::Color::Greyscale(150)) };
                area.draw_line(vec![Position::new(x0, size.height), Position::new(size.width, size.height)], rule);
            }
            if row == 0 && self.top {
                area.draw_line(vec![Position::new(x0, 0), Position::new(size.width, 0)], style);
            }
        }
    }
}

/// A table whose header row is printed at the top of every page it spans.
struct RepeatedHeaderTable {
    weights: Vec<usize>,
    headers: Vec<&'static str>,
    /// Columns holding numbers: right-aligned, header included.
    numeric: Vec<bool>,
    body: TableLayout,
}

impl RepeatedHeaderTable {
    fn header(&self) -> TableLayout {
        let mut t = new_table(&self.weights, true);
        let mut row = t.row();
        for (h, num) in self.headers.iter().zip(&self.numeric) {
            let align = if *num { Alignment::Right } else { Alignment::Left };
            row.push_element(
                Paragraph::new(*h).aligned(align).styled(Style::new().bold()).padded(Margins::trbl(0.8, 1.0, 0.6, 1.0)),
            );
        }
        row.push().expect("header has one cell per column");
        t
    }
}

impl Element for RepeatedHeaderTable {
    fn render(
        &mut self,
        context: &Context,
        mut area: Area<'_>,
        style: Style,
    ) -> Result<RenderResult, genpdf::error::Error> {
        // Room for the header and at least one row, or start on the next page (no orphan header).
        let needed = style.line_height(&context.font_cache) * 4.0;
        if area.size().height < needed {
            return Ok(RenderResult { size: Size::new(0, 0), has_more: true });
        }
        let head = self.header().render(context, area.clone(), style)?;
        area.add_offset(Position::new(0, head.size.height));
        let body = self.body.render(context, area.clone(), style)?;
        Ok(RenderResult {
            size: Size::new(area.size().width, head.size.height + body.size.height),
            has_more: body.has_more,
        })
    }
}

const SUMMARY_WEIGHTS: [usize; 11] = [4, 10, 30, 7, 8, 9, 9, 6, 6, 7, 8];
const SUMMARY_HEADERS: [&str; 11] = [
    "No",
    "Kode",
    "Nama",
    "Hadir",
    "Terlambat",
    "Menit terlambat",
    "Menit pulang cepat",
    "Izin",
    "Alpa",
    "Ditolak",
    "Total hari",
];
const SUMMARY_NUMERIC: [bool; 11] = [true, false, false, true, true, true, true, true, true, true, true];
const DETAIL_NUMERIC: [bool; 11] = [true, false, false, false, false, false, false, false, false, true, true];
const DETAIL_WEIGHTS: [usize; 11] = [5, 10, 7, 10, 30, 11, 11, 7, 7, 8, 9];
const DETAIL_HEADERS: [&str; 11] = [
    "No",
    "Tanggal",
    "Hari",
    "Kode",
    "Nama",
    "Shift",
    "Status",
    "Masuk",
    "Pulang",
    "Terlambat (mnt)",
    "Pulang cepat (mnt)",
];

fn summary_table(summary: &[SummaryItem]) -> Result<RepeatedHeaderTable, genpdf::error::Error> {
    let mut body = new_table(&SUMMARY_WEIGHTS, false);
    let mut totals = [0i64; 8];
    for (i, s) in summary.iter().enumerate() {
        let days = s.hadir + s.terlambat + s.izin + s.alpa + s.ditolak;
        let vals = [s.hadir, s.terlambat, s.late_minutes, s.early_leave_minutes, s.izin, s.alpa, s.ditolak, days];
        let mut row = body.row();
        row.push_element(cell_right((i + 1).to_string()));
        row.push_element(cell(s.kode.clone()));
        row.push_element(cell(s.nama.clone()));
        for (c, v) in vals.iter().enumerate() {
            totals[c] += v;
            row.push_element(cell_right(v.to_string()));
        }
        row.push()?;
    }
    let mut row = body.row();
    row.push_element(cell(""));
    row.push_element(cell("Total").styled(Style::new().bold()));
    row.push_element(cell(format!("{} karyawan", summary.len())).styled(Style::new().bold()));
    for v in totals {
        row.push_element(cell_right(v.to_string()).styled(Style::new().bold()));
    }
    row.push()?;
    Ok(RepeatedHeaderTable {
        weights: SUMMARY_WEIGHTS.to_vec(),
        headers: SUMMARY_HEADERS.to_vec(),
        numeric: SUMMARY_NUMERIC.to_vec(),
        body,
    })
}

fn detail_table(rows: &[ReportRow]) -> Result<RepeatedHeaderTable, genpdf::error::Error> {
    let mut body = new_table(&DETAIL_WEIGHTS, false);
    for (i, r) in rows.iter().enumerate() {
        let mut row = body.row();
        row.push_element(cell_right((i + 1).to_string()));
        row.push_element(cell(r.tanggal.format("%d/%m/%Y").to_string()));
        row.push_element(cell(nama_hari(r.tanggal)));
        row.push_element(cell(r.kode.clone()));
        row.push_element(cell(r.nama.clone()));
        row.push_element(cell(r.shift_nama.clone().unwrap_or_else(|| "-".into())));
        row.push_element(cell(r.status.clone()));
        row.push_element(cell(r.check_in.map(format_hhmm).unwrap_or_else(|| "-".into())));
        row.push_element(cell(r.check_out.map(format_hhmm).unwrap_or_else(|| "-".into())));
        row.push_element(cell_right(r.late_minutes().to_string()));
        row.push_element(cell_right(r.early_leave_minutes().to_string()));
        row.push()?;
    }
    Ok(RepeatedHeaderTable {
        weights: DETAIL_WEIGHTS.to_vec(),
        headers: DETAIL_HEADERS.to_vec(),
        numeric: DETAIL_NUMERIC.to_vec(),
        body,
    })
}

fn build(
    meta: &ReportMeta,
    rows: &[ReportRow],
    summary: &[SummaryItem],
    total_pages: Option<usize>,
    pages_seen: Rc<Cell<usize>>,
) -> Result<genpdf::Document, genpdf::error::Error> {
    let mut doc = genpdf::Document::new(fonts()?);
    doc.set_title(format!("Laporan Absensi {} – {}", meta.company, format_periode(meta.from, meta.to)));
    doc.set_minimal_conformance();
    doc.set_paper_size(Size::new(297, 210));
    doc.set_font_size(FONT_SIZE);
    doc.set_line_spacing(1.1);
    doc.set_page_decorator(Footer {
        page: 0,
        total: total_pages,
        pages_seen,
        left: format!("{} · Laporan Absensi {}", meta.company, format_periode(meta.from, meta.to)),
    });
    let mut head = LinearLayout::vertical();
    head.push(Paragraph::new(meta.company.clone()).styled(Style::new().bold().with_font_size(16)));
    head.push(Paragraph::new("Laporan Absensi Karyawan").styled(Style::new().bold().with_font_size(12)));
    head.push(
        Paragraph::new(format!("Periode: {}", format_periode(meta.from, meta.to)))
            .styled(Style::new().with_font_size(10)),
    );
    let mut note = format!(
        "Dibuat: {} pukul {} · {} baris absensi · {} karyawan",
        format_tanggal(meta.generated.date()),
        meta.generated.format("%H:%M"),
        rows.len(),
        summary.len()
    );
    if let Some(f) = &meta.filter_note {
        note.push_str(&format!(" · Filter: {f}"));
    }
    head.push(Paragraph::new(note));
    doc.push(head);
    doc.push(Break::new(1.0));
    doc.push(Paragraph::new("Ringkasan per karyawan").styled(Style::new().bold().with_font_size(11)));
    doc.push(Break::new(0.3));
    doc.push(summary_table(summary)?);
    doc.push(Break::new(1.5));
    doc.push(Paragraph::new("Rincian absensi").styled(Style::new().bold().with_font_size(11)));
    doc.push(Break::new(0.3));
    if rows.is_empty() {
        doc.push(Paragraph::new("Tidak ada data absensi pada periode ini."));
    } else {
        doc.push(detail_table(rows)?);
    }
    Ok(doc)
}

/// Renders the report; returns the PDF bytes and the number of pages.
pub fn render_attendance_report(
    meta: &ReportMeta,
    rows: &[ReportRow],
    summary: &[SummaryItem],
) -> Result<(Vec<u8>, usize), genpdf::error::Error> {
    let seen = Rc::new(Cell::new(0));
    build(meta, rows, summary, None, seen.clone())?.render(std::io::sink())?;
    let pages = seen.get();
    let mut out = Vec::new();
    build(meta, rows, summary, Some(pages), Rc::new(Cell::new(0)))?.render(&mut out)?;
    Ok((out, pages))
}
