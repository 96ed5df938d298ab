//! The hub's HTTP and WebSocket API as the command post uses it.

use std::time::Duration;

use fenduo_proto::{ApiError, ChangePage, LoginRequest, LoginResponse, Me, MutationBatch, MutationResults};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::error::{EngineError, EngineResult};

/// Accepts what people type: `192.168.1.20:8710`, `http://hub.example.com/`, ...
pub fn normalize_hub_url(input: &str) -> EngineResult<Url> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(EngineError::InvalidHubUrl(input.to_string()));
    }
    let with_scheme = if trimmed.contains("://") { trimmed.to_string() } else { format!("http://{trimmed}") };
    let url = Url::parse(&with_scheme).map_err(|_| EngineError::InvalidHubUrl(input.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(EngineError::InvalidHubUrl(input.to_string()));
    }
    Ok(url)
}

#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

impl HubClient {
    pub fn new(base: Url, token: Option<String>) -> HubClient {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("HTTP client builds");
        HubClient { http, base, token }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base.as_str().trim_end_matches('/'), path)
    }

    fn unreachable(&self, e: impl std::fmt::Display) -> EngineError {
        EngineError::Unreachable { url: self.base.to_string(), reason: e.to_string() }
    }

    pub async fn login(&self, username: &str, password: &str) -> EngineResult<LoginResponse> {
        let req = LoginRequest { username: username.into(), password: password.into() };
        let resp = self
            .http
            .post(self.url("/api/v1/login"))
            .json(&req)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            return Err(EngineError::BadCredentials);
        }
        self.decode(resp).await
    }

    pub async fn me(&self) -> EngineResult<Me> {
        self.get("/api/v1/me").await
    }

    /// `fresh`: this page belongs to a sync that started from 0.
    pub async fn changes(&self, after: i64, limit: u32, fresh: bool) -> EngineResult<ChangePage> {
        self.get(&format!("/api/v1/changes?after={after}&limit={limit}&fresh={fresh}")).await
    }

    /// Sends mutations; the hub answers for each id (applied, refused, or repeated).
    pub async fn post_mutations(&self, batch: &MutationBatch) -> EngineResult<MutationResults> {
        let token = self.token.as_deref().ok_or(EngineError::NotLoggedIn)?;
        let resp = self
            .http
            .post(self.url("/api/v1/mutations"))
            .bearer_auth(token)
            .json(batch)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        self.decode(resp).await
    }

    /// GETs an asset's content for streaming, from byte `from` on when given (`Range: bytes=<from>-`
    /// guarded by `If-Range` with its ETag). 200, 206 and 416 are returned as they are; other
    /// answers become errors. Clips are large, so the 20 s limit of other requests does not apply:
    /// the caller watches for stalls instead.
    pub async fn asset(&self, sha256: &str, from: Option<u64>) -> EngineResult<reqwest::Response> {
        let token = self.token.as_deref().ok_or(EngineError::NotLoggedIn)?;
        let mut req = self
            .http
            .get(self.url(&format!("/api/v1/assets/{sha256}")))
            .bearer_auth(token)
            .timeout(Duration::from_secs(6 * 3600));
        if let Some(from) = from {
            req = req
                .header(reqwest::header::RANGE, format!("bytes={from}-"))
                .header(reqwest::header::IF_RANGE, format!("\"{sha256}\""));
        }
        let resp = req.send().await.map_err(|e| self.unreachable(e))?;
        let status = resp.status();
        if status.is_success() || status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(resp);
        }
        let refused = self.decode::<serde_json::Value>(resp).await.err();
        Err(refused.unwrap_or_else(|| EngineError::Protocol(format!("HTTP {status} for asset {sha256}"))))
    }

    pub async fn logout(&self) -> EngineResult<()> {
        let token = self.token.as_deref().ok_or(EngineError::NotLoggedIn)?;
        let resp = self
            .http
            .post(self.url("/api/v1/logout"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        self.decode::<serde_json::Value>(resp).await.map(|_| ())
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> EngineResult<T> {
        let token = self.token.as_deref().ok_or(EngineError::NotLoggedIn)?;
        let resp =
            self.http.get(self.url(path)).bearer_auth(token).send().await.map_err(|e| self.unreachable(e))?;
        self.decode(resp).await
    }

    async fn decode<T: DeserializeOwned>(&self, resp: reqwest::Response) -> EngineResult<T> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| EngineError::Protocol(e.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(EngineError::Unauthorized);
        }
        match serde_json::from_slice::<ApiError>(&bytes) {
            Ok(e) => Err(EngineError::Hub(e)),
            // Not our hub's error shape: its body-size limit, a proxy or a different server answered.
            Err(_) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut body: String = text.trim().chars().take(200).collect();
                if body.is_empty() {
                    body = status.canonical_reason().unwrap_or("no explanation").to_string();
                }
                Err(EngineError::HttpStatus { status: status.as_u16(), body })
            }
        }
    }

    /// The live WebSocket request, authenticated with the bearer token.
    pub fn live_request(&self) -> EngineResult<tokio_tungstenite::tungstenite::handshake::client::Request> {
        let token = self.token.as_deref().ok_or(EngineError::NotLoggedIn)?;
        let mut url = self.base.clone();
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).map_err(|_| EngineError::InvalidHubUrl(self.base.to_string()))?;
        let url = format!("{}/api/v1/live", url.as_str().trim_end_matches('/'));
        let mut req = url.into_client_request().map_err(|e| EngineError::Protocol(e.to_string()))?;
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| EngineError::Protocol(e.to_string()))?;
        req.headers_mut().insert("Authorization", value);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_urls_are_accepted_as_people_type_them() {
        assert_eq!(normalize_hub_url("192.168.1.20:8710").unwrap().as_str(), "http://192.168.1.20:8710/");
        assert_eq!(
            normalize_hub_url(" https://hub.example.com/ ").unwrap().as_str(),
            "https://hub.example.com/"
        );
        for bad in ["", "   ", "ftp://x", "http://", "://"] {
            assert!(matches!(normalize_hub_url(bad), Err(EngineError::InvalidHubUrl(_))), "{bad:?}");
        }
    }
}
