//! The hub's one error type and its JSON shape `{code, message, field?}`.
//!
//! Storage errors arrive through one `From<sqlx::Error>`: a missing row becomes `NotFound` and a
//! duplicate key `Conflict`, so neither the store's backends nor the handlers map them again.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fenduo_proto::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, field: Option<String> },
    #[error("not logged in or the token has expired")]
    Unauthorized,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A body over its limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// The client's sync cursor is older than the purged history.
    #[error("{0}")]
    Gone(String),
    /// Any other storage failure (500; logged, never shown).
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The hub cannot start as configured, e.g. a database URL of a backend not built yet.
    #[error("{0}")]
    Config(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type HubResult<T> = Result<T, HubError>;

impl From<sqlx::Error> for HubError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => HubError::NotFound("the record".into()),
            // The constraint's text names tables; the client gets a sentence instead.
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                tracing::debug!(error = %d, "duplicate key");
                HubError::Conflict("a record with the same key exists already".into())
            }
            e => HubError::Database(e),
        }
    }
}

impl HubError {
    pub fn invalid(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        HubError::Invalid { code, message: format!("{field}: {}", message.into()), field: Some(field) }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            HubError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            HubError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            HubError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            HubError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            HubError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            HubError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            HubError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            HubError::Gone(_) => (StatusCode::GONE, "resync_required"),
            HubError::Database(_) | HubError::Migrate(_) | HubError::Config(_) | HubError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }

    pub fn to_api_error(&self) -> ApiError {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // Internal details are logged, never shown to the client.
            "the hub had an internal error; it has been logged".to_string()
        } else {
            self.to_string()
        };
        let field = match self {
            HubError::Invalid { field, .. } => field.clone(),
            _ => None,
        };
        ApiError { code: code.to_string(), message, field }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, Json(self.to_api_error())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_row_is_not_found() {
        let e = HubError::from(sqlx::Error::RowNotFound);
        assert!(matches!(e, HubError::NotFound(_)), "{e:?}");
        assert_eq!(e.to_api_error().code, "not_found");
    }
}
