//! Owner accounts: creation (CLI and first-start bootstrap) and password changes.
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::api::validate::is_valid_email;
use crate::auth::password;
use crate::domain::time::utc_now_naive;
use crate::entities::{user, User, UserRole};

#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    #[error("invalid email address")]
    InvalidEmail,
    #[error("{0}")]
    WeakPassword(String),
    #[error("a user with this email already exists")]
    Exists,
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("hashing: {0}")]
    Hash(String),
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>, sea_orm::DbErr> {
    User::find().filter(user::Column::Email.eq(normalise_email(email))).one(db).await
}

pub async fn create_owner(db: &DatabaseConnection, email: &str, plain: &str) -> Result<user::Model, OwnerError> {
    let email = normalise_email(email);
    if !is_valid_email(&email) {
        return Err(OwnerError::InvalidEmail);
    }
    password::validate_new(plain).map_err(OwnerError::WeakPassword)?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(OwnerError::Exists);
    }
    let hash = password::hash(plain).map_err(OwnerError::Hash)?;
    let model = user::ActiveModel {
        email: Set(email),
        password_hash: Set(hash),
        role: Set(UserRole::Owner),
        created_at: Set(Some(utc_now_naive())),
        ..Default::default()
    };
    match model.insert(db).await {
        Ok(m) => Ok(m),
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => Err(OwnerError::Exists),
        Err(e) => Err(e.into()),
    }
}

/// Creates the first owner from `OWNER_EMAIL`/`OWNER_PASSWORD` when the users table is empty.
pub async fn bootstrap_owner(
    db: &DatabaseConnection,
    email: Option<&str>,
    plain: Option<&str>,
) -> Result<bool, OwnerError> {
    let (Some(email), Some(plain)) = (email, plain) else { return Ok(false) };
    if User::find().count(db).await? > 0 {
        return Ok(false);
    }
    create_owner(db, email, plain).await?;
    Ok(true)
}

pub async fn set_password(db: &DatabaseConnection, user: user::Model, plain: &str) -> Result<user::Model, OwnerError> {
    password::validate_new(plain).map_err(OwnerError::WeakPassword)?;
    let hash = password::hash(plain).map_err(OwnerError::Hash)?;
    let mut am: user::ActiveModel = user.into();
    am.password_hash = Set(hash);
    Ok(am.update(db).await?)
}
