//! Attendance rules (DESIGN.md §4) as pure functions: which day a scan belongs to, check-in status and
//! late minutes, check-out, what a failed attempt records, who may check in, who the daily close marks
//! ALPA, and the Indonesian messages the kiosk shows. No HTTP or database types: `services::attendance`
//! applies these decisions to rows.
//!
//! Definitions (all times local, in the nearest office site's time zone):
//! - **Tolerance** is compared in whole minutes: a scan at 08:05:59 counts as 08:05. With `jam_masuk`
//!   08:00 and `toleransi_menit` 5 it is `HADIR`; 08:06:00 is `TERLAMBAT`, 6 minutes late. Late minutes
//!   are counted from `jam_masuk` (not from the end of the tolerance).
//! - **Day shifts** (`jam_pulang >= jam_masuk`) belong to the calendar date of the scan.
//! - **Night shifts** (`jam_pulang < jam_masuk`, e.g. 22:00–06:00) belong to the date they started. The
//!   day changes in the middle of the off-duty gap: the cut-off is `jam_pulang + (jam_masuk - jam_pulang)/2`
//!   (14:00 for 22:00–06:00). A scan before the cut-off belongs to the previous date (02:00 on the 25th
//!   and a late check-out at 13:59 belong to the 24th's shift); from the cut-off on it belongs to the same
//!   date (an early arrival at 21:30 on the 25th is the 25th's check-in).
//! - **Check-out**: a later scan at least `checkout_min_gap_minutes` after the check-in sets `check_out`;
//!   a still later one replaces it (the latest wins). A scan inside the gap changes nothing.
//! - **Rows that a scan replaces**: `DITOLAK` (a failed attempt, the owner's review list) and `ALPA`
//!   (written by the daily close, e.g. before a night-shift employee arrived late) become a check-in. An
//!   `IZIN` row (approved leave) is never overwritten: the employee is told they are on leave.
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::workdays::WorkDays;

/// The status of a day, mirroring the `attendances.status` values (kept free of database types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayStatus {
    Hadir,
    Terlambat,
    Izin,
    Alpa,
    Ditolak,
}

/// `toleransi_menit` when the shift row holds NULL (the SQLAlchemy default).
pub const DEFAULT_TOLERANCE_MIN: i64 = 5;

/// What the rules need from a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftTimes {
    pub jam_masuk: NaiveTime,
    pub jam_pulang: NaiveTime,
    pub toleransi_menit: i64,
}

impl ShiftTimes {
    pub fn new(jam_masuk: NaiveTime, jam_pulang: NaiveTime, toleransi_menit: Option<i32>) -> ShiftTimes {
        ShiftTimes {
            jam_masuk,
            jam_pulang,
            toleransi_menit: toleransi_menit.map(i64::from).unwrap_or(DEFAULT_TOLERANCE_MIN).max(0),
        }
    }

    /// A shift that ends on the next calendar day.
    pub fn is_night(&self) -> bool {
        self.jam_pulang < self.jam_masuk
    }

    /// For night shifts: the local time of day before which a scan belongs to the previous date's shift.
    pub fn night_cutoff(&self) -> Option<NaiveTime> {
        if !self.is_night() {
            return None;
        }
        let gap = self.jam_masuk - self.jam_pulang; // positive: the off-duty hours of one calendar day
        Some(self.jam_pulang + gap / 2)
    }

    /// The attendance date (`tanggal`) of a scan at local time `at`.
    pub fn attendance_date(&self, at: NaiveDateTime) -> NaiveDate {
        match self.night_cutoff() {
            Some(cut) if at.time() < cut => at.date() - Duration::days(1),
            _ => at.date(),
        }
    }

    /// Local start of the shift of `tanggal`.
    pub fn start(&self, tanggal: NaiveDate) -> NaiveDateTime {
        tanggal.and_time(self.jam_masuk)
    }

    /// The local date and time of a stored time of day (`check_in`/`check_out`) on the row of `tanggal`.
    pub fn datetime_on(&self, tanggal: NaiveDate, t: NaiveTime) -> NaiveDateTime {
        match self.night_cutoff() {
            Some(cut) if t < cut => (tanggal + Duration::days(1)).and_time(t),
            _ => tanggal.and_time(t),
        }
    }

    /// Whole minutes after `jam_masuk` of a check-in at `check_in` on `tanggal` (negative when early).
    /// Seconds are ignored: 08:05:59 is 5 minutes after 08:00.
    pub fn late_minutes(&self, tanggal: NaiveDate, check_in: NaiveTime) -> i64 {
        let at = self.datetime_on(tanggal, truncate_to_minute(check_in));
        (at - self.start(tanggal)).num_minutes()
    }

    /// `HADIR` when the check-in is at most `toleransi_menit` after `jam_masuk`, else `TERLAMBAT`; with
    /// the late minutes (0 when on time).
    pub fn check_in_status(&self, tanggal: NaiveDate, check_in: NaiveTime) -> (DayStatus, i64) {
        let late = self.late_minutes(tanggal, check_in);
        if late <= self.toleransi_menit {
            (DayStatus::Hadir, 0)
        } else {
            (DayStatus::Terlambat, late)
        }
    }
}

fn truncate_to_minute(t: NaiveTime) -> NaiveTime {
    NaiveTime::from_hms_opt(t.hour(), t.minute(), 0).expect("valid time")
}

/// The time of day stored for a scan: whole seconds (no fractions, identical on SQLite and MySQL).
pub fn stored_time(at: NaiveDateTime) -> NaiveTime {
    NaiveTime::from_hms_opt(at.hour(), at.minute(), at.second()).expect("valid time")
}

/// The employee's existing row for the day, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRow {
    pub status: DayStatus,
    pub check_in: Option<NaiveTime>,
    pub check_out: Option<NaiveTime>,
}

/// What a valid (recognised, live, inside the geofence) scan does to the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanDecision {
    /// Set `check_in` (a new row, or replacing the `replaces` row: DITOLAK / ALPA / a row without check-in).
    CheckIn { status: DayStatus, late_minutes: i64, time: NaiveTime, replaces: Option<DayStatus> },
    /// Set `check_out` to `time`; `previous` is the check-out it replaces (the latest scan wins).
    CheckOut { check_in: NaiveTime, time: NaiveTime, previous: Option<NaiveTime> },
    /// Inside the gap after check-in: nothing changes; check-out is possible from `checkout_from`.
    TooSoon { check_in: NaiveTime, checkout_from: NaiveDateTime },
    /// Not later than the recorded check-out (e.g. a concurrent scan already wrote a later one).
    AlreadyCheckedOut { check_in: NaiveTime, check_out: NaiveTime },
    /// An approved leave (`IZIN`) covers the day: the kiosk does not overwrite it.
    OnLeave,
}

impl ScanDecision {
    /// Whether the decision writes to the database.
    pub fn changes_row(&self) -> bool {
        matches!(self, ScanDecision::CheckIn { .. } | ScanDecision::CheckOut { .. })
    }
}

/// Applies a valid scan at local time `at` to the day `tanggal` (from [`ShiftTimes::attendance_date`]).
pub fn decide_scan(
    shift: &ShiftTimes,
    tanggal: NaiveDate,
    at: NaiveDateTime,
    existing: Option<&DayRow>,
    checkout_min_gap_minutes: i64,
) -> ScanDecision {
    let time = stored_time(at);
    let check_in = |replaces: Option<DayStatus>| {
        let (status, late_minutes) = shift.check_in_status(tanggal, time);
        ScanDecision::CheckIn { status, late_minutes, time, replaces }
    };
    let Some(row) = existing else { return check_in(None) };
    match row.status {
        DayStatus::Izin => ScanDecision::OnLeave,
        DayStatus::Ditolak | DayStatus::Alpa => check_in(Some(row.status)),
        DayStatus::Hadir | DayStatus::Terlambat => {
            let Some(ci) = row.check_in else { return check_in(Some(row.status)) };
            let checkout_from = shift.datetime_on(tanggal, ci) + Duration::minutes(checkout_min_gap_minutes.max(0));
            if at < checkout_from {
                return ScanDecision::TooSoon { check_in: ci, checkout_from };
            }
            match row.check_out {
                Some(co) if shift.datetime_on(tanggal, co) >= shift.datetime_on(tanggal, time) => {
                    ScanDecision::AlreadyCheckedOut { check_in: ci, check_out: co }
                }
                previous => ScanDecision::CheckOut { check_in: ci, time, previous },
            }
        }
    }
}

/// What a failed attempt of a recognised employee (outside the geofence, liveness failed, grey-zone
/// match) records: a `DITOLAK` row only when the day has no row yet; any existing row is kept.
pub fn rejection_creates_row(existing: Option<&DayRow>) -> bool {
    existing.is_none()
}

/// Why an employee may not check in at the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    Inactive,
    NoFace,
    NoShift,
}

impl Ineligible {
    pub fn code(self) -> &'static str {
        match self {
            Ineligible::Inactive => "EMPLOYEE_INACTIVE",
            Ineligible::NoFace => "FACE_NOT_REGISTERED",
            Ineligible::NoShift => "NO_SHIFT",
        }
    }

    pub fn message(self, nama: &str) -> String {
        match self {
            Ineligible::Inactive => {
                format!("{nama}, akun karyawan Anda tidak aktif sehingga absensi tidak dapat dicatat. Hubungi admin.")
            }
            Ineligible::NoFace => {
                format!("{nama}, wajah Anda belum terdaftar. Minta admin mendaftarkan wajah Anda terlebih dahulu.")
            }
            Ineligible::NoShift => {
                format!("{nama}, Anda belum memiliki shift kerja sehingga absensi tidak dapat dicatat. Hubungi admin.")
            }
        }
    }
}

/// Inactive employees and employees without a face encoding or a shift cannot check in (checked in this
/// order: the most fundamental reason first).
pub fn eligibility(active: bool, has_face: bool, has_shift: bool) -> Result<(), Ineligible> {
    if !active {
        Err(Ineligible::Inactive)
    } else if !has_face {
        Err(Ineligible::NoFace)
    } else if !has_shift {
        Err(Ineligible::NoShift)
    } else {
        Ok(())
    }
}

/// Why the daily close leaves an employee alone on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseSkip {
    NotWorkDay,
    Future,
    Inactive,
    NoShift,
    /// The date is before the employee existed (`dibuat`, as a local date).
    BeforeEmployee,
    /// The day already has a row (any status: HADIR, TERLAMBAT, IZIN, DITOLAK, ALPA).
    HasRow,
}

/// Input of [`close_decision`] for one employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCandidate {
    pub active: bool,
    pub has_shift: bool,
    /// Local date on which the employee was created; `None` when unknown (then they count).
    pub created_on: Option<NaiveDate>,
    pub has_row: bool,
}

/// Whether the daily close of `date` marks the employee `ALPA` (`Ok`) or why not.
pub fn close_decision(
    date: NaiveDate,
    today: NaiveDate,
    work_days: &WorkDays,
    c: &CloseCandidate,
) -> Result<(), CloseSkip> {
    if date > today {
        return Err(CloseSkip::Future);
    }
    if !work_days.is_work_day(date) {
        return Err(CloseSkip::NotWorkDay);
    }
    if !c.active {
        return Err(CloseSkip::Inactive);
    }
    if !c.has_shift {
        return Err(CloseSkip::NoShift);
    }
    if c.created_on.is_some_and(|d| date < d) {
        return Err(CloseSkip::BeforeEmployee);
    }
    if c.has_row {
        return Err(CloseSkip::HasRow);
    }
    Ok(())
}

/// Why a manual entry or correction is inconsistent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualError {
    /// `IZIN` / `ALPA` rows carry no times.
    TimesNotAllowed,
    /// `HADIR` / `TERLAMBAT` need a check-in time.
    CheckInRequired,
    CheckOutWithoutCheckIn,
    /// The check-out must be after the check-in (over midnight for night shifts).
    CheckOutNotAfterCheckIn,
}

impl ManualError {
    pub fn field(self) -> &'static str {
        match self {
            ManualError::TimesNotAllowed | ManualError::CheckInRequired => "check_in",
            ManualError::CheckOutWithoutCheckIn | ManualError::CheckOutNotAfterCheckIn => "check_out",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            ManualError::TimesNotAllowed => "Status IZIN dan ALPA tidak memakai jam check-in/check-out",
            ManualError::CheckInRequired => "Status HADIR dan TERLAMBAT memerlukan jam check-in",
            ManualError::CheckOutWithoutCheckIn => "Jam check-out memerlukan jam check-in",
            ManualError::CheckOutNotAfterCheckIn => "Jam check-out harus setelah jam check-in",
        }
    }
}

/// Consistency of a row entered or corrected by the owner. `shift` (when the employee has one) lets a
/// night shift's check-out fall after midnight.
pub fn validate_manual(
    status: DayStatus,
    check_in: Option<NaiveTime>,
    check_out: Option<NaiveTime>,
    shift: Option<&ShiftTimes>,
) -> Result<(), ManualError> {
    if matches!(status, DayStatus::Izin | DayStatus::Alpa) && (check_in.is_some() || check_out.is_some()) {
        return Err(ManualError::TimesNotAllowed);
    }
    if matches!(status, DayStatus::Hadir | DayStatus::Terlambat) && check_in.is_none() {
        return Err(ManualError::CheckInRequired);
    }
    match (check_in, check_out) {
        (None, Some(_)) => Err(ManualError::CheckOutWithoutCheckIn),
        (Some(ci), Some(co)) => {
            let day = NaiveDate::from_ymd_opt(2000, 1, 3).expect("valid date");
            let after = match shift {
                Some(s) => s.datetime_on(day, co) > s.datetime_on(day, ci),
                None => co > ci,
            };
            if after {
                Ok(())
            } else {
                Err(ManualError::CheckOutNotAfterCheckIn)
            }
        }
        _ => Ok(()),
    }
}

// ---- Messages (Indonesian, shown on the kiosk) ----

/// "pagi" (04:00–10:59), "siang" (11:00–14:59), "sore" (15:00–17:59), "malam" (18:00–03:59).
pub fn greeting(at: NaiveTime) -> &'static str {
    match at.hour() {
        4..=10 => "Selamat pagi",
        11..=14 => "Selamat siang",
        15..=17 => "Selamat sore",
        _ => "Selamat malam",
    }
}

/// `12 menit`, `1 jam`, `1 jam 5 menit`.
pub fn format_minutes(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m} menit"),
        (h, 0) => format!("{h} jam"),
        (h, m) => format!("{h} jam {m} menit"),
    }
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// The kiosk's answer for a decision, e.g. "Selamat pagi, Budi. Check-in 07:58, tepat waktu."
pub fn scan_message(nama: &str, at: NaiveDateTime, d: &ScanDecision) -> String {
    let g = greeting(at.time());
    match d {
        ScanDecision::CheckIn { status: DayStatus::Terlambat, late_minutes, time, .. } => {
            format!("{g}, {nama}. Check-in {}, terlambat {}.", hhmm(*time), format_minutes(*late_minutes))
        }
        ScanDecision::CheckIn { time, .. } => format!("{g}, {nama}. Check-in {}, tepat waktu.", hhmm(*time)),
        ScanDecision::CheckOut { time, previous: None, .. } => {
            format!("{g}, {nama}. Check-out {} tercatat. Terima kasih, hati-hati di jalan.", hhmm(*time))
        }
        ScanDecision::CheckOut { time, previous: Some(p), .. } => {
            format!("{g}, {nama}. Check-out diperbarui dari {} menjadi {}.", hhmm(*p), hhmm(*time))
        }
        ScanDecision::TooSoon { check_in, checkout_from } => format!(
            "{nama}, Anda sudah check-in pukul {}. Check-out dapat dilakukan mulai pukul {}.",
            hhmm(*check_in),
            hhmm(checkout_from.time())
        ),
        ScanDecision::AlreadyCheckedOut { check_out, .. } => {
            format!("{nama}, Anda sudah check-out pukul {}.", hhmm(*check_out))
        }
        ScanDecision::OnLeave => format!(
            "{nama}, Anda tercatat izin/cuti hari ini, jadi absensi tidak dicatat. Hubungi admin bila Anda tetap bekerja."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(s, "%H:%M")).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn dt(date: &str, time: &str) -> NaiveDateTime {
        d(date).and_time(t(time))
    }
    fn day() -> ShiftTimes {
        ShiftTimes::new(t("08:00"), t("17:00"), Some(5))
    }
    fn night() -> ShiftTimes {
        ShiftTimes::new(t("22:00"), t("06:00"), Some(10))
    }
    fn row(status: DayStatus, ci: Option<&str>, co: Option<&str>) -> DayRow {
        DayRow { status, check_in: ci.map(t), check_out: co.map(t) }
    }
    const GAP: i64 = 60;

    #[test]
    fn null_tolerance_is_five_minutes() {
        assert_eq!(ShiftTimes::new(t("08:00"), t("17:00"), None).toleransi_menit, 5);
        assert_eq!(ShiftTimes::new(t("08:00"), t("17:00"), Some(-3)).toleransi_menit, 0);
    }

    #[test]
    fn first_scan_status_by_tolerance() {
        // (scan, expected status, late minutes): tolerance 5 minutes after 08:00.
        let cases = [
            ("07:58:00", DayStatus::Hadir, 0),
            ("08:00:00", DayStatus::Hadir, 0),
            ("08:05:00", DayStatus::Hadir, 0),     // exactly at the tolerance
            ("08:05:59", DayStatus::Hadir, 0),     // seconds do not count
            ("08:06:00", DayStatus::Terlambat, 6), // tolerance + 1 minute
            ("08:12:30", DayStatus::Terlambat, 12),
            ("09:05:00", DayStatus::Terlambat, 65),
        ];
        for (scan, status, late) in cases {
            let at = dt("2026-11-24", scan);
            let tanggal = day().attendance_date(at);
            assert_eq!(tanggal, d("2026-11-24"));
            match decide_scan(&day(), tanggal, at, None, GAP) {
                ScanDecision::CheckIn { status: s, late_minutes, time, replaces: None } => {
                    assert_eq!((s, late_minutes), (status, late), "{scan}");
                    assert_eq!(time, t(scan));
                }
                other => panic!("{scan}: {other:?}"),
            }
        }
        // Zero tolerance: one minute late is late.
        let strict = ShiftTimes::new(t("08:00"), t("17:00"), Some(0));
        assert_eq!(strict.check_in_status(d("2026-11-24"), t("08:00:59")), (DayStatus::Hadir, 0));
        assert_eq!(strict.check_in_status(d("2026-11-24"), t("08:01:00")), (DayStatus::Terlambat, 1));
    }

    #[test]
    fn check_out_gap_and_latest_wins() {
        let tanggal = d("2026-11-24");
        let checked_in = row(DayStatus::Hadir, Some("07:58:10"), None);
        // Inside the gap (60 min after 07:58:10): nothing changes.
        match decide_scan(&day(), tanggal, dt("2026-11-24", "08:30"), Some(&checked_in), GAP) {
            ScanDecision::TooSoon { check_in, checkout_from } => {
                assert_eq!(check_in, t("07:58:10"));
                assert_eq!(checkout_from, dt("2026-11-24", "08:58:10"));
            }
            other => panic!("{other:?}"),
        }
        // One second before the gap ends: still too soon; at the gap: check-out.
        assert!(matches!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "08:58:09"), Some(&checked_in), GAP),
            ScanDecision::TooSoon { .. }
        ));
        assert_eq!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "08:58:10"), Some(&checked_in), GAP),
            ScanDecision::CheckOut { check_in: t("07:58:10"), time: t("08:58:10"), previous: None }
        );
        // A later scan replaces the check-out; the status (TERLAMBAT) is kept by the service.
        let out = row(DayStatus::Terlambat, Some("08:20"), Some("17:01"));
        assert_eq!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "17:30"), Some(&out), GAP),
            ScanDecision::CheckOut { check_in: t("08:20"), time: t("17:30"), previous: Some(t("17:01")) }
        );
        // Not later than the stored check-out: nothing changes.
        assert!(matches!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "17:01"), Some(&out), GAP),
            ScanDecision::AlreadyCheckedOut { .. }
        ));
        // A zero gap still needs a later moment than the check-in.
        assert!(matches!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "08:20"), Some(&out), 0),
            ScanDecision::AlreadyCheckedOut { .. }
        ));
    }

    #[test]
    fn night_shift_window() {
        let n = night();
        assert!(n.is_night() && !day().is_night());
        assert_eq!(n.night_cutoff(), Some(t("14:00")));
        // (scan, attendance date)
        let cases = [
            ("2026-11-24 21:30:00", "2026-11-24"), // early arrival
            ("2026-11-24 22:00:00", "2026-11-24"),
            ("2026-11-24 23:59:59", "2026-11-24"),
            ("2026-11-25 00:00:00", "2026-11-24"),
            ("2026-11-25 02:00:00", "2026-11-24"), // the example of the issue: yesterday's row
            ("2026-11-25 06:10:00", "2026-11-24"), // check-out
            ("2026-11-25 13:59:59", "2026-11-24"), // a very late check-out still belongs to the 24th
            ("2026-11-25 14:00:00", "2026-11-25"), // from the cut-off on: the 25th's shift
            ("2026-11-25 21:55:00", "2026-11-25"),
        ];
        for (scan, date) in cases {
            let at = NaiveDateTime::parse_from_str(scan, "%Y-%m-%d %H:%M:%S").unwrap();
            assert_eq!(n.attendance_date(at), d(date), "{scan}");
        }
        // Day shifts: the calendar date, even after midnight.
        assert_eq!(day().attendance_date(dt("2026-11-25", "00:30")), d("2026-11-25"));
    }

    #[test]
    fn night_shift_status_and_check_out() {
        let n = night(); // 22:00–06:00, tolerance 10
        let tanggal = d("2026-11-24");
        assert_eq!(n.check_in_status(tanggal, t("21:45")), (DayStatus::Hadir, 0));
        assert_eq!(n.check_in_status(tanggal, t("22:10")), (DayStatus::Hadir, 0));
        assert_eq!(n.check_in_status(tanggal, t("22:11")), (DayStatus::Terlambat, 11));
        // A check-in after midnight is late by the whole span.
        assert_eq!(n.check_in_status(tanggal, t("00:30")), (DayStatus::Terlambat, 150));
        let at = dt("2026-11-25", "00:30");
        assert!(matches!(
            decide_scan(&n, n.attendance_date(at), at, None, GAP),
            ScanDecision::CheckIn { status: DayStatus::Terlambat, late_minutes: 150, .. }
        ));
        // Check-out at 06:05 the next morning is 8 h after the check-in (not "before" it).
        let r = row(DayStatus::Hadir, Some("21:58"), None);
        let at = dt("2026-11-25", "06:05");
        assert_eq!(n.attendance_date(at), tanggal);
        assert_eq!(
            decide_scan(&n, tanggal, at, Some(&r), GAP),
            ScanDecision::CheckOut { check_in: t("21:58"), time: t("06:05"), previous: None }
        );
        // 30 minutes after a 23:50 check-in (crossing midnight) is inside the gap.
        let r = row(DayStatus::Terlambat, Some("23:50"), None);
        match decide_scan(&n, tanggal, dt("2026-11-25", "00:20"), Some(&r), GAP) {
            ScanDecision::TooSoon { checkout_from, .. } => assert_eq!(checkout_from, dt("2026-11-25", "00:50")),
            other => panic!("{other:?}"),
        }
        // A later check-out replaces an earlier one across midnight.
        let r = row(DayStatus::Hadir, Some("22:00"), Some("23:30"));
        assert!(matches!(
            decide_scan(&n, tanggal, dt("2026-11-25", "06:00"), Some(&r), GAP),
            ScanDecision::CheckOut { previous: Some(_), .. }
        ));
    }

    #[test]
    fn rejected_then_valid_and_alpa_are_replaced() {
        let tanggal = d("2026-11-24");
        let rejected = row(DayStatus::Ditolak, None, None);
        assert_eq!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "08:12"), Some(&rejected), GAP),
            ScanDecision::CheckIn {
                status: DayStatus::Terlambat,
                late_minutes: 12,
                time: t("08:12"),
                replaces: Some(DayStatus::Ditolak)
            }
        );
        let alpa = row(DayStatus::Alpa, None, None);
        assert!(matches!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "07:00"), Some(&alpa), GAP),
            ScanDecision::CheckIn { status: DayStatus::Hadir, replaces: Some(DayStatus::Alpa), .. }
        ));
        // A manual HADIR row without a check-in time gets one.
        let manual = row(DayStatus::Hadir, None, None);
        assert!(matches!(
            decide_scan(&day(), tanggal, dt("2026-11-24", "07:00"), Some(&manual), GAP),
            ScanDecision::CheckIn { replaces: Some(DayStatus::Hadir), .. }
        ));
        // A failed attempt writes DITOLAK only on an empty day.
        assert!(rejection_creates_row(None));
        for s in [DayStatus::Ditolak, DayStatus::Hadir, DayStatus::Terlambat, DayStatus::Izin, DayStatus::Alpa] {
            assert!(!rejection_creates_row(Some(&row(s, None, None))), "{s:?}");
        }
    }

    #[test]
    fn approved_leave_is_not_overwritten() {
        let izin = row(DayStatus::Izin, None, None);
        let dec = decide_scan(&day(), d("2026-11-24"), dt("2026-11-24", "08:00"), Some(&izin), GAP);
        assert_eq!(dec, ScanDecision::OnLeave);
        assert!(!dec.changes_row());
        assert!(scan_message("Budi", dt("2026-11-24", "08:00"), &dec).contains("izin"));
    }

    #[test]
    fn eligibility_reasons() {
        assert_eq!(eligibility(true, true, true), Ok(()));
        assert_eq!(eligibility(false, true, true), Err(Ineligible::Inactive));
        assert_eq!(eligibility(false, false, false), Err(Ineligible::Inactive));
        assert_eq!(eligibility(true, false, true), Err(Ineligible::NoFace));
        assert_eq!(eligibility(true, true, false), Err(Ineligible::NoShift));
        assert_eq!(Ineligible::Inactive.code(), "EMPLOYEE_INACTIVE");
        assert!(Ineligible::NoFace.message("Budi").contains("belum terdaftar"));
    }

    #[test]
    fn daily_close_decisions() {
        let w = WorkDays::from_days(&[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]);
        let today = d("2026-11-25"); // a Wednesday
        let ok = CloseCandidate { active: true, has_shift: true, created_on: Some(d("2026-11-01")), has_row: false };
        assert_eq!(close_decision(d("2026-11-24"), today, &w, &ok), Ok(()));
        assert_eq!(close_decision(today, today, &w, &ok), Ok(()));
        assert_eq!(close_decision(d("2026-11-26"), today, &w, &ok), Err(CloseSkip::Future));
        assert_eq!(close_decision(d("2026-11-22"), today, &w, &ok), Err(CloseSkip::NotWorkDay)); // Sunday
        let c = |f: fn(&mut CloseCandidate)| {
            let mut c = ok;
            f(&mut c);
            close_decision(d("2026-11-24"), today, &w, &c)
        };
        assert_eq!(c(|c| c.active = false), Err(CloseSkip::Inactive));
        assert_eq!(c(|c| c.has_shift = false), Err(CloseSkip::NoShift));
        assert_eq!(c(|c| c.has_row = true), Err(CloseSkip::HasRow));
        assert_eq!(c(|c| c.created_on = Some(d("2026-11-25"))), Err(CloseSkip::BeforeEmployee));
        assert_eq!(c(|c| c.created_on = Some(d("2026-11-24"))), Ok(())); // created that morning: counts
        assert_eq!(c(|c| c.created_on = None), Ok(()));
    }

    #[test]
    fn manual_entries_are_consistent() {
        use DayStatus::*;
        let ok = |s, ci: Option<&str>, co: Option<&str>, sh: Option<&ShiftTimes>| {
            validate_manual(s, ci.map(t), co.map(t), sh)
        };
        assert_eq!(ok(Hadir, Some("08:00"), None, None), Ok(()));
        assert_eq!(ok(Terlambat, Some("08:20"), Some("17:00"), Some(&day())), Ok(()));
        assert_eq!(ok(Alpa, None, None, None), Ok(()));
        assert_eq!(ok(Izin, None, None, None), Ok(()));
        assert_eq!(ok(Ditolak, None, None, None), Ok(()));
        assert_eq!(ok(Izin, Some("08:00"), None, None), Err(ManualError::TimesNotAllowed));
        assert_eq!(ok(Alpa, None, Some("17:00"), None), Err(ManualError::TimesNotAllowed));
        assert_eq!(ok(Hadir, None, None, None), Err(ManualError::CheckInRequired));
        assert_eq!(ok(Ditolak, None, Some("17:00"), None), Err(ManualError::CheckOutWithoutCheckIn));
        assert_eq!(ok(Hadir, Some("17:00"), Some("08:00"), Some(&day())), Err(ManualError::CheckOutNotAfterCheckIn));
        assert_eq!(ok(Hadir, Some("08:00"), Some("08:00"), None), Err(ManualError::CheckOutNotAfterCheckIn));
        // Night shift 22:00-06:00: 06:05 the next morning is after 21:58.
        assert_eq!(ok(Hadir, Some("21:58"), Some("06:05"), Some(&night())), Ok(()));
        assert_eq!(ok(Hadir, Some("23:00"), Some("22:30"), Some(&night())), Err(ManualError::CheckOutNotAfterCheckIn));
    }

    #[test]
    fn messages() {
        let at = dt("2026-11-24", "07:58:12");
        let d1 = decide_scan(&day(), d("2026-11-24"), at, None, GAP);
        assert_eq!(scan_message("Budi", at, &d1), "Selamat pagi, Budi. Check-in 07:58, tepat waktu.");
        let at = dt("2026-11-24", "08:12");
        let d2 = decide_scan(&day(), d("2026-11-24"), at, None, GAP);
        assert_eq!(scan_message("Budi", at, &d2), "Selamat pagi, Budi. Check-in 08:12, terlambat 12 menit.");
        let r = row(DayStatus::Hadir, Some("07:58"), None);
        let at = dt("2026-11-24", "08:10");
        let d3 = decide_scan(&day(), d("2026-11-24"), at, Some(&r), GAP);
        assert_eq!(
            scan_message("Budi", at, &d3),
            "Budi, Anda sudah check-in pukul 07:58. Check-out dapat dilakukan mulai pukul 08:58."
        );
        let at = dt("2026-11-24", "17:05");
        let d4 = decide_scan(&day(), d("2026-11-24"), at, Some(&r), GAP);
        assert!(scan_message("Budi", at, &d4).starts_with("Selamat sore, Budi. Check-out 17:05"));
        assert_eq!(format_minutes(65), "1 jam 5 menit");
        assert_eq!(format_minutes(120), "2 jam");
        assert_eq!(greeting(t("03:59")), "Selamat malam");
        assert_eq!(greeting(t("04:00")), "Selamat pagi");
        assert_eq!(greeting(t("11:00")), "Selamat siang");
        assert_eq!(greeting(t("18:00")), "Selamat malam");
    }
}
