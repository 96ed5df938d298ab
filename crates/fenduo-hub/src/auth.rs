//! Passwords (Argon2), bearer tokens (random, stored as SHA-256) and who may see what.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{Duration, Utc};
use fenduo_proto::{Role, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{HubError, HubResult};
use crate::store::Scope;
use crate::AppState;

/// How long a login stays valid.
pub const TOKEN_LIFETIME: Duration = Duration::days(30);

/// Stored in place of a password hash: no password verifies against it, so the account cannot
/// log in until an administrator sets a password (distributors created by roster import).
pub const NO_PASSWORD: &str = "!no-password";

pub fn hash_password(password: &str) -> HubResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A new random token (256 bits, hex) and the hash that is stored in its place.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What data a user may see; `None` for roles that see no region data (leaders).
pub fn scope_of(user: &User) -> Option<Scope> {
    match (user.role, &user.region_id) {
        (Role::Admin, None) => Some(Scope::All),
        (Role::Admin | Role::Coordinator | Role::Trainer, Some(r)) => Some(Scope::Region(r.clone())),
        (Role::Distributor, Some(r)) => {
            Some(Scope::Distributor { region_id: r.clone(), user_id: user.id.clone() })
        }
        _ => None,
    }
}

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Caller {
    pub user: User,
    pub token_hash: String,
}

impl Caller {
    pub fn scope(&self) -> HubResult<Scope> {
        scope_of(&self.user).ok_or_else(|| {
            HubError::Forbidden(format!("role {} cannot see region data", self.user.role.as_str()))
        })
    }

    pub fn require(&self, roles: &[Role]) -> HubResult<()> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(HubError::Forbidden(format!("role {} may not do this", self.user.role.as_str())))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(HubError::Unauthorized)?;
        let token = header.strip_prefix("Bearer ").ok_or(HubError::Unauthorized)?.trim();
        let hash = token_hash(token);
        let user = state.store.user_for_token(&hash, Utc::now()).await?.ok_or(HubError::Unauthorized)?;
        Ok(Caller { user, token_hash: hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let h = hash_password("正确的密码").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("正确的密码", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(a, ha);
        assert_eq!(token_hash(&a), ha);
    }
}
