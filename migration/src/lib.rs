//! The locked schema of the seed's `models.py`, created with the sea-orm-migration schema builder.
//!
//! The structure must equal what Flask-Migrate creates on MariaDB (`backend/tests/fixtures/reference-mysql.json`);
//! `backend/tests/schema_parity.rs` checks it against a real MariaDB.
pub use sea_orm_migration::prelude::*;

mod m20240101_000001_locked_schema;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20240101_000001_locked_schema::Migration)]
    }
}
