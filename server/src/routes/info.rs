//! Small read-only endpoints: indexes, examples, OpenAPI, health, metrics.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use std::sync::Arc;
use verbatim_core::api::IndexInfoJson;

/// `GET /api/v1/indexes`. The per-source counts are read once per index, behind the gate;
/// the takedown lists are read again first when they changed, so `taken_down` is current.
/// An index that answers nothing (rebuilt as one this server cannot serve, failed its check,
/// an unreadable takedown list), and every group holding it, is listed under `unavailable`
/// with the reason its queries get, not with the numbers of what it was.
pub async fn indexes(State(st): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    st.refresh_takedowns();
    let names: Vec<String> = st.indexes().into_iter().map(|(name, _)| name).collect();
    let down: Vec<(String, String)> = (0..names.len())
        .filter_map(|k| st.unavailable(k).map(|why| (names[k].clone(), why)))
        .collect();
    let is_down = |name: &str| down.iter().any(|(n, _)| n == name);
    let state = st.clone();
    let kept: Vec<bool> = names.iter().map(|n| !is_down(n)).collect();
    let list = st
        .gate
        .run(move || {
            Ok(state
                .indexes_with_sources()
                .into_iter()
                .zip(kept)
                .filter(|(_, kept)| *kept)
                .map(|((index, sources), _)| IndexInfoJson::new(&index, sources))
                .collect::<Vec<_>>())
        })
        .await?;
    let mut unavailable: Vec<serde_json::Value> = down
        .iter()
        .map(|(name, why)| serde_json::json!({"name": name, "error": why}))
        .collect();
    let mut groups_up = Vec::new();
    for (name, g) in st.groups() {
        match g.members().iter().find(|m| is_down(m.name())) {
            Some(m) => unavailable.push(serde_json::json!({
                "name": name,
                "error": format!("group {name:?} holds index {:?}, which answers nothing", m.name()),
            })),
            None => groups_up.push((name, g)),
        }
    }
    let groups: Vec<serde_json::Value> = groups_up
        .iter()
        .map(|(name, g)| {
            serde_json::json!({
                "name": name,
                "documents": g.manifest().documents,
                "tokens": g.manifest().tokens,
                "stages": verbatim_core::api::stages(g),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "indexes": list, "groups": groups, "unavailable": unavailable, "pii": st.config.pii,
    })))
}

/// `GET /api/v1/examples`.
pub async fn examples(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(st.examples.clone())
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(crate::openapi::document(&st.config))
}

/// `GET /health`: 200 while every index is usable, 503 once one failed its integrity check
/// or has a changed takedown list that cannot be read (`takedown_lists` says which).
pub async fn health(State(st): State<Arc<AppState>>) -> axum::response::Response {
    st.reload_changed();
    let checks: serde_json::Map<String, serde_json::Value> = st
        .indexes()
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            (
                name.clone(),
                serde_json::to_value(st.verification(k)).unwrap_or_default(),
            )
        })
        .collect();
    st.refresh_takedowns();
    let takedowns: serde_json::Map<String, serde_json::Value> = st
        .indexes()
        .iter()
        .enumerate()
        .filter_map(|(k, (name, _))| {
            st.takedown_error(k).map(|e| {
                (
                    name.clone(),
                    serde_json::json!({"state": "unreadable", "error": e}),
                )
            })
        })
        .collect();
    let failed = !takedowns.is_empty()
        || (0..st.indexes().len()).any(|k| st.replaced_error(k).is_some())
        || (0..st.indexes().len()).any(|k| {
            matches!(
                st.verification(k),
                crate::state::Verification::Failed { .. }
            )
        });
    let mut body = serde_json::json!({
        "status": if failed { "failing" } else { "ok" },
        "indexes": st.indexes().len(),
        "in_flight": st.gate.in_flight(),
        "web": crate::static_files::has_index_page(),
        "verification": checks,
        "generations": st.reload_report(),
    });
    if !takedowns.is_empty() {
        body["takedown_lists"] = serde_json::Value::Object(takedowns);
    }
    let body = Json(body);
    if failed {
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    } else {
        body.into_response()
    }
}

/// `GET /metrics` (Prometheus text format).
pub async fn metrics(State(st): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        st.metrics.render(st.gate.in_flight()),
    )
}
