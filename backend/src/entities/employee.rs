use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub kode: String,
    pub nama: String,
    pub email: Option<String>,
    pub shift_id: Option<i32>,
    pub aktif: Option<bool>,
    pub foto_profil: Option<String>,
    pub dibuat: Option<DateTime>,
}

impl Model {
    /// `aktif` is nullable in the locked schema; a NULL means the SQLAlchemy default (`True`).
    pub fn is_active(&self) -> bool {
        self.aktif.unwrap_or(true)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shift_setting::Entity",
        from = "Column::ShiftId",
        to = "super::shift_setting::Column::Id"
    )]
    ShiftSetting,
    #[sea_orm(has_one = "super::face_encoding::Entity")]
    FaceEncoding,
    #[sea_orm(has_many = "super::attendance::Entity")]
    Attendance,
    #[sea_orm(has_many = "super::leave_request::Entity")]
    LeaveRequest,
}

impl Related<super::shift_setting::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ShiftSetting.def()
    }
}

impl Related<super::face_encoding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FaceEncoding.def()
    }
}

impl Related<super::attendance::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Attendance.def()
    }
}

impl Related<super::leave_request::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeaveRequest.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
