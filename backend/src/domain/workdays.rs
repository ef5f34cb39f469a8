//! `WORK_DAYS`: which weekdays are work days (`Mon-Fri`, `Mon-Sat`, `Mon,Wed,Fri`, Indonesian names too).
use chrono::{Datelike, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkDays([bool; 7]);

fn weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let w = match s.as_str() {
        "mon" | "monday" | "sen" | "senin" => Weekday::Mon,
        "tue" | "tuesday" | "sel" | "selasa" => Weekday::Tue,
        "wed" | "wednesday" | "rab" | "rabu" => Weekday::Wed,
        "thu" | "thursday" | "kam" | "kamis" => Weekday::Thu,
        "fri" | "friday" | "jum" | "jumat" | "jum'at" => Weekday::Fri,
        "sat" | "saturday" | "sab" | "sabtu" => Weekday::Sat,
        "sun" | "sunday" | "min" | "minggu" | "ahad" => Weekday::Sun,
        _ => return None,
    };
    Some(w)
}

impl WorkDays {
    pub fn from_days(days: &[Weekday]) -> WorkDays {
        let mut set = [false; 7];
        for d in days {
            set[d.num_days_from_monday() as usize] = true;
        }
        WorkDays(set)
    }

    pub fn parse(s: &str) -> Result<WorkDays, String> {
        let mut set = [false; 7];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some((a, b)) = part.split_once('-') {
                let a = weekday(a).ok_or_else(|| format!("unknown day {a:?}"))?;
                let b = weekday(b).ok_or_else(|| format!("unknown day {b:?}"))?;
                let mut d = a;
                loop {
                    set[d.num_days_from_monday() as usize] = true;
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            } else {
                let d = weekday(part).ok_or_else(|| format!("unknown day {part:?}"))?;
                set[d.num_days_from_monday() as usize] = true;
            }
        }
        if !set.iter().any(|x| *x) {
            return Err("no work day given".into());
        }
        Ok(WorkDays(set))
    }

    pub fn contains(&self, day: Weekday) -> bool {
        self.0[day.num_days_from_monday() as usize]
    }

    pub fn is_work_day(&self, date: NaiveDate) -> bool {
        self.contains(date.weekday())
    }

    /// Work days in `from..=to` (empty when `to < from`).
    pub fn days_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days().take_while(|d| *d <= to).filter(|d| self.is_work_day(*d)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_lists_and_indonesian_names() {
        let w = WorkDays::parse("Mon-Fri").unwrap();
        assert!(w.contains(Weekday::Mon) && w.contains(Weekday::Fri));
        assert!(!w.contains(Weekday::Sat) && !w.contains(Weekday::Sun));
        let w = WorkDays::parse("Senin-Sabtu").unwrap();
        assert!(w.contains(Weekday::Sat) && !w.contains(Weekday::Sun));
        let w = WorkDays::parse("Mon,Wed,Fri").unwrap();
        assert!(w.contains(Weekday::Wed) && !w.contains(Weekday::Tue));
        // A wrapping range: Fri-Mon = Fri, Sat, Sun, Mon.
        let w = WorkDays::parse("Fri-Mon").unwrap();
        assert!(w.contains(Weekday::Sun) && w.contains(Weekday::Mon) && !w.contains(Weekday::Tue));
        assert!(WorkDays::parse("Funday").is_err());
        assert!(WorkDays::parse("").is_err());
    }

    #[test]
    fn days_between_skips_weekends() {
        let w = WorkDays::parse("Mon-Fri").unwrap();
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 2026-11-20 is a Friday; 21/22 are the weekend.
        let days = w.days_between(d("2026-11-20"), d("2026-11-24"));
        assert_eq!(days, vec![d("2026-11-20"), d("2026-11-23"), d("2026-11-24")]);
        assert!(w.days_between(d("2026-11-24"), d("2026-11-20")).is_empty());
    }
}
