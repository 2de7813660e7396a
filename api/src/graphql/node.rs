//! The `Node` interface: any object by its global id.
use async_graphql::{Context, Interface, Object, ID};

use super::account::{visible_user, User};
use super::actor::actor_following_merges;
use super::context::ContextExt;
use super::error::{loader_error, Result};
use super::fact::list::readable_fact_with_parts;
use super::graph::{visible_source, Actor, Fact, Revision, Source};
use super::ids;
use super::kind::FactKind;
use crate::domain::ids::{ActorId, RevisionId};
use crate::domain::{DomainError, Violations};

/// An object with a stable, opaque global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    Fact(Fact),
    Actor(Actor),
    Source(Source),
    FactKind(FactKind),
    User(User),
    Revision(Revision),
}

async fn load_node(ctx: &Context<'_>, type_name: &str, key: &str) -> Result<Option<Node>> {
    let loaders = ctx.loaders();
    let uuid = || uuid::Uuid::parse_str(key).map_err(|_| DomainError::invalid("id", "is not a valid id"));
    Ok(match type_name {
        ids::FACT => readable_fact_with_parts(ctx, uuid()?).await?.map(|fact| Node::Fact(Fact::from(fact))),
        ids::ACTOR => actor_following_merges(ctx, ActorId(uuid()?)).await?.map(Node::Actor),
        ids::SOURCE => visible_source(ctx, uuid()?).await?.map(Node::Source),
        ids::FACT_KIND => loaders
            .kinds
            .load_one(key.to_owned())
            .await
            .map_err(loader_error)?
            .map(|model| Node::FactKind(FactKind { model })),
        ids::USER => visible_user(ctx, uuid()?).await?.map(Node::User),
        ids::REVISION => Revision::by_id(ctx, RevisionId(uuid()?)).await?.map(Node::Revision),
        _ => None,
    })
}

pub const MAX_NODES: usize = 100;

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it does not exist or is not visible to the caller.
    async fn node(&self, ctx: &Context<'_>, #[graphql(desc = "A global id.")] id: ID) -> Result<Option<Node>> {
        let (type_name, key) = ids::decode_any(&id, "id")?;
        load_node(ctx, &type_name, &key).await
    }

    /// Several objects by global id, in the order asked (null for each one missing); at most 100.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(DomainError::invalid("ids", format!("may list at most {MAX_NODES} ids")).into());
        }
        let mut violations = Violations::new();
        let decoded: Vec<_> = ids
            .iter()
            .enumerate()
            .filter_map(|(index, id)| match ids::decode_any(id, &format!("ids[{index}]")) {
                Ok(pair) => Some(pair),
                Err(_) => {
                    violations.add(format!("ids[{index}]"), "is not a valid id");
                    None
                }
            })
            .collect();
        violations.into_result()?;
        // Loading all of them concurrently lets each DataLoader batch them into one statement.
        let loads = decoded.iter().map(|(type_name, key)| load_node(ctx, type_name, key));
        futures_util::future::try_join_all(loads).await
    }
}
