//! The one write path of actors: creating and revising them, with their aliases. A revision
//! names the version it read and conflicts when someone else wrote first.
use entity::enums::ActorKind;
use entity::{actor, actor_alias};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use crate::domain::account::Principal;
use crate::domain::chain::{self, ChainEntry, Subject};
use crate::domain::idempotency::{Claim, IdempotencyKey};
use crate::domain::ids::ActorId;
use crate::domain::{fold, now, rules, stale, DomainError, DomainResult, Violations};

pub const MAX_ALIASES: usize = 50;

/// An actor as an editor describes it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActorInput {
    pub name: String,
    pub description: Option<String>,
    pub kind: ActorKind,
    pub country: Option<String>,
    pub wikidata_qid: Option<String>,
    pub aliases: Vec<String>,
}

struct ValidActor {
    name: String,
    description: String,
    kind: ActorKind,
    country: Option<String>,
    qid: Option<String>,
    aliases: Vec<String>,
}

async fn validate_actor<C: ConnectionTrait>(
    db: &C,
    input: &ActorInput,
    this: Option<ActorId>,
) -> DomainResult<ValidActor> {
    let mut v = Violations::new();
    let name = rules::text(&mut v, "name", &input.name, 1, 200);
    let description =
        rules::optional_text(&mut v, "description", input.description.as_deref(), 2000).unwrap_or_default();
    let country = rules::country(&mut v, "country", input.country.as_deref());
    let qid = rules::wikidata_qid(&mut v, "wikidataQid", input.wikidata_qid.as_deref());
    if input.aliases.len() > MAX_ALIASES {
        v.add("aliases", format!("may list at most {MAX_ALIASES} aliases"));
    }
    let mut aliases: Vec<String> = Vec::new();
    for (index, alias) in input.aliases.iter().enumerate() {
        let alias = rules::text(&mut v, &format!("aliases[{index}]"), alias, 1, 200);
        if fold(&alias) == fold(&name) || aliases.iter().any(|a| fold(a) == fold(&alias)) {
            v.add(format!("aliases[{index}]"), "repeats the name or another alias");
        } else {
            aliases.push(alias);
        }
    }
    if let Some(qid) = &qid {
        let owner = actor::Entity::find().filter(actor::Column::WikidataQid.eq(qid.clone())).one(db).await?;
        if owner.is_some_and(|o| Some(ActorId(o.id)) != this) {
            v.add("wikidataQid", "is already the id of another actor");
        }
    }
    v.into_result()?;
    Ok(ValidActor { name, description, kind: input.kind, country, qid, aliases })
}

async fn write_aliases<C: ConnectionTrait>(db: &C, actor_id: Uuid, aliases: &[String]) -> DomainResult<()> {
    actor_alias::Entity::delete_many().filter(actor_alias::Column::ActorId.eq(actor_id)).exec(db).await?;
    for alias in aliases {
        actor_alias::ActiveModel {
            id: Set(Uuid::now_v7()),
            actor_id: Set(actor_id),
            alias: Set(alias.clone()),
            alias_folded: Set(fold(alias)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Turns a race on a unique index (two editors adding the same QID at once) into the same
/// input error the check above gives, instead of an internal error.
fn unique_violation_as(field: &str, message: &str, error: sea_orm::DbErr) -> DomainError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::invalid(field, message),
        _ => error.into(),
    }
}

/// Records a new actor under `id` (chosen by the caller, so a dataset can name its actors).
/// With an idempotency key, a retry returns the actor the first request created.
pub async fn create_actor<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: ActorId,
    input: ActorInput,
    idempotency: Option<IdempotencyKey>,
) -> DomainResult<actor::Model> {
    if let Some(key) = &idempotency {
        if let Some(response) = key.lookup(db).await? {
            return replayed_actor(db, &response).await;
        }
    }
    let valid = validate_actor(db, &input, None).await?;
    let txn = db.begin().await?;
    if let Some(key) = &idempotency {
        if let Claim::Replay(response) = key.claim(&txn).await? {
            txn.commit().await?;
            return replayed_actor(db, &response).await;
        }
    }
    let at = now();
    let created = actor::ActiveModel {
        id: Set(id.0),
        name: Set(valid.name.clone()),
        name_folded: Set(fold(&valid.name)),
        description: Set(valid.description),
        kind: Set(valid.kind),
        country: Set(valid.country),
        wikidata_qid: Set(valid.qid),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await
    .map_err(|e| unique_violation_as("wikidataQid", "is already the id of another actor", e))?;
    write_aliases(&txn, created.id, &valid.aliases).await?;
    if let Some(key) = &idempotency {
        key.complete(&txn, &created.id.to_string()).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// The actor an earlier use of an idempotency key created.
async fn replayed_actor<C: ConnectionTrait>(db: &C, response: &str) -> DomainResult<actor::Model> {
    let id = Uuid::parse_str(response).map_err(|_| DomainError::Internal("bad idempotent response".into()))?;
    actor::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("actor".into()))
}

/// Replaces an actor's description; `expected_version` must be the version the editor read.
pub async fn update_actor<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: ActorId,
    expected_version: i32,
    input: ActorInput,
) -> DomainResult<actor::Model> {
    let current =
        actor::Entity::find_by_id(id.0).one(db).await?.ok_or_else(|| DomainError::NotFound("actor".into()))?;
    if current.version != expected_version {
        return Err(stale("actor", current.version));
    }
    let valid = validate_actor(db, &input, Some(id)).await?;
    let id = id.0;
    let txn = db.begin().await?;
    // The version guard in the UPDATE is what stops a concurrent edit from being overwritten.
    let updated = actor::Entity::update_many()
        .col_expr(actor::Column::Name, valid.name.clone().into())
        .col_expr(actor::Column::NameFolded, fold(&valid.name).into())
        .col_expr(actor::Column::Description, valid.description.into())
        .col_expr(actor::Column::Kind, valid.kind.as_str().into())
        .col_expr(actor::Column::Country, valid.country.into())
        .col_expr(actor::Column::WikidataQid, valid.qid.into())
        .col_expr(actor::Column::Version, (expected_version + 1).into())
        .col_expr(actor::Column::UpdatedAt, now().into())
        .filter(actor::Column::Id.eq(id))
        .filter(actor::Column::Version.eq(expected_version))
        .exec(&txn)
        .await
        .map_err(|e| unique_violation_as("wikidataQid", "is already the id of another actor", e))?;
    if updated.rows_affected == 0 {
        let current = actor::Entity::find_by_id(id).one(&txn).await?;
        return Err(current.map_or_else(|| DomainError::NotFound("actor".into()), |now| stale("actor", now.version)));
    }
    write_aliases(&txn, id, &valid.aliases).await?;
    txn.commit().await?;
    actor::Entity::find_by_id(id).one(db).await?.ok_or_else(|| DomainError::NotFound("actor".into()))
}

/// Merges the duplicate actor `merge` into `keep`: every fact it takes part in, every
/// citation attributed to or relaying it and every source it published now name `keep`; its
/// name and aliases become aliases of `keep` (and its Wikidata id, if `keep` has none); its id
/// keeps resolving to `keep`, and the redirect records who merged and when. Both versions
/// must be the ones the admin read.
pub async fn merge_actors<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    principal: &Principal,
    keep: ActorId,
    merge: ActorId,
    keep_version: i32,
    merge_version: i32,
) -> DomainResult<actor::Model> {
    use entity::{actor_redirect, citation, fact_participant, source};
    use sea_orm::sea_query::Expr;
    if keep == merge {
        return Err(DomainError::invalid("mergeId", "is the actor kept: an actor cannot be merged into itself"));
    }
    let load = |id: ActorId, field: &'static str| async move {
        actor::Entity::find_by_id(id.0).one(db).await?.ok_or_else(|| DomainError::invalid(field, "no such actor"))
    };
    let (kept, merged) = (load(keep, "keepId").await?, load(merge, "mergeId").await?);
    for (found, expected, what) in [(&kept, keep_version, "kept actor"), (&merged, merge_version, "merged actor")] {
        if found.version != expected {
            return Err(DomainError::StaleVersion { what, current_version: found.version });
        }
    }
    let txn = db.begin().await?;
    // Participants: where both take part in one fact in one role, the merged row goes.
    let kept_parts: std::collections::HashSet<(Uuid, String)> = fact_participant::Entity::find()
        .filter(fact_participant::Column::ActorId.eq(keep.0))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.fact_id, p.role.as_str().to_owned()))
        .collect();
    let merged_parts =
        fact_participant::Entity::find().filter(fact_participant::Column::ActorId.eq(merge.0)).all(&txn).await?;
    let duplicates: Vec<Uuid> = merged_parts
        .iter()
        .filter(|p| kept_parts.contains(&(p.fact_id, p.role.as_str().to_owned())))
        .map(|p| p.id)
        .collect();
    fact_participant::Entity::delete_many().filter(fact_participant::Column::Id.is_in(duplicates)).exec(&txn).await?;
    fact_participant::Entity::update_many()
        .col_expr(fact_participant::Column::ActorId, Expr::val(keep.0))
        .filter(fact_participant::Column::ActorId.eq(merge.0))
        .exec(&txn)
        .await?;
    for column in [citation::Column::AttributedToId, citation::Column::RelayedFromId] {
        citation::Entity::update_many()
            .col_expr(column, Expr::val(keep.0))
            .filter(column.eq(merge.0))
            .exec(&txn)
            .await?;
    }
    source::Entity::update_many()
        .col_expr(source::Column::OutletId, Expr::val(keep.0))
        .filter(source::Column::OutletId.eq(merge.0))
        .exec(&txn)
        .await?;
    // Names: the merged name and aliases join the kept actor's, without repeats.
    let mut known: Vec<String> = vec![fold(&kept.name)];
    let mut aliases: Vec<String> = Vec::new();
    for row in actor_alias::Entity::find().filter(actor_alias::Column::ActorId.eq(keep.0)).all(&txn).await? {
        known.push(row.alias_folded.clone());
        aliases.push(row.alias);
    }
    let merged_aliases = actor_alias::Entity::find().filter(actor_alias::Column::ActorId.eq(merge.0)).all(&txn).await?;
    for name in std::iter::once(merged.name.clone()).chain(merged_aliases.into_iter().map(|a| a.alias)) {
        if !known.contains(&fold(&name)) {
            known.push(fold(&name));
            aliases.push(name);
        }
    }
    actor_redirect::Entity::update_many()
        .col_expr(actor_redirect::Column::ToId, Expr::val(keep.0))
        .filter(actor_redirect::Column::ToId.eq(merge.0))
        .exec(&txn)
        .await?;
    actor::Entity::delete_by_id(merge.0).exec(&txn).await?;
    write_aliases(&txn, keep.0, &aliases).await?;
    let qid = kept.wikidata_qid.clone().or(merged.wikidata_qid.clone());
    let bumped = actor::Entity::update_many()
        .col_expr(actor::Column::Version, Expr::val(keep_version + 1))
        .col_expr(actor::Column::UpdatedAt, Expr::val(now()))
        .col_expr(actor::Column::WikidataQid, Expr::val(qid))
        .filter(actor::Column::Id.eq(keep.0))
        .filter(actor::Column::Version.eq(keep_version))
        .exec(&txn)
        .await?;
    if bumped.rows_affected == 0 {
        let current = actor::Entity::find_by_id(keep.0).one(&txn).await?;
        return Err(current.map_or_else(|| DomainError::NotFound("actor".into()), |now| stale("actor", now.version)));
    }
    actor_redirect::Entity::insert(actor_redirect::ActiveModel {
        from_id: Set(merge.0),
        to_id: Set(keep.0),
        merged_name: Set(merged.name.clone()),
        merged_by: Set(Some(principal.user_id.0)),
        created_at: Set(now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let kept =
        actor::Entity::find_by_id(keep.0).one(&txn).await?.ok_or_else(|| DomainError::NotFound("actor".into()))?;
    let entry = ChainEntry {
        subject: Subject::Actor,
        subject_id: keep.0,
        version: kept.version,
        action: "MERGED",
        actor_id: Some(principal.user_id.0),
        comment: None,
        snapshot: serde_json::json!({
            "keptId": kept.id,
            "keptName": kept.name,
            "mergedId": merge.0,
            "mergedName": merged.name,
            "mergedVersion": merged.version,
        })
        .to_string(),
    };
    chain::append(&txn, entry).await?;
    txn.commit().await?;
    Ok(kept)
}
