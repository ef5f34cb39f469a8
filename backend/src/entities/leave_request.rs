use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "UPPERCASE")]
pub enum LeaveStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DISETUJUI")]
    Disetujui,
    #[sea_orm(string_value = "DITOLAK")]
    Ditolak,
}

impl LeaveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveStatus::Pending => "PENDING",
            LeaveStatus::Disetujui => "DISETUJUI",
            LeaveStatus::Ditolak => "DITOLAK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [LeaveStatus::Pending, LeaveStatus::Disetujui, LeaveStatus::Ditolak]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub employee_id: i32,
    pub alasan: String,
    pub tanggal_mulai: Date,
    pub tanggal_selesai: Date,
    pub bukti_foto: Option<String>,
    /// Nullable in the locked schema; NULL reads as the SQLAlchemy default `PENDING`.
    pub status: Option<LeaveStatus>,
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
