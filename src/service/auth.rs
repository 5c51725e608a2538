//! service/auth.rs: may this request write?
//!
//! With a token configured, requests that change the index (`POST /v1/documents`,
//! `DELETE /v1/documents/{id}`) must carry `Authorization: Bearer <token>`; reads stay open
//! (bind to loopback, or put a proxy in front, to restrict those). Without a token every
//! request may write: the default bind address is 127.0.0.1 for that reason.
//!
//! Invariant: the token is compared in constant time ([`subtle`]): how long a refusal takes
//! says nothing about how many leading bytes were right.

use super::errors::ApiError;
use axum::http::{header, HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

/// The bearer token writes need, if any.
#[derive(Clone, Default)]
pub struct Token(Option<Vec<u8>>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        f.write_str(if self.0.is_some() {
            "Token(set)"
        } else {
            "Token(none)"
        })
    }
}

impl Token {
    /// No token: every request may write.
    pub fn none() -> Token {
        Token(None)
    }

    /// A token (surrounding whitespace, such as a file's final newline, is not part of it).
    /// `None` when it is empty.
    pub fn new(secret: &str) -> Option<Token> {
        let t = secret.trim();
        (!t.is_empty()).then(|| Token(Some(t.as_bytes().to_vec())))
    }

    /// Whether a token is required.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Check a write request's headers: `Ok` when no token is set or the request carries it.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(want) = &self.0 else {
            return Ok(());
        };
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, m);
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "this server requires a bearer token for writes: send Authorization: Bearer <token>",
            ));
        };
        let given = value.as_bytes();
        let Some(given) = given
            .strip_prefix(b"Bearer ")
            .or_else(|| given.strip_prefix(b"bearer "))
        else {
            return Err(unauthorized(
                "the Authorization header must be \"Bearer <token>\"",
            ));
        };
        // ct_eq on slices of different lengths is false without comparing contents; the length
        // of the token is not the secret.
        if bool::from(given.trim_ascii().ct_eq(want)) {
            Ok(())
        } else {
            Err(unauthorized("wrong bearer token"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(v).expect("ascii"),
        );
        h
    }

    #[test]
    fn a_token_is_required_only_when_set_and_must_match_exactly() {
        assert!(Token::none().check(&HeaderMap::new()).is_ok());
        let t = Token::new("s3cret\n").expect("non-empty");
        assert!(t.check(&with("Bearer s3cret")).is_ok());
        for bad in [
            "Bearer s3cre",
            "Bearer s3cret2",
            "Basic s3cret",
            "s3cret",
            "Bearer ",
        ] {
            let e = t.check(&with(bad)).expect_err(bad);
            assert_eq!(e.status, StatusCode::UNAUTHORIZED, "{bad}");
        }
        assert!(t.check(&HeaderMap::new()).is_err());
        assert!(Token::new("  \n").is_none());
    }
}
