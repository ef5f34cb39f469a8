//! Inline SVG charts, built as markup strings (only numbers and fixed labels go in, never user text):
//! far smaller in the .wasm than a chart library or one reactive node per bar.

use std::fmt::Write;

use crate::fmt::Ymd;
use crate::types::{StatusCounts, TrendDay};

/// (label, CSS colour, value getter) in display order.
pub const SERIES: [(&str, &str); 5] =
    [("Hadir", "#1f8a4c"), ("Terlambat", "#d98e04"), ("Izin", "#2f6fba"), ("Alpa", "#c0392b"), ("Ditolak", "#6b7280")];

pub fn values(c: &StatusCounts) -> [u64; 5] {
    [c.hadir, c.terlambat, c.izin, c.alpa, c.ditolak]
}

/// Top of the y axis: four equal whole-number steps (1, 2, 2.5 or 5 times a power of ten) covering `v`.
fn nice_max(v: u64) -> u64 {
    let mut mag = 1u64;
    loop {
        for m in [10u64, 20, 25, 50] {
            let step = m * mag / 10;
            if step > 0 && (m != 25 || mag >= 10) && step * 4 >= v.max(1) {
                return step * 4;
            }
        }
        mag *= 10;
    }
}

/// Stacked bars, one per day.
pub fn trend_svg(days: &[TrendDay]) -> String {
    let (w, h) = (720.0_f64, 260.0_f64);
    let (left, right, top, bottom) = (36.0, 8.0, 10.0, 28.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = days.iter().map(|d| values(&d.counts).iter().sum::<u64>()).max().unwrap_or(0);
    let ymax = nice_max(max) as f64;
    let total: u64 = days.iter().map(|d| values(&d.counts).iter().sum::<u64>()).sum();
    let mut s = String::with_capacity(8192);
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 {w} {h}" class="chart" role="img" aria-label="Tren kehadiran {n} hari terakhir, total {total} catatan" preserveAspectRatio="xMidYMid meet">"#,
        n = days.len()
    );
    // grid + y labels
    for i in 0..=4 {
        let v = ymax * i as f64 / 4.0;
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e8ee"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="axis">{v}</text>"##,
            x2 = w - right,
            tx = left - 6.0,
            ty = y + 4.0,
            v = v.round() as u64
        );
    }
    let n = days.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.72).max(1.0);
    for (i, d) in days.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let vals = values(&d.counts);
        let mut y = top + plot_h;
        let date = Ymd::parse(&d.date);
        let label = date.map(|d| d.long()).unwrap_or_else(|| d.date.clone());
        let mut tip = label.clone();
        for (k, v) in vals.iter().enumerate() {
            let _ = write!(tip, "\n{}: {}", SERIES[k].0, v);
        }
        let _ = write!(s, "<g><title>{tip}</title>");
        // invisible full-height hit area so the tooltip works on empty days too
        let _ = write!(s, r#"<rect x="{x:.1}" y="{top}" width="{bar:.1}" height="{plot_h}" fill="transparent"/>"#);
        for (k, v) in vals.iter().enumerate() {
            if *v == 0 {
                continue;
            }
            let bh = plot_h * (*v as f64) / ymax;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{bh:.1}" fill="{c}"/>"#,
                c = SERIES[k].1
            );
        }
        s.push_str("</g>");
        // x labels: about 6 across, plus the last day
        let every = (days.len() / 6).max(1);
        if i % every == 0 || i + 1 == days.len() {
            if let Some(dt) = date {
                let _ = write!(
                    s,
                    r#"<text x="{cx:.1}" y="{ty}" text-anchor="middle" class="axis">{l}</text>"#,
                    cx = x + bar / 2.0,
                    ty = h - 8.0,
                    l = dt.short()
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

/// A donut of today's status counts.
pub fn donut_svg(c: &StatusCounts) -> String {
    let vals = values(c);
    let total: u64 = vals.iter().sum();
    let r = 60.0_f64;
    let circ = 2.0 * std::f64::consts::PI * r;
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        r#"<svg viewBox="0 0 160 160" class="donut" role="img" aria-label="Komposisi status hari ini, total {total}">"#
    );
    let _ = write!(s, r##"<circle cx="80" cy="80" r="{r}" fill="none" stroke="#e9edf2" stroke-width="22"/>"##);
    let mut offset = 0.0;
    if total > 0 {
        for (k, v) in vals.iter().enumerate() {
            if *v == 0 {
                continue;
            }
            let len = circ * (*v as f64) / (total as f64);
            let _ = write!(
                s,
                r#"<circle cx="80" cy="80" r="{r}" fill="none" stroke="{col}" stroke-width="22" stroke-dasharray="{len:.2} {rest:.2}" stroke-dashoffset="{off:.2}" transform="rotate(-90 80 80)"><title>{lab}: {v}</title></circle>"#,
                col = SERIES[k].1,
                rest = circ - len,
                off = -offset,
                lab = SERIES[k].0
            );
            offset += len;
        }
    }
    let _ = write!(
        s,
        r#"<text x="80" y="78" text-anchor="middle" class="donut-num">{total}</text><text x="80" y="98" text-anchor="middle" class="donut-lbl">catatan</text></svg>"#
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_max_rounds_up() {
        assert_eq!(nice_max(0), 4);
        assert_eq!(nice_max(1), 4);
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(13), 20);
        assert_eq!(nice_max(51), 80);
        assert_eq!(nice_max(100), 100);
        assert_eq!(nice_max(101), 200);
        assert!((0..5000).all(|v| nice_max(v) >= v && nice_max(v).is_multiple_of(4)));
    }
}
