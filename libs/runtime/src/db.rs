//! Each service connects with its own role, works in its own schema and runs its embedded
//! migrations at start-up. Schema and role are created by whoever provisions the database
//! (the local stack, the test kit, the cluster's database operator).

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("database URL must name the user (e.g. postgres://{schema}@host:5432/secal)")]
    NoUser { schema: String },
    #[error("cannot connect to the database at {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error(
        "schema '{schema}' is missing or not usable by role '{role}': create it with \
         CREATE SCHEMA {schema} AUTHORIZATION {role}"
    )]
    SchemaMissing { schema: String, role: String },
    #[error("migrations of schema '{schema}' failed: {reason}")]
    Migrate { schema: String, reason: String },
}

/// Opens the pool with `search_path` set to the service's schema, checks that the schema is
/// there and runs the migrations. sqlx takes an advisory lock while migrating, so replicas
/// starting together do not race.
pub async fn connect_and_migrate(
    url: &str,
    schema: &str,
    max_connections: u32,
    migrator: &Migrator,
) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
    if options.get_username().is_empty() {
        return Err(DbError::NoUser {
            schema: schema.to_owned(),
        });
    }
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    let role = options.get_username().to_owned();
    let options = options
        .options([("search_path", schema)])
        .application_name(&format!("secal-{schema}"));
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| DbError::Connect {
            target,
            reason: e.to_string(),
        })?;
    let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await
        .map_err(|e| DbError::Connect {
            target: schema.to_owned(),
            reason: e.to_string(),
        })?;
    if current.as_deref() != Some(schema) {
        return Err(DbError::SchemaMissing {
            schema: schema.to_owned(),
            role,
        });
    }
    migrator.run(&pool).await.map_err(|e| DbError::Migrate {
        schema: schema.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(pool)
}
