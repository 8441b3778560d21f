//! `GET /v1/users` (contract §10): a page of the caller's environment's
//! users, read from the users index ([`super::index`]) in the order of
//! their ids, after or before a cursor (`cursor.rs`), with the parameters
//! of `query.rs`. The index is read once per page (one D1 round trip); KV
//! and the users' objects are not read at all. Each page is logged as
//! `users-list entries=N rows_read=R` (no user named).

mod cursor;
mod query;

use super::error::ApiError;
use super::index::{Index, PageQuery};
use super::response;
use crate::list_entry;
use worker::{console_log, Env, Response};

/// The page a request's query (its decoded `pairs`) asks for, of
/// `environment`'s users.
pub async fn page(env: &Env, environment: &str, pairs: &[(String, String)]) -> Result<Response, ApiError> {
    let params = query::read(pairs.iter().map(|(name, value)| (name.as_str(), value.as_str())), environment)?;
    let query = PageQuery {
        environment,
        place: query::borrowed(&params.place),
        email: params.email.as_deref(),
        page_size: params.page_size,
        preferences: params.preferences,
    };
    let page = Index::new(env)?.page(&query).await?;
    console_log!("users-list entries={} rows_read={}", page.rows.len(), page.rows_read);
    let cursor_of = |row: Option<&super::index::PageRow>, more: bool| match row.filter(|_| more) {
        Some(row) => serde_json::Value::String(cursor::encode(environment, &row.user_id)),
        None => serde_json::Value::Null,
    };
    let page_info = serde_json::json!({
        "__typename": "PageInfo",
        "after": cursor_of(page.rows.last(), page.more_after),
        "before": cursor_of(page.rows.first(), page.more_before),
        "page_size": params.page_size,
    });
    let mut body = String::from(r#"{"entries":["#);
    for (index, row) in page.rows.iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        let sets = params.preferences.then(|| row.preference_sets.as_deref().unwrap_or("[]"));
        body.push_str(&list_entry(&row.user_json, sets));
    }
    body.push_str(r#"],"page_info":"#);
    body.push_str(&page_info.to_string());
    body.push('}');
    Ok(response::json(200, body.into_bytes())?)
}
