//! Rules of attendance as pure functions: no HTTP, no database types. Heavily unit-tested.
pub mod attendance;
pub mod challenge;
pub mod geofence;
pub mod leave;
pub mod report;
pub mod text;
pub mod time;
pub mod workdays;
