//! One migration for the six tables of the seed, in foreign-key order.
//!
//! Rules that make MariaDB produce exactly the reference structure (see ../shared/schema/README.md):
//! no `.default(...)` (SQLAlchemy defaults are application-side), unnamed foreign keys (MariaDB names them
//! `<table>_ibfk_1`), `.boolean()` for `tinyint(1)`, `.float()` for `float`, `.date_time()` for `datetime`,
//! enum values as string literals, and the InnoDB/utf8mb4 options only on MySQL.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShiftSettings {
    Table,
    Id,
    Nama,
    JamMasuk,
    JamPulang,
    ToleransiMenit,
    Aktif,
    Dibuat,
}

#[derive(DeriveIden)]
enum Employees {
    Table,
    Id,
    Kode,
    Nama,
    Email,
    ShiftId,
    Aktif,
    FotoProfil,
    Dibuat,
}

#[derive(DeriveIden)]
enum FaceEncodings {
    Table,
    Id,
    EmployeeId,
    Encoding,
    Dibuat,
}

#[derive(DeriveIden)]
enum Attendances {
    Table,
    Id,
    EmployeeId,
    Tanggal,
    CheckIn,
    CheckOut,
    Status,
    Latitude,
    Longitude,
    LivenessOk,
    Similarity,
    Dibuat,
}

#[derive(DeriveIden)]
enum LeaveRequests {
    Table,
    Id,
    EmployeeId,
    Alasan,
    TanggalMulai,
    TanggalSelesai,
    BuktiFoto,
    Status,
    Dibuat,
}

fn pk<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().auto_increment().primary_key().to_owned()
}

fn enumeration<T: IntoIden>(col: T, name: &str, values: &[&str]) -> ColumnDef {
    ColumnDef::new(col).enumeration(Alias::new(name), values.iter().map(|v| Alias::new(*v))).to_owned()
}

/// InnoDB + utf8mb4 on MySQL/MariaDB (as the reference); SQLite rejects these options.
fn table_options(stmt: &mut TableCreateStatement, backend: DatabaseBackend) -> TableCreateStatement {
    if backend == DatabaseBackend::MySql {
        stmt.engine("InnoDB").character_set("utf8mb4").collate("utf8mb4_unicode_ci");
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(table_options(
                Table::create()
                    .table(Users::Table)
                    .col(pk(Users::Id))
                    .col(ColumnDef::new(Users::Email).string_len(191).not_null().unique_key())
                    .col(ColumnDef::new(Users::PasswordHash).string_len(255).not_null())
                    .col(enumeration(Users::Role, "role", &["OWNER"]).not_null())
                    .col(ColumnDef::new(Users::CreatedAt).date_time().null()),
                backend,
            ))
            .await?;

        manager
            .create_table(table_options(
                Table::create()
                    .table(ShiftSettings::Table)
                    .col(pk(ShiftSettings::Id))
                    .col(ColumnDef::new(ShiftSettings::Nama).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(ShiftSettings::JamMasuk).time().not_null())
                    .col(ColumnDef::new(ShiftSettings::JamPulang).time().not_null())
                    .col(ColumnDef::new(ShiftSettings::ToleransiMenit).integer().null())
                    .col(ColumnDef::new(ShiftSettings::Aktif).boolean().null())
                    .col(ColumnDef::new(ShiftSettings::Dibuat).date_time().null()),
                backend,
            ))
            .await?;

        manager
            .create_table(table_options(
                Table::create()
                    .table(Employees::Table)
                    .col(pk(Employees::Id))
                    .col(ColumnDef::new(Employees::Kode).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Employees::Nama).string_len(191).not_null())
                    .col(ColumnDef::new(Employees::Email).string_len(191).null())
                    .col(ColumnDef::new(Employees::ShiftId).integer().null())
                    .col(ColumnDef::new(Employees::Aktif).boolean().null())
                    .col(ColumnDef::new(Employees::FotoProfil).string_len(255).null())
                    .col(ColumnDef::new(Employees::Dibuat).date_time().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Employees::Table, Employees::ShiftId)
                            .to(ShiftSettings::Table, ShiftSettings::Id),
                    ),
                backend,
            ))
            .await?;

        manager
            .create_table(table_options(
                Table::create()
                    .table(FaceEncodings::Table)
                    .col(pk(FaceEncodings::Id))
                    .col(ColumnDef::new(FaceEncodings::EmployeeId).integer().not_null().unique_key())
                    .col(ColumnDef::new(FaceEncodings::Encoding).json().not_null())
                    .col(ColumnDef::new(FaceEncodings::Dibuat).date_time().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(FaceEncodings::Table, FaceEncodings::EmployeeId)
                            .to(Employees::Table, Employees::Id),
                    ),
                backend,
            ))
            .await?;

        manager
            .create_table(table_options(
                Table::create()
                    .table(Attendances::Table)
                    .col(pk(Attendances::Id))
                    .col(ColumnDef::new(Attendances::EmployeeId).integer().not_null())
                    .col(ColumnDef::new(Attendances::Tanggal).date().not_null())
                    .col(ColumnDef::new(Attendances::CheckIn).time().null())
                    .col(ColumnDef::new(Attendances::CheckOut).time().null())
                    .col(
                        enumeration(Attendances::Status, "status", &["HADIR", "TERLAMBAT", "IZIN", "ALPA", "DITOLAK"])
                            .not_null(),
                    )
                    .col(ColumnDef::new(Attendances::Latitude).float().null())
                    .col(ColumnDef::new(Attendances::Longitude).float().null())
                    .col(ColumnDef::new(Attendances::LivenessOk).boolean().null())
                    .col(ColumnDef::new(Attendances::Similarity).float().null())
                    .col(ColumnDef::new(Attendances::Dibuat).date_time().null())
                    .index(
                        Index::create()
                            .name("unique_daily_attendance")
                            .col(Attendances::EmployeeId)
                            .col(Attendances::Tanggal)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attendances::Table, Attendances::EmployeeId)
                            .to(Employees::Table, Employees::Id),
                    ),
                backend,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attendance_tanggal")
                    .table(Attendances::Table)
                    .col(Attendances::Tanggal)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(table_options(
                Table::create()
                    .table(LeaveRequests::Table)
                    .col(pk(LeaveRequests::Id))
                    .col(ColumnDef::new(LeaveRequests::EmployeeId).integer().not_null())
                    .col(ColumnDef::new(LeaveRequests::Alasan).string_len(255).not_null())
                    .col(ColumnDef::new(LeaveRequests::TanggalMulai).date().not_null())
                    .col(ColumnDef::new(LeaveRequests::TanggalSelesai).date().not_null())
                    .col(ColumnDef::new(LeaveRequests::BuktiFoto).string_len(255).null())
                    .col(enumeration(LeaveRequests::Status, "status", &["PENDING", "DISETUJUI", "DITOLAK"]))
                    .col(ColumnDef::new(LeaveRequests::Dibuat).date_time().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeaveRequests::Table, LeaveRequests::EmployeeId)
                            .to(Employees::Table, Employees::Id),
                    ),
                backend,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_leave_tanggal")
                    .table(LeaveRequests::Table)
                    .col(LeaveRequests::TanggalMulai)
                    .col(LeaveRequests::TanggalSelesai)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LeaveRequests::Table.into_iden(),
            Attendances::Table.into_iden(),
            FaceEncodings::Table.into_iden(),
            Employees::Table.into_iden(),
            ShiftSettings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
