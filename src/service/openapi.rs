//! service/openapi.rs: how does a client learn the API?
//!
//! From the OpenAPI 3.0 document kept in the repository (`openapi/wirecopy.json`), compiled in
//! and served as it is at `/v1/openapi.json`. It is written by hand and checked against the
//! code: tests/service.rs asserts that the served document equals the file and that it
//! describes exactly the routes of [`ROUTES`], and schemathesis (tests/api_fuzz.rs) checks the
//! live answers against its schemas.

/// The OpenAPI document, as served.
pub const OPENAPI_JSON: &str = include_str!("../../openapi/wirecopy.json");

/// Every route the service answers: (method, path template).
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/check"),
    ("post", "/v1/documents"),
    ("get", "/v1/documents/{id}"),
    ("delete", "/v1/documents/{id}"),
    ("get", "/v1/stories/{id}"),
    ("get", "/v1/stats"),
    ("get", "/v1/health"),
    ("get", "/v1/report"),
    ("get", "/v1/openapi.json"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_exactly_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
        let paths = doc["paths"].as_object().expect("paths");
        let mut described: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter(|k| *k != "parameters")
                    .map(move |m| (m.clone(), p.clone()))
            })
            .collect();
        described.sort();
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        routes.sort();
        assert_eq!(described, routes);
    }
}
