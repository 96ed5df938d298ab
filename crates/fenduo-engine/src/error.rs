use fenduo_proto::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0:?} is not a hub address; enter one like http://192.168.1.20:8710")]
    InvalidHubUrl(String),
    #[error("cannot reach the hub at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the login has expired or was revoked; log in again")]
    Unauthorized,
    #[error("not logged in")]
    NotLoggedIn,
    #[error("the hub refused: {}", .0.message)]
    Hub(ApiError),
    #[error("unexpected answer from the hub: {0}")]
    Protocol(String),
    /// An HTTP error without the hub's `{code, message}` body (a body-size limit, a proxy, a
    /// different server), with the status kept so that permanent refusals can be told from
    /// outages.
    #[error("the hub answered HTTP {status}: {body}")]
    HttpStatus { status: u16, body: String },
    /// What the user entered cannot be sent as it is; `field` names the input.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("local store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("local store migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "asset {name} ({sha256}, {size} bytes) could not be verified: {attempts} downloads from the hub \
         hashed to {actual} ({actual_size} bytes)"
    )]
    AssetMismatch { name: String, sha256: String, size: u64, actual: String, actual_size: u64, attempts: u32 },
    #[error("asset cache, {}: {source}", path.display())]
    AssetCache { path: std::path::PathBuf, source: std::io::Error },
}

pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    /// Whether retrying later may succeed (the network or the hub is down).
    pub fn is_transient(&self) -> bool {
        matches!(self, EngineError::Unreachable { .. } | EngineError::Protocol(_))
            || matches!(self, EngineError::Hub(e) if e.code == "internal")
            || matches!(self, EngineError::HttpStatus { status, .. }
                if !(400..500).contains(status) || matches!(status, 408 | 429))
    }

    /// Whether the hub refused what was sent and will refuse it again, whatever the timing: a 4xx
    /// other than 401 (log in again), 408 and 429 (retry later), and 404 and 405 (the address
    /// does not serve this request at all: nothing in the content is at fault).
    pub fn is_permanent_refusal(&self) -> bool {
        match self {
            EngineError::HttpStatus { status, .. } => {
                (400..500).contains(status) && !matches!(status, 401 | 404 | 405 | 408 | 429)
            }
            EngineError::Hub(e) => !matches!(e.code.as_str(), "internal" | "unauthorized" | "not_found"),
            _ => false,
        }
    }

    /// The `{code, message}` shape the UI translates.
    pub fn to_api_error(&self) -> ApiError {
        let code = match self {
            EngineError::InvalidHubUrl(_) => "invalid_hub_url",
            EngineError::Unreachable { .. } => "hub_unreachable",
            EngineError::BadCredentials => "bad_credentials",
            EngineError::Unauthorized => "unauthorized",
            EngineError::NotLoggedIn => "not_logged_in",
            EngineError::Hub(e) => return e.clone(),
            EngineError::Protocol(_) => "hub_protocol",
            EngineError::HttpStatus { status: 413, .. } => "too_large",
            EngineError::HttpStatus { status: 403, .. } => "forbidden",
            EngineError::HttpStatus { status: 404, .. } => "not_found",
            EngineError::HttpStatus { status: 409, .. } => "conflict",
            EngineError::HttpStatus { status: 400 | 422, .. } => "invalid_input",
            EngineError::HttpStatus { .. } => "hub_http",
            EngineError::Invalid { .. } => "invalid_input",
            EngineError::Store(_) | EngineError::Migrate(_) => "internal",
            EngineError::AssetMismatch { .. } => "asset_mismatch",
            EngineError::AssetCache { .. } => "asset_cache",
        };
        // Which login-form input the error is about, so the form can highlight it.
        let field = match self {
            EngineError::InvalidHubUrl(_) | EngineError::Unreachable { .. } => Some("hub_url".into()),
            EngineError::BadCredentials => Some("password".into()),
            EngineError::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        ApiError { code: code.into(), message: self.to_string(), field }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> EngineError {
        EngineError::HttpStatus { status, body: "x".into() }
    }

    #[test]
    fn http_errors_are_told_apart_by_status() {
        for status in [400, 403, 409, 413, 422] {
            assert!(http(status).is_permanent_refusal(), "{status}");
            assert!(!http(status).is_transient(), "{status}");
        }
        for status in [408, 429, 500, 502, 503] {
            assert!(!http(status).is_permanent_refusal(), "{status}");
            assert!(http(status).is_transient(), "{status}");
        }
        for status in [401, 404, 405] {
            assert!(!http(status).is_permanent_refusal(), "{status}");
        }
        assert_eq!(http(413).to_api_error().code, "too_large");
        let hub =
            |code: &str| EngineError::Hub(ApiError { code: code.into(), message: "m".into(), field: None });
        assert!(hub("invalid_note").is_permanent_refusal());
        assert!(!hub("internal").is_permanent_refusal());
        assert!(hub("internal").is_transient());
        assert!(!EngineError::Protocol("x".into()).is_permanent_refusal());
        assert!(!EngineError::Unreachable { url: "u".into(), reason: "r".into() }.is_permanent_refusal());
    }
}
