//! Leave (izin, sakit, cuti) rules as pure functions: the type prefix written into `alasan`, date-range
//! checks, overlap, the status state machine, and what approval does to one day's attendance row.
//!
//! The locked schema has no column for the leave type and no CANCELLED status:
//! - the type is written as a prefix of `alasan` (`"Cuti: liburan keluarga"`);
//! - cancelling a leave sets it to `DITOLAK` (and removes the `IZIN` rows an approval created).
use chrono::NaiveDate;

use crate::entities::{AttendanceStatus, LeaveStatus};

/// `alasan` is `varchar(255)`: the prefix plus the text must fit.
pub const ALASAN_MAX_CHARS: usize = 255;

/// A leave request may start at most this many days before or after today (typos like 2062 are refused).
pub const DATE_WINDOW_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveKind {
    Sakit,
    Izin,
    Cuti,
}

impl LeaveKind {
    pub const ALL: [LeaveKind; 3] = [LeaveKind::Sakit, LeaveKind::Izin, LeaveKind::Cuti];

    pub fn as_str(self) -> &'static str {
        match self {
            LeaveKind::Sakit => "Sakit",
            LeaveKind::Izin => "Izin",
            LeaveKind::Cuti => "Cuti",
        }
    }

    /// Case-insensitive `Sakit`, `Izin` or `Cuti`.
    pub fn parse(s: &str) -> Option<LeaveKind> {
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlasanError {
    Empty,
    TooLong { max_keterangan: usize },
    ControlChars,
}

/// `"<Jenis>: <keterangan>"`. A keterangan that already starts with the same prefix is not prefixed twice.
pub fn compose_alasan(kind: LeaveKind, keterangan: &str) -> Result<String, AlasanError> {
    let mut text = keterangan.trim();
    if let (Some(k), rest) = split_alasan(text) {
        if k == kind {
            text = rest;
        }
    }
    if text.is_empty() {
        return Err(AlasanError::Empty);
    }
    if super::text::has_forbidden_chars(text) {
        return Err(AlasanError::ControlChars);
    }
    let prefix_len = kind.as_str().len() + 2;
    if prefix_len + text.chars().count() > ALASAN_MAX_CHARS {
        return Err(AlasanError::TooLong { max_keterangan: ALASAN_MAX_CHARS - prefix_len });
    }
    Ok(format!("{}: {text}", kind.as_str()))
}

/// Splits a stored `alasan` into its type and the text after the prefix. Rows written without a known
/// prefix (e.g. by another tool) give `(None, whole text)`.
pub fn split_alasan(alasan: &str) -> (Option<LeaveKind>, &str) {
    if let Some((head, rest)) = alasan.split_once(':') {
        if let Some(kind) = LeaveKind::parse(head) {
            return (Some(kind), rest.trim());
        }
    }
    (None, alasan.trim())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    EndBeforeStart,
    TooLong { max_days: i64 },
    OutOfWindow { window_days: i64 },
}

/// Checks a leave's dates: `end >= start`, at most `max_days` calendar days (inclusive), and both dates
/// within [`DATE_WINDOW_DAYS`] of `today`.
pub fn check_range(start: NaiveDate, end: NaiveDate, today: NaiveDate, max_days: i64) -> Result<(), RangeError> {
    if end < start {
        return Err(RangeError::EndBeforeStart);
    }
    let window = DATE_WINDOW_DAYS;
    if (start - today).num_days().abs() > window || (end - today).num_days().abs() > window {
        return Err(RangeError::OutOfWindow { window_days: window });
    }
    if calendar_days(start, end) > max_days {
        return Err(RangeError::TooLong { max_days });
    }
    Ok(())
}

/// Days from `start` to `end` inclusive.
pub fn calendar_days(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days() + 1
}

/// Two inclusive date ranges share at least one day.
pub fn overlaps(a: (NaiveDate, NaiveDate), b: (NaiveDate, NaiveDate)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Leaves that block a new overlapping request: pending (NULL reads as pending) and approved ones.
pub fn blocks_overlap(status: Option<LeaveStatus>) -> bool {
    matches!(status, None | Some(LeaveStatus::Pending) | Some(LeaveStatus::Disetujui))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveAction {
    Approve,
    Reject,
    Cancel,
}

/// What a transition does to attendance rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// Create `IZIN` rows for the work days covered (see [`plan_day`]).
    CreateIzinRows,
    /// Remove the `IZIN` rows without check-in in the leave's range.
    RemoveIzinRows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: LeaveStatus,
    pub effect: Effect,
    /// The leave is already where the action would put it: nothing changes (a repeated click).
    pub noop: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: LeaveStatus,
    pub action: LeaveAction,
}

/// The leave state machine. `DITOLAK` is final (it also stands for "cancelled": the locked enum has no
/// CANCELLED); repeating the action that led to the current state is a no-op.
///
/// | from \ action | approve                  | reject        | cancel                      |
/// |---------------|--------------------------|---------------|-----------------------------|
/// | PENDING       | DISETUJUI + create IZIN  | DITOLAK       | DITOLAK                     |
/// | DISETUJUI     | no-op                    | error         | DITOLAK + remove IZIN rows  |
/// | DITOLAK       | error                    | no-op         | no-op                       |
pub fn transition(from: LeaveStatus, action: LeaveAction) -> Result<Transition, TransitionError> {
    use LeaveAction::*;
    use LeaveStatus::*;
    let t = |to, effect| Ok(Transition { to, effect, noop: false });
    let noop = Ok(Transition { to: from, effect: Effect::None, noop: true });
    match (from, action) {
        (Pending, Approve) => t(Disetujui, Effect::CreateIzinRows),
        (Pending, Reject) | (Pending, Cancel) => t(Ditolak, Effect::None),
        (Disetujui, Approve) => noop,
        (Disetujui, Cancel) => t(Ditolak, Effect::RemoveIzinRows),
        (Ditolak, Reject) | (Ditolak, Cancel) => noop,
        (Disetujui, Reject) | (Ditolak, Approve) => Err(TransitionError { from, action }),
    }
}

/// What approving a leave does to one covered work day, given the row already there (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayPlan {
    /// No row yet: insert an `IZIN` row.
    Insert,
    /// `ALPA` (e.g. a retroactive sick note after the daily close) or `DITOLAK` (a failed scan attempt):
    /// the row becomes a clean `IZIN` row: the approved leave explains the day.
    Replace,
    /// A real check-in (`HADIR`/`TERLAMBAT`) or already `IZIN`: left untouched.
    Keep,
}

pub fn plan_day(existing: Option<AttendanceStatus>) -> DayPlan {
    match existing {
        None => DayPlan::Insert,
        Some(AttendanceStatus::Alpa) | Some(AttendanceStatus::Ditolak) => DayPlan::Replace,
        Some(AttendanceStatus::Hadir) | Some(AttendanceStatus::Terlambat) | Some(AttendanceStatus::Izin) => {
            DayPlan::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn kinds_parse_case_insensitively() {
        for (s, k) in [("Sakit", LeaveKind::Sakit), ("izin", LeaveKind::Izin), (" CUTI ", LeaveKind::Cuti)] {
            assert_eq!(LeaveKind::parse(s), Some(k), "{s}");
        }
        for bad in ["", "Libur", "Sakit:", "cuti bersama"] {
            assert_eq!(LeaveKind::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn alasan_prefix_round_trip_and_limits() {
        let a = compose_alasan(LeaveKind::Cuti, "  liburan keluarga ").unwrap();
        assert_eq!(a, "Cuti: liburan keluarga");
        assert_eq!(split_alasan(&a), (Some(LeaveKind::Cuti), "liburan keluarga"));
        // Already prefixed with the same type: not doubled. Another type's prefix stays text.
        assert_eq!(compose_alasan(LeaveKind::Sakit, "sakit: demam").unwrap(), "Sakit: demam");
        assert_eq!(compose_alasan(LeaveKind::Izin, "Cuti: x").unwrap(), "Izin: Cuti: x");
        assert_eq!(split_alasan("keperluan keluarga"), (None, "keperluan keluarga"));
        assert_eq!(split_alasan("Jam 10: dokter"), (None, "Jam 10: dokter"));
        assert_eq!(compose_alasan(LeaveKind::Izin, "   "), Err(AlasanError::Empty));
        assert_eq!(compose_alasan(LeaveKind::Izin, "Izin:  "), Err(AlasanError::Empty));
        assert_eq!(compose_alasan(LeaveKind::Izin, "a\u{7}b"), Err(AlasanError::ControlChars));
        // "Sakit: " is 7 characters, so 248 characters of text fit exactly (counted in characters, not bytes).
        let fits = "é".repeat(248);
        assert_eq!(compose_alasan(LeaveKind::Sakit, &fits).unwrap().chars().count(), 255);
        let e = compose_alasan(LeaveKind::Sakit, &"x".repeat(249)).unwrap_err();
        assert_eq!(e, AlasanError::TooLong { max_keterangan: 248 });
    }

    #[test]
    fn ranges() {
        let today = d("2026-11-24");
        let cases = [
            ("2026-11-24", "2026-11-24", 30, Ok(())),
            ("2026-11-24", "2026-12-23", 30, Ok(())),
            ("2026-11-24", "2026-12-24", 30, Err(RangeError::TooLong { max_days: 30 })),
            ("2026-11-25", "2026-11-24", 30, Err(RangeError::EndBeforeStart)),
            ("2025-11-23", "2025-11-24", 30, Ok(())),
            ("2025-11-22", "2025-11-24", 30, Err(RangeError::OutOfWindow { window_days: 366 })),
            ("2062-11-24", "2062-11-25", 30, Err(RangeError::OutOfWindow { window_days: 366 })),
            ("2026-11-01", "2026-11-10", 5, Err(RangeError::TooLong { max_days: 5 })),
        ];
        for (a, b, max, want) in cases {
            assert_eq!(check_range(d(a), d(b), today, max), want, "{a}..{b} max {max}");
        }
    }

    #[test]
    fn overlap_is_inclusive() {
        let r = |a, b| (d(a), d(b));
        assert!(overlaps(r("2026-11-01", "2026-11-05"), r("2026-11-05", "2026-11-07")));
        assert!(overlaps(r("2026-11-01", "2026-11-30"), r("2026-11-10", "2026-11-11")));
        assert!(!overlaps(r("2026-11-01", "2026-11-05"), r("2026-11-06", "2026-11-07")));
        assert!(!overlaps(r("2026-11-06", "2026-11-07"), r("2026-11-01", "2026-11-05")));
        assert!(blocks_overlap(None) && blocks_overlap(Some(LeaveStatus::Pending)));
        assert!(blocks_overlap(Some(LeaveStatus::Disetujui)) && !blocks_overlap(Some(LeaveStatus::Ditolak)));
    }

    #[test]
    fn state_machine_table() {
        use LeaveAction::*;
        use LeaveStatus::*;
        let ok = |to, effect| Ok(Transition { to, effect, noop: false });
        let table = [
            (Pending, Approve, ok(Disetujui, Effect::CreateIzinRows)),
            (Pending, Reject, ok(Ditolak, Effect::None)),
            (Pending, Cancel, ok(Ditolak, Effect::None)),
            (Disetujui, Approve, Ok(Transition { to: Disetujui, effect: Effect::None, noop: true })),
            (Disetujui, Reject, Err(TransitionError { from: Disetujui, action: Reject })),
            (Disetujui, Cancel, ok(Ditolak, Effect::RemoveIzinRows)),
            (Ditolak, Approve, Err(TransitionError { from: Ditolak, action: Approve })),
            (Ditolak, Reject, Ok(Transition { to: Ditolak, effect: Effect::None, noop: true })),
            (Ditolak, Cancel, Ok(Transition { to: Ditolak, effect: Effect::None, noop: true })),
        ];
        for (from, action, want) in table {
            assert_eq!(transition(from, action), want, "{from:?} + {action:?}");
        }
    }

    #[test]
    fn approval_never_overwrites_a_real_check_in() {
        use AttendanceStatus::*;
        assert_eq!(plan_day(None), DayPlan::Insert);
        assert_eq!(plan_day(Some(Alpa)), DayPlan::Replace);
        assert_eq!(plan_day(Some(Ditolak)), DayPlan::Replace);
        for keep in [Hadir, Terlambat, Izin] {
            assert_eq!(plan_day(Some(keep)), DayPlan::Keep, "{keep:?}");
        }
    }
}
