//! SeaORM entities mirroring the seed's `models.py` exactly (six tables, nothing more).
//!
//! SQLAlchemy's `default=` values are application-side; the constructors in `crate::repo` set them
//! (`role='OWNER'`, `toleransi_menit=5`, `aktif=true`, `liveness_ok=false`, `status='PENDING'`, UTC timestamps).
pub mod attendance;
pub mod employee;
pub mod face_encoding;
pub mod leave_request;
pub mod shift_setting;
pub mod user;

pub use attendance::{AttendanceStatus, Entity as Attendance};
pub use employee::Entity as Employee;
pub use face_encoding::Entity as FaceEncoding;
pub use leave_request::{Entity as LeaveRequest, LeaveStatus};
pub use shift_setting::Entity as ShiftSetting;
pub use user::{Entity as User, UserRole};
