//! Office sites and the geofence decision (haversine distance with the `geo` crate).
use chrono_tz::Tz;
use geo::{Distance, Haversine, Point};

#[derive(Debug, Clone, PartialEq)]
pub struct OfficeSite {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: f64,
    /// The site's own time zone (Indonesia spans WIB, WITA, WIT); `None` = `APP_TIMEZONE`.
    pub timezone: Option<Tz>,
}

impl OfficeSite {
    /// Parses `OFFICE_SITES`: `Name:lat,lon[,radius_m[,Time/Zone]];Name2:...` (radius default 50 m).
    pub fn parse_list(s: &str) -> Result<Vec<OfficeSite>, String> {
        let mut sites = Vec::new();
        for (i, part) in s.split(';').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
            let (name, rest) = part
                .split_once(':')
                .ok_or_else(|| format!("site {}: expected `Name:lat,lon[,radius[,tz]]`, got {part:?}", i + 1))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("site {}: empty name", i + 1));
            }
            let fields: Vec<&str> = rest.split(',').map(str::trim).collect();
            if fields.len() < 2 || fields.len() > 4 {
                return Err(format!("site {name:?}: expected lat,lon[,radius[,tz]]"));
            }
            let num = |v: &str, what: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("site {name:?}: bad {what} {v:?}"))
            };
            let latitude = num(fields[0], "latitude")?;
            let longitude = num(fields[1], "longitude")?;
            if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
                return Err(format!("site {name:?}: coordinates out of range"));
            }
            let radius_m = match fields.get(2) {
                Some(v) if !v.is_empty() => num(v, "radius")?,
                _ => 50.0,
            };
            if !(1.0..=100_000.0).contains(&radius_m) {
                return Err(format!("site {name:?}: radius must be between 1 and 100000 m"));
            }
            let timezone = match fields.get(3) {
                Some(v) if !v.is_empty() => {
                    Some(v.parse::<Tz>().map_err(|_| format!("site {name:?}: unknown time zone {v:?}"))?)
                }
                _ => None,
            };
            sites.push(OfficeSite { name: name.to_string(), latitude, longitude, radius_m, timezone });
        }
        if sites.is_empty() {
            return Err("at least one site is needed".into());
        }
        Ok(sites)
    }
}

/// Great-circle distance in metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

/// A GPS fix as the device reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GeofenceVerdict<'a> {
    Inside { site: &'a OfficeSite, distance_m: f64 },
    Outside { site: &'a OfficeSite, distance_m: f64 },
    Inaccurate { accuracy_m: f64, max_m: f64 },
    Invalid,
}

/// The nearest site decides. An accuracy worse than `max_accuracy_m` is refused before distance.
pub fn check<'a>(sites: &'a [OfficeSite], fix: Fix, max_accuracy_m: f64) -> GeofenceVerdict<'a> {
    if !fix.latitude.is_finite()
        || !fix.longitude.is_finite()
        || !fix.accuracy_m.is_finite()
        || !(-90.0..=90.0).contains(&fix.latitude)
        || !(-180.0..=180.0).contains(&fix.longitude)
        || fix.accuracy_m < 0.0
    {
        return GeofenceVerdict::Invalid;
    }
    if fix.accuracy_m > max_accuracy_m {
        return GeofenceVerdict::Inaccurate { accuracy_m: fix.accuracy_m, max_m: max_accuracy_m };
    }
    let Some((site, d)) = nearest(sites, fix.latitude, fix.longitude) else {
        return GeofenceVerdict::Invalid;
    };
    if d <= site.radius_m {
        GeofenceVerdict::Inside { site, distance_m: d }
    } else {
        GeofenceVerdict::Outside { site, distance_m: d }
    }
}

pub fn nearest(sites: &[OfficeSite], lat: f64, lon: f64) -> Option<(&OfficeSite, f64)> {
    sites.iter().map(|s| (s, distance_m(lat, lon, s.latitude, s.longitude))).min_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> Vec<OfficeSite> {
        OfficeSite::parse_list("Kantor Pusat:-6.2000,106.8166,50;Cabang Makassar:-5.1477,119.4327,80,Asia/Makassar")
            .unwrap()
    }

    #[test]
    fn parses_design_example() {
        let s = sites();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "Kantor Pusat");
        assert_eq!(s[0].radius_m, 50.0);
        assert_eq!(s[0].timezone, None);
        assert_eq!(s[1].radius_m, 80.0);
        assert_eq!(s[1].timezone, Some(chrono_tz::Asia::Makassar));
        assert_eq!(OfficeSite::parse_list("A:1,2").unwrap()[0].radius_m, 50.0);
    }

    #[test]
    fn rejects_bad_site_lists() {
        for bad in ["", "A", "A:1", "A:x,2", "A:91,2", "A:1,2,0", "A:1,2,50,Nowhere/Zone", ":1,2"] {
            assert!(OfficeSite::parse_list(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn distance_matches_known_value() {
        // One degree of latitude is ~111.2 km on the haversine sphere (R = 6371.0088 km).
        let d = distance_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        // 0.0004 degrees of latitude ~ 44.5 m
        let d = distance_m(-6.2, 106.8166, -6.2004, 106.8166);
        assert!((d - 44.5).abs() < 0.5, "{d}");
    }

    #[test]
    fn inside_outside_and_nearest_site_decides() {
        let s = sites();
        let fix = |lat, lon, acc| Fix { latitude: lat, longitude: lon, accuracy_m: acc };
        match check(&s, fix(-6.2004, 106.8166, 10.0), 50.0) {
            GeofenceVerdict::Inside { site, distance_m } => {
                assert_eq!(site.name, "Kantor Pusat");
                assert!(distance_m < 50.0);
            }
            v => panic!("{v:?}"),
        }
        // ~55.6 m north of the main office: outside its 50 m radius.
        assert!(matches!(check(&s, fix(-6.1995, 106.8166, 10.0), 50.0), GeofenceVerdict::Outside { .. }));
        // ~66.7 m from Makassar: inside its 80 m radius.
        match check(&s, fix(-5.1471, 119.4327, 10.0), 50.0) {
            GeofenceVerdict::Inside { site, .. } => assert_eq!(site.name, "Cabang Makassar"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn accuracy_and_garbage() {
        let s = sites();
        assert!(matches!(
            check(&s, Fix { latitude: -6.2, longitude: 106.8166, accuracy_m: 120.0 }, 50.0),
            GeofenceVerdict::Inaccurate { .. }
        ));
        for f in [
            Fix { latitude: f64::NAN, longitude: 0.0, accuracy_m: 1.0 },
            Fix { latitude: 95.0, longitude: 0.0, accuracy_m: 1.0 },
            Fix { latitude: 0.0, longitude: 0.0, accuracy_m: -1.0 },
        ] {
            assert_eq!(check(&s, f, 50.0), GeofenceVerdict::Invalid);
        }
    }
}
