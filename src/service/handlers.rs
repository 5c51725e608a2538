//! service/handlers.rs: what does each route answer?
//!
//! One function per route plus the middleware of [`super::router`]. Handlers parse and check
//! the request (bodies as the JSONL reader reads a record, [`crate::input::parse_record`]), then
//! run the index work on the blocking pool through [`Service`]'s read or write lock.

use super::errors::ApiError;
use super::{openapi, Service};
use crate::document::{DocId, Document};
use crate::index::Index;
use crate::input::{self, FieldMap};
use crate::report::{self, Format, SCHEMA_VERSION};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::sync::Arc;

type Shared = State<Arc<Service>>;

/// Run index work on the blocking pool (it is CPU-bound and takes a lock).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("the worker failed: {e}")))?
}

/// Query parameters of `POST /v1/check` and `POST /v1/documents`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DocParams {
    /// The page's URL (required with an HTML body).
    url: Option<String>,
    /// The page's id with an HTML body (default: its URL).
    id: Option<String>,
    /// Tighten the Jaccard threshold (check only).
    threshold: Option<f64>,
    /// Tighten the containment threshold (check only).
    containment: Option<f64>,
}

/// One document or a batch, as the request gave it.
enum Docs {
    One(Document),
    Many(Vec<Document>),
}

impl Docs {
    fn into_vec(self) -> (Vec<Document>, bool) {
        match self {
            Docs::One(d) => (vec![d], false),
            Docs::Many(v) => (v, true),
        }
    }
}

fn body_error(e: BytesRejection, max: usize) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!(
            "the request body is larger than {max} bytes (--max-body)"
        ))
    } else {
        ApiError::new(
            status,
            format!("reading the request body: {}", e.body_text()),
        )
    }
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError::bad_request(format!("query parameters: {}", e.body_text()))
}

fn path_error(e: PathRejection) -> ApiError {
    ApiError::bad_request(format!("path: {}", e.body_text()))
}

/// The request's media type, lowercased, without parameters (`None` when absent).
fn media_type(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::bad_request("the Content-Type header is not ASCII"))?;
    Ok(Some(
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    ))
}

/// Read the body as documents: a JSON object (one document) or array (a batch) of JSONL
/// records, JSON Lines (`application/x-ndjson`, a batch), or an HTML page
/// (`Content-Type: text/html`, its URL in `?url=`).
fn parse_docs(
    headers: &HeaderMap,
    params: &DocParams,
    body: &[u8],
    max_batch: usize,
) -> Result<Docs, ApiError> {
    match media_type(headers)?.as_deref() {
        Some("text/html") | Some("application/xhtml+xml") => {
            let Some(url) = params.url.as_deref() else {
                return Err(ApiError::bad_request(
                    "an HTML body needs the page's URL as a query parameter: ?url=...",
                ));
            };
            let id = params.id.clone().unwrap_or_else(|| url.to_string());
            // As the JSONL reader reads a record with an `html` field (bytes, so that a page in
            // a legacy charset is decoded as its declaration or content says).
            let doc = input::html::document_from_html(DocId::Str(id), body, Some(url))
                .map_err(|e| ApiError::bad_request(format!("the HTML page: {e}")))?;
            Ok(Docs::One(doc))
        }
        kind @ (None | Some("application/json") | Some("application/x-ndjson")) => {
            if params.url.is_some() || params.id.is_some() {
                return Err(ApiError::bad_request(
                    "url and id query parameters are for HTML bodies; a JSON record carries its own",
                ));
            }
            if kind == Some("application/x-ndjson") {
                jsonl_docs(body, max_batch)
            } else {
                json_docs(body, max_batch)
            }
        }
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Type {other:?}: send application/json or text/html"),
        )),
    }
}

fn utf8(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(format!("the body is not UTF-8: {e}")))
}

/// A batch of records, each `(where it is, its JSON text)`: size-checked, then each read
/// exactly as a JSONL line is; the first bad record names its place.
fn batch(
    records: Vec<(String, std::borrow::Cow<'_, str>)>,
    max_batch: usize,
) -> Result<Docs, ApiError> {
    if records.is_empty() {
        return Err(ApiError::bad_request(
            "empty batch: send one or more documents",
        ));
    }
    if records.len() > max_batch {
        return Err(ApiError::too_large(format!(
            "a batch of {} documents is more than {max_batch} (--max-batch)",
            records.len()
        )));
    }
    let fields = FieldMap::default();
    records
        .iter()
        .map(|(at, text)| {
            input::parse_record(text, &fields)
                .map_err(|m| ApiError::bad_request(format!("{at}: {m}")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Docs::Many)
}

/// A JSON body: an object is one record, an array a batch.
fn json_docs(body: &[u8], max_batch: usize) -> Result<Docs, ApiError> {
    let text = utf8(body)?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    match value {
        serde_json::Value::Array(items) => batch(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("document {i} of the batch"), v.to_string().into()))
                .collect(),
            max_batch,
        ),
        // The body itself is the record, read exactly as a JSONL line is.
        _ => input::parse_record(text, &FieldMap::default())
            .map(Docs::One)
            .map_err(ApiError::bad_request),
    }
}

/// A JSON Lines body: one record per non-blank line, always a batch.
fn jsonl_docs(body: &[u8], max_batch: usize) -> Result<Docs, ApiError> {
    batch(
        utf8(body)?
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (format!("line {}", i + 1), l.into()))
            .collect(),
        max_batch,
    )
}

fn unit(name: &str, v: Option<f64>) -> Result<Option<f64>, ApiError> {
    match v {
        Some(x) if !(0.0..=1.0).contains(&x) => Err(ApiError::bad_request(format!(
            "{name} must be between 0 and 1, got {x}"
        ))),
        _ => Ok(v),
    }
}

fn decisions<T: Serialize>(mut v: Vec<T>, batch: bool) -> Response {
    if batch {
        Json(v).into_response()
    } else {
        match v.pop() {
            Some(d) => Json(d).into_response(),
            None => ApiError::internal("no decision").into_response(),
        }
    }
}

/// `POST /v1/check`: decisions without adding.
pub(super) async fn check(
    State(svc): Shared,
    params: Result<Query<DocParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let body = body.map_err(|e| body_error(e, svc.config.max_body))?;
    let threshold = unit("threshold", params.threshold)?;
    let containment = unit("containment", params.containment)?;
    let (docs, batch) = parse_docs(&headers, &params, &body, svc.config.max_batch)?.into_vec();
    let out = blocking(move || {
        svc.read(|ix| {
            let cfg = *ix.config();
            let (t, c) = (
                threshold.unwrap_or(cfg.threshold),
                containment.unwrap_or(cfg.containment),
            );
            docs.iter()
                .map(|d| ix.query_with(d, t, c).map_err(ApiError::from))
                .collect::<Result<Vec<_>, _>>()
        })
    })
    .await?;
    Ok(decisions(out, batch))
}

/// `POST /v1/documents`: check and add, answered once the adds are durable.
pub(super) async fn add(
    State(svc): Shared,
    params: Result<Query<DocParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let body = body.map_err(|e| body_error(e, svc.config.max_body))?;
    if params.threshold.is_some() || params.containment.is_some() {
        return Err(ApiError::bad_request(
            "threshold and containment apply to /v1/check only: an add is judged with the index's own",
        ));
    }
    let (docs, batch) = parse_docs(&headers, &params, &body, svc.config.max_batch)?.into_vec();
    let out = blocking(move || {
        svc.write(|ix| {
            docs.into_iter()
                .map(|d| ix.add(d).map_err(ApiError::from))
                .collect::<Result<Vec<_>, _>>()
        })
    })
    .await?;
    Ok((StatusCode::OK, decisions(out, batch)).into_response())
}

/// A stored document as `GET /v1/documents/{id}` shows it: the JSONL record's fields.
#[derive(Serialize)]
struct DocumentOut {
    id: DocId,
    url: Option<String>,
    site: Option<String>,
    title: Option<String>,
    published: Option<String>,
    text: String,
}

fn no_document(id: &str) -> ApiError {
    ApiError::not_found(format!("no document with id {id:?}"))
}

/// `GET /v1/documents/{id}`.
pub(super) async fn get_document(
    State(svc): Shared,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(path_error)?;
    let out = blocking(move || {
        svc.read(|ix| {
            let d = ix.get(&id)?.ok_or_else(|| no_document(&id))?;
            Ok(DocumentOut {
                id: d.id.clone(),
                url: d.url.clone(),
                site: d.site.clone(),
                title: d.title.clone(),
                published: d.published.as_ref().map(|p| p.raw.clone()),
                text: d.text.clone(),
            })
        })
    })
    .await?;
    Ok(Json(out).into_response())
}

/// `DELETE /v1/documents/{id}`: answered once the removal is durable.
pub(super) async fn delete_document(
    State(svc): Shared,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(path_error)?;
    let out = blocking(move || {
        svc.write(|ix| {
            if ix.remove(&id)? {
                Ok(serde_json::json!({ "id": id, "removed": true }))
            } else {
                Err(no_document(&id))
            }
        })
    })
    .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/stories/{id}`: the story holding document `id`.
pub(super) async fn story(
    State(svc): Shared,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct StoryOut {
        schema_version: u32,
        #[serde(flatten)]
        story: report::Story,
    }
    let Path(id) = id.map_err(path_error)?;
    let out = blocking(move || {
        let known = svc.read(|ix| Ok(ix.get(&id)?.is_some()))?;
        if !known {
            return Err(no_document(&id));
        }
        let r = svc.report()?;
        let story = Index::story_of(&r, &id)
            .ok_or_else(|| ApiError::not_found(format!("document {id:?} is in no story")))?;
        Ok(StoryOut {
            schema_version: SCHEMA_VERSION,
            story: story.clone(),
        })
    })
    .await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/stats`.
pub(super) async fn stats(State(svc): Shared) -> Result<Response, ApiError> {
    let out = blocking(move || svc.read(|ix| Ok(ix.stats()?))).await?;
    Ok(Json(out).into_response())
}

/// `GET /v1/health`: answers without touching the index.
pub(super) async fn health() -> Response {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
        .into_response()
}

/// Query parameters of `GET /v1/report`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportParams {
    /// html (default), json, jsonl, csv or text.
    format: Option<String>,
}

/// `GET /v1/report`: the syndication report of the index's stories.
pub(super) async fn report(
    State(svc): Shared,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(query_error)?;
    let format = match params.format.as_deref() {
        None => Format::Html,
        Some(f) => Format::from_str(f).map_err(|e| ApiError::bad_request(e.to_string()))?,
    };
    let body = blocking(move || {
        let r = svc.report()?;
        let mut out = Vec::new();
        report::render(&r, format, &mut out)
            .map_err(|e| ApiError::internal(format!("rendering the report: {e}")))?;
        Ok(out)
    })
    .await?;
    let ctype = match format {
        Format::Html => "text/html; charset=utf-8",
        Format::Json => "application/json",
        Format::Jsonl => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Text => "text/plain; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, ctype)], body).into_response())
}

/// `GET /v1/openapi.json`: the OpenAPI document kept in the repository.
pub(super) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::OPENAPI_JSON,
    )
        .into_response()
}

/// Unknown routes.
pub(super) async fn no_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route {method} {}: see /v1/openapi.json",
        uri.path()
    ))
}

/// Known routes with another method.
pub(super) async fn wrong_method(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not take {method}: see /v1/openapi.json",
            uri.path()
        ),
    )
}

/// Whether a request changes the index (and so needs the token when one is set).
fn is_write(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) && path != "/v1/check"
}

/// Middleware: writes need the bearer token when one is set (checked before the body is read).
pub(super) async fn authorize(State(svc): Shared, req: Request, next: Next) -> Response {
    if is_write(req.method(), req.uri().path()) {
        if let Err(e) = svc.config.token.check(req.headers()) {
            return e.into_response();
        }
    }
    next.run(req).await
}

/// Middleware: a request that takes longer than the timeout is answered 503.
pub(super) async fn time_limit(State(svc): Shared, req: Request<Body>, next: Next) -> Response {
    let limit = svc.config.timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            let mut r = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the request took longer than {} s; a write may still complete (retrying an add is safe)",
                    limit.as_secs_f64()
                ),
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    }
}
