//! `POST /api/v1/contamination`: benchmark items in, per-item contamination results out.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::fields::UInt;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use verbatim_contamination::{CheckOptions, Checker, Item, ItemResult, Method, Summary};

/// Body of a contamination request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContaminationRequest {
    /// The benchmark items.
    #[schema(inline, min_items = 1)]
    items: Vec<Item>,
    /// Definitions to apply (default: all).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = Vec<MethodName>, nullable = false)]
    methods: Option<Vec<String>>,
    /// The index to check against (default: the first served).
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(nullable = false)]
    index: Option<String>,
    /// Llama 2 skip budget: mismatching tokens allowed inside one match.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, maximum = 16)]
    llama2_skip: Option<UInt>,
    /// Example documents kept per method for items that are not clean.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = u64, nullable = false, maximum = 20)]
    examples: Option<UInt>,
}

/// A method name as requests spell it (`all`: every method). Exists for the OpenAPI document;
/// a unit test checks it against [`Method`].
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum MethodName {
    Gpt3,
    Palm,
    Llama2,
    Gpt4,
    Substr50,
    All,
}

/// Response of a contamination request.
#[derive(Debug, Serialize)]
struct ContaminationResponse {
    index: String,
    methods: Vec<Method>,
    summary: Summary,
    items: Vec<ItemResult>,
    elapsed_ms: f64,
}

/// Checks benchmark items against an index.
pub async fn contamination(
    State(st): State<Arc<AppState>>,
    ApiJson(req): ApiJson<ContaminationRequest>,
) -> Result<Response, ApiError> {
    if req.items.len() > st.config.max_items {
        return Err(ApiError::TooLarge(format!(
            "{} items; the limit is {} per request: split them into several requests",
            req.items.len(),
            st.config.max_items
        )));
    }
    if req.items.is_empty() {
        return Err(ApiError::Unprocessable("items is empty".into()));
    }
    for (i, it) in req.items.iter().enumerate() {
        st.check_text(&format!("items[{i}].text"), &it.text)?;
    }
    let methods = match &req.methods {
        None => Method::ALL.to_vec(),
        Some(m) => Method::parse_list(m).map_err(|e| ApiError::BadRequest(e.to_string()))?,
    };
    if req.llama2_skip.is_some_and(|k| k.0 > 16) {
        return Err(ApiError::BadRequest(
            "llama2_skip must be between 0 and 16".into(),
        ));
    }
    if req.examples.is_some_and(|k| k.0 > 20) {
        return Err(ApiError::BadRequest(
            "examples must be between 0 and 20".into(),
        ));
    }
    let index = st.index(req.index.as_deref())?;
    let opts = CheckOptions {
        methods,
        llama2_skip: req.llama2_skip.map_or(0, UInt::usize),
        examples: req.examples.map_or(3, UInt::usize),
        ..CheckOptions::default()
    };
    let pii = st.config.pii;
    let body = st
        .gate
        .run(move || {
            let t = std::time::Instant::now();
            let checker = Checker::new(&index, opts).map_err(|e| over_http(e, &index))?;
            let (items, _) =
                verbatim_contamination::check_all(&checker, &req.items, 0, pii, &|| {})?;
            let resp = ContaminationResponse {
                index: index.manifest().name.clone(),
                methods: checker.options().methods.clone(),
                summary: Summary::of(&items),
                items,
                elapsed_ms: t.elapsed().as_secs_f64() * 1e3,
            };
            serde_json::to_vec(&resp).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    Ok(super::json_bytes(bytes::Bytes::from(body)))
}

/// The API's error for `e`: a served index without the side indexes the methods asked need is
/// named as served, with what to ask for instead (the library's message names its directory
/// and the command line's options).
fn over_http(e: verbatim_contamination::Error, index: &verbatim_core::Index) -> ApiError {
    match e {
        verbatim_contamination::Error::MissingSideIndexes { missing, .. } => {
            ApiError::Unprocessable(format!(
                "index {:?} cannot answer every method asked: {}. Ask for other `methods` \
                 (llama2 needs no side index), or serve an index built with side indexes \
                 (`verbatim index ... --side-indexes words,alnum`)",
                index.manifest().name,
                missing.join("; ")
            ))
        }
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_method_names_are_the_accepted_ones() {
        let doc = serde_json::to_value(<MethodName as utoipa::PartialSchema>::schema()).unwrap();
        let names: Vec<String> = doc["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let mut want: Vec<String> = Method::ALL.iter().map(|m| m.name().to_string()).collect();
        want.push("all".into());
        assert_eq!(names, want);
        assert!(Method::parse_list(&names).is_ok());
    }
}
