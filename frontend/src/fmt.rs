//! Indonesian date/time formatting and small calendar arithmetic (no chrono: keeps the .wasm small).

pub const HARI: [&str; 7] = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
pub const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
pub const BULAN_PENDEK: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ymd {
    pub y: i32,
    pub m: u32,
    pub d: u32,
}

impl Ymd {
    pub fn parse(s: &str) -> Option<Ymd> {
        let s = s.get(..10)?;
        let mut it = s.split('-');
        let y = it.next()?.parse().ok()?;
        let m: u32 = it.next()?.parse().ok()?;
        let d: u32 = it.next()?.parse().ok()?;
        if !(1..=12).contains(&m) || d == 0 || d > 31 {
            return None;
        }
        Some(Ymd { y, m, d })
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn to_days(self) -> i64 {
        let y = if self.m <= 2 { self.y - 1 } else { self.y } as i64;
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.m as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    pub fn from_days(z: i64) -> Ymd {
        let z = z + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Ymd { y: (if m <= 2 { y + 1 } else { y }) as i32, m, d }
    }

    pub fn add_days(self, n: i64) -> Ymd {
        Ymd::from_days(self.to_days() + n)
    }

    /// 0 = Sunday.
    pub fn weekday(self) -> usize {
        (self.to_days() + 4).rem_euclid(7) as usize
    }

    pub fn first_of_month(self) -> Ymd {
        Ymd { d: 1, ..self }
    }

    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }

    /// "Selasa, 24 November 2026"
    pub fn long(self) -> String {
        format!("{}, {} {} {}", HARI[self.weekday()], self.d, BULAN[(self.m - 1) as usize], self.y)
    }

    /// "24 Nov 2026"
    pub fn medium(self) -> String {
        format!("{} {} {}", self.d, BULAN_PENDEK[(self.m - 1) as usize], self.y)
    }

    /// "24 Nov"
    pub fn short(self) -> String {
        format!("{} {}", self.d, BULAN_PENDEK[(self.m - 1) as usize])
    }

    /// Today in the browser's local time zone.
    pub fn today() -> Ymd {
        let now = js_sys::Date::new_0();
        Ymd { y: now.get_full_year() as i32, m: now.get_month() + 1, d: now.get_date() }
    }
}

/// "2026-11-24" -> "Selasa, 24 November 2026"; anything unparsable is returned as is.
pub fn date_long(s: &str) -> String {
    Ymd::parse(s).map(Ymd::long).unwrap_or_else(|| s.to_owned())
}

/// "2026-11-24" -> "24 Nov 2026".
pub fn date_medium(s: &str) -> String {
    Ymd::parse(s).map(Ymd::medium).unwrap_or_else(|| s.to_owned())
}

/// A date range "24–26 Nov 2026" / "30 Nov – 2 Des 2026" / single date.
pub fn date_range(a: &str, b: &str) -> String {
    match (Ymd::parse(a), Ymd::parse(b)) {
        (Some(x), Some(y)) if x == y => x.medium(),
        (Some(x), Some(y)) if x.y == y.y && x.m == y.m => format!("{}–{}", x.d, y.medium()),
        (Some(x), Some(y)) if x.y == y.y => format!("{} – {}", x.short(), y.medium()),
        (Some(x), Some(y)) => format!("{} – {}", x.medium(), y.medium()),
        _ => format!("{a} – {b}"),
    }
}

/// "07:58:12" or "07:58" -> "07:58"; None -> "–".
pub fn hm(t: Option<&str>) -> String {
    match t {
        Some(s) if s.len() >= 5 => s[..5].to_owned(),
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "–".to_owned(),
    }
}

/// Local "24 Nov 2026 07:58" of an RFC 3339 timestamp.
pub fn ts_medium(ts: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(ts));
    if d.get_time().is_nan() {
        return ts.to_owned();
    }
    let ymd = Ymd { y: d.get_full_year() as i32, m: d.get_month() + 1, d: d.get_date() };
    format!("{} {:02}:{:02}", ymd.medium(), d.get_hours(), d.get_minutes())
}

/// Current local time "07:58".
pub fn now_hm() -> String {
    let d = js_sys::Date::new_0();
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// Attendance status label.
pub fn status_label(s: &str) -> &'static str {
    match s {
        "HADIR" => "Hadir",
        "TERLAMBAT" => "Terlambat",
        "IZIN" => "Izin",
        "ALPA" => "Alpa",
        "DITOLAK" => "Ditolak",
        "PENDING" => "Menunggu",
        "DISETUJUI" => "Disetujui",
        _ => "–",
    }
}

/// CSS modifier for a status badge.
pub fn status_class(s: &str) -> &'static str {
    match s {
        "HADIR" | "DISETUJUI" => "badge ok",
        "TERLAMBAT" | "PENDING" => "badge warn",
        "IZIN" => "badge info",
        "ALPA" | "DITOLAK" => "badge bad",
        _ => "badge",
    }
}

/// "1.234" style thousands (Indonesian uses a dot).
pub fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Minutes as "1 jam 5 menit" / "12 menit".
pub fn minutes(m: u64) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m} menit"),
        (h, 0) => format!("{h} jam"),
        (h, m) => format!("{h} jam {m} menit"),
    }
}

/// Metres as "23 m" / "1,2 km".
pub fn distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", m.round() as i64)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = 6_371_008.8_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_roundtrip_and_names() {
        let d = Ymd::parse("2026-11-24").unwrap();
        assert_eq!(d.long(), "Selasa, 24 November 2026");
        assert_eq!(Ymd::from_days(d.to_days()), d);
        assert_eq!(d.add_days(7).iso(), "2026-12-01");
        assert_eq!(Ymd::parse("2024-03-01").unwrap().add_days(-1).iso(), "2024-02-29");
        assert_eq!(Ymd::parse("1970-01-01").unwrap().to_days(), 0);
    }

    #[test]
    fn formats() {
        assert_eq!(num(1234567), "1.234.567");
        assert_eq!(minutes(72), "1 jam 12 menit");
        assert_eq!(hm(Some("07:58:00")), "07:58");
        assert_eq!(date_range("2026-11-24", "2026-11-26"), "24–26 Nov 2026");
        assert_eq!(distance(1234.0), "1,2 km");
    }
}
