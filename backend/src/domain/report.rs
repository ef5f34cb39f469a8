//! Report rules as pure functions: late and early-leave minutes (night shifts included), report periods,
//! and Indonesian date formatting.
//!
//! Late minutes: counted for `TERLAMBAT` rows only (the status decides whether a day is late, so the
//! ranking, the report's counts and the kiosk agree), as the minutes between the shift's `jam_masuk` and
//! `check_in`, placed in time exactly as the kiosk places them (`domain::attendance::ShiftTimes`): on a day
//! shift the check-in is on the row's date (08:00 shift, check-in 20:17 = 737 minutes late, as the kiosk
//! told the employee); on a night shift a check-in before the shift's cut-off belongs to the next calendar
//! day. The tolerance (`toleransi_menit`) decides *whether* a check-in is late, it does not move the
//! start: a check-in at 08:06 for an 08:00 shift with 5 minutes tolerance is 6 minutes late.
//! Early-leave minutes: for rows with a check-out (`HADIR`/`TERLAMBAT`), the minutes between `check_out` and
//! the shift's end. Both work on whole minutes (seconds are ignored) and on a 24-hour clock, so a night shift
//! (22:00-06:00) is handled: a check-in at 00:30 is 150 minutes late, a check-out at 05:30 is 30 minutes early.
//!
//! The SQL aggregates in `services::reports` compute the same numbers in the database; a test checks both
//! against each other on SQLite and MariaDB.
use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

use crate::entities::AttendanceStatus;

const DAY: i64 = 24 * 60;

/// Minutes since midnight, seconds ignored.
pub fn minute_of_day(t: NaiveTime) -> i64 {
    t.hour() as i64 * 60 + t.minute() as i64
}

/// Minutes from `jam_masuk` to a check-in on the row's shift (negative = early), with the kiosk's placement
/// of the check-in: a day shift's check-in is on the row's date; a night shift's (`jam_pulang < jam_masuk`)
/// check-in before the cut-off `jam_pulang + (jam_masuk - jam_pulang) / 2` is on the next calendar day.
/// In whole minutes: `t < cut-off` is `2 t < jam_pulang + jam_masuk`. Equals
/// `ShiftTimes::late_minutes` (a test checks every minute of the day).
pub fn check_in_minutes_after_start(check_in: NaiveTime, jam_masuk: NaiveTime, jam_pulang: NaiveTime) -> i64 {
    let (ci, jm, jp) = (minute_of_day(check_in), minute_of_day(jam_masuk), minute_of_day(jam_pulang));
    let night = jp < jm;
    let ci = if night && 2 * ci < jm + jp { ci + DAY } else { ci };
    ci - jm
}

/// Late minutes of one attendance row (0 unless `TERLAMBAT` with a check-in and a shift `(jam_masuk,
/// jam_pulang)`).
pub fn late_minutes(
    status: AttendanceStatus,
    check_in: Option<NaiveTime>,
    shift: Option<(NaiveTime, NaiveTime)>,
) -> i64 {
    match (status, check_in, shift) {
        (AttendanceStatus::Terlambat, Some(ci), Some((jm, jp))) => check_in_minutes_after_start(ci, jm, jp).max(0),
        _ => 0,
    }
}

/// Length of a shift in minutes (a night shift wraps over midnight).
pub fn shift_minutes(jam_masuk: NaiveTime, jam_pulang: NaiveTime) -> i64 {
    ((minute_of_day(jam_pulang) - minute_of_day(jam_masuk)) % DAY + DAY) % DAY
}

/// Early-leave minutes of one row: how long before the shift's end the employee checked out.
pub fn early_leave_minutes(
    status: AttendanceStatus,
    check_out: Option<NaiveTime>,
    shift: Option<(NaiveTime, NaiveTime)>,
) -> i64 {
    let (Some(co), Some((jm, jp))) = (check_out, shift) else { return 0 };
    if !matches!(status, AttendanceStatus::Hadir | AttendanceStatus::Terlambat) {
        return 0;
    }
    let since_start = ((minute_of_day(co) - minute_of_day(jm)) % DAY + DAY) % DAY;
    (shift_minutes(jm, jp) - since_start).max(0)
}

const BULAN: [&str; 12] = [
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

/// `1 November 2026`.
pub fn format_tanggal(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), BULAN[d.month0() as usize], d.year())
}

/// `1 November 2026 – 30 November 2026` (one date when both are equal).
pub fn format_periode(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        format_tanggal(from)
    } else {
        format!("{} – {}", format_tanggal(from), format_tanggal(to))
    }
}

const HARI: [&str; 7] = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"];

/// `Senin`, `Selasa`, ...
pub fn nama_hari(d: NaiveDate) -> &'static str {
    HARI[d.weekday().num_days_from_monday() as usize]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    ToBeforeFrom,
    TooLong { max_days: i64 },
}

/// `from <= to` and at most `max_days` calendar days, inclusive.
pub fn check_period(from: NaiveDate, to: NaiveDate, max_days: i64) -> Result<(), PeriodError> {
    if to < from {
        return Err(PeriodError::ToBeforeFrom);
    }
    if (to - from).num_days() + 1 > max_days {
        return Err(PeriodError::TooLong { max_days });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttendanceStatus::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M")).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn late_minutes_day_and_night_shifts() {
        let day = Some(("08:00", "17:00"));
        let night = Some(("22:00", "06:00"));
        let cases = [
            // status, check_in, (jam_masuk, jam_pulang), expected
            (Terlambat, Some("08:06"), day, 6),
            (Terlambat, Some("08:06:59"), day, 6),
            (Terlambat, Some("09:30"), day, 90),
            (Terlambat, Some("07:55"), day, 0),
            (Hadir, Some("08:30"), day, 0),
            (Terlambat, None, day, 0),
            (Terlambat, Some("08:30"), None, 0),
            // More than 12 hours late on a day shift: the kiosk said "terlambat 12 jam 17 menit" (it used to
            // read as 0 here, the offset being folded into +-12 h).
            (Terlambat, Some("20:17"), day, 737),
            (Terlambat, Some("23:59"), day, 959),
            // Night shift 22:00-06:00 (cut-off 14:00): after midnight still belongs to the shift that started
            // the day before; a check-in up to the cut-off is late, from the cut-off on it is early.
            (Terlambat, Some("00:30"), night, 150),
            (Terlambat, Some("13:59"), night, 959),
            (Terlambat, Some("14:00"), night, 0),
            (Terlambat, Some("22:10"), night, 10),
            (Terlambat, Some("21:50"), night, 0),
            // A day shift starting just after midnight: a check-in at 23:50 is on the row's date, as the kiosk
            // records it, so it is 23 h 35 min after that date's start.
            (Terlambat, Some("23:50"), Some(("00:15", "08:15")), 1415),
        ];
        for (status, ci, shift, want) in cases {
            let got = late_minutes(status, ci.map(t), shift.map(|(a, b)| (t(a), t(b))));
            assert_eq!(got, want, "{status:?} {ci:?} vs {shift:?}");
        }
    }

    #[test]
    fn late_minutes_agree_with_the_kiosk_rule_at_every_minute() {
        use crate::domain::attendance::ShiftTimes;
        let tanggal = d("2026-11-24");
        for (jm, jp) in
            [("08:00", "17:00"), ("22:00", "06:00"), ("22:01", "06:00"), ("13:00", "01:30"), ("00:15", "08:15")]
        {
            let shift = ShiftTimes::new(t(jm), t(jp), Some(5));
            for m in 0..DAY {
                let ci = NaiveTime::from_hms_opt((m / 60) as u32, (m % 60) as u32, 30).unwrap();
                assert_eq!(
                    check_in_minutes_after_start(ci, t(jm), t(jp)),
                    shift.late_minutes(tanggal, ci),
                    "{jm}-{jp} check-in {ci}"
                );
            }
        }
    }

    #[test]
    fn early_leave_day_and_night_shifts() {
        let day = Some((t("08:00"), t("17:00")));
        let night = Some((t("22:00"), t("06:00")));
        let cases = [
            (Hadir, Some("16:30"), day, 30),
            (Hadir, Some("17:00"), day, 0),
            (Hadir, Some("19:45"), day, 0),
            (Terlambat, Some("12:00"), day, 300),
            // Overtime past midnight on a day shift is not early.
            (Hadir, Some("00:30"), day, 0),
            (Hadir, None, day, 0),
            (Izin, Some("12:00"), day, 0),
            (Hadir, Some("12:00"), None, 0),
            (Hadir, Some("05:30"), night, 30),
            (Hadir, Some("06:10"), night, 0),
            (Hadir, Some("23:00"), night, 420),
        ];
        for (status, co, shift, want) in cases {
            assert_eq!(early_leave_minutes(status, co.map(t), shift), want, "{status:?} {co:?} {shift:?}");
        }
        assert_eq!(shift_minutes(t("22:00"), t("06:00")), 480);
        assert_eq!(shift_minutes(t("08:00"), t("17:00")), 540);
    }

    #[test]
    fn indonesian_dates() {
        assert_eq!(format_tanggal(d("2026-11-01")), "1 November 2026");
        assert_eq!(format_periode(d("2026-11-01"), d("2026-11-30")), "1 November 2026 – 30 November 2026");
        assert_eq!(format_periode(d("2026-02-03"), d("2026-02-03")), "3 Februari 2026");
        assert_eq!(format_tanggal(d("2027-08-17")), "17 Agustus 2027");
        assert_eq!(nama_hari(d("2026-11-24")), "Selasa");
        assert_eq!(nama_hari(d("2026-11-29")), "Minggu");
    }

    #[test]
    fn periods() {
        assert_eq!(check_period(d("2026-01-01"), d("2026-12-31"), 366), Ok(()));
        assert_eq!(check_period(d("2026-01-01"), d("2027-01-01"), 366), Ok(()));
        assert_eq!(check_period(d("2026-01-01"), d("2027-01-02"), 366), Err(PeriodError::TooLong { max_days: 366 }));
        assert_eq!(check_period(d("2026-01-02"), d("2026-01-01"), 366), Err(PeriodError::ToBeforeFrom));
    }
}
