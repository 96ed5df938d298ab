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
            EngineError::Store(_) | EngineError::Migrate(_) => "internal",
            EngineError::AssetMismatch { .. } => "asset_mismatch",
            EngineError::AssetCache { .. } => "asset_cache",
        };
        // Which login-form input the error is about, so the form can highlight it.
        let field = match self {
            EngineError::InvalidHubUrl(_) | EngineError::Unreachable { .. } => Some("hub_url".into()),
            EngineError::BadCredentials => Some("password".into()),
            _ => None,
        };
        ApiError { code: code.into(), message: self.to_string(), field }
    }
}
