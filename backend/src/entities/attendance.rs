use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "UPPERCASE")]
pub enum AttendanceStatus {
    #[sea_orm(string_value = "HADIR")]
    Hadir,
    #[sea_orm(string_value = "TERLAMBAT")]
    Terlambat,
    #[sea_orm(string_value = "IZIN")]
    Izin,
    #[sea_orm(string_value = "ALPA")]
    Alpa,
    #[sea_orm(string_value = "DITOLAK")]
    Ditolak,
}

impl AttendanceStatus {
    pub const ALL: [AttendanceStatus; 5] = [
        AttendanceStatus::Hadir,
        AttendanceStatus::Terlambat,
        AttendanceStatus::Izin,
        AttendanceStatus::Alpa,
        AttendanceStatus::Ditolak,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Hadir => "HADIR",
            AttendanceStatus::Terlambat => "TERLAMBAT",
            AttendanceStatus::Izin => "IZIN",
            AttendanceStatus::Alpa => "ALPA",
            AttendanceStatus::Ditolak => "DITOLAK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "attendances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub employee_id: i32,
    pub tanggal: Date,
    pub check_in: Option<Time>,
    pub check_out: Option<Time>,
    pub status: AttendanceStatus,
    pub latitude: Option<f32>,
    pub longitude: Option<f32>,
    pub liveness_ok: Option<bool>,
    pub similarity: Option<f32>,
    pub dibuat: Option<DateTime>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::employee::Entity", from = "Column::EmployeeId", to = "super::employee::Column::Id")]
    Employee,
}

impl Related<super::employee::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Employee.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
