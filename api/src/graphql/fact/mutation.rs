//! The editorial write path of facts: drafts, the workflow's steps, corrections and deletion.
//! Each resolver decodes its input, calls `domain::fact::store` and maps the result.
use async_graphql::{Context, Object, SimpleObject, ID};

use super::input::{FactInput, ProposeCitationInput, ReviewCitationInput, ReviewDecision, WithdrawCitationInput};
use crate::domain::fact::{evidence, store as fact_store, Correction, FactAction, NewFact};
use crate::domain::ids::{CitationId, FactId};
use crate::domain::Violations;
use crate::graphql::context::{idempotency_key_for, ContextExt};
use crate::graphql::error::Result;
use crate::graphql::graph::{Citation, Fact};
use crate::graphql::ids;

fn fact_id(id: &ID) -> Result<FactId> {
    Ok(ids::decode::<FactId>(id, "id")?)
}

#[derive(Default)]
pub struct FactMutation;

#[Object]
impl FactMutation {
    /// Creates a draft fact.
    async fn create_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact.")] input: FactInput,
        #[graphql(desc = "Makes retries safe: the same key and input return the first result.")]
        idempotency_key: Option<String>,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let (input, reported) = input.into_domain();
        let key = idempotency_key_for(principal, "createFact", idempotency_key, &input)?;
        let new = NewFact { id: FactId::generate(), input, reported };
        Ok(Fact(fact_store::create_fact(ctx.db(), principal, new, key, None).await?))
    }

    /// Replaces a draft's (or a sent-back fact's) content. Author only.
    async fn update_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the change is based on.")] expected_version: i32,
        #[graphql(desc = "The new content.")] input: FactInput,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let id = fact_id(&id)?;
        let (input, reported) = input.into_domain();
        Ok(Fact(fact_store::update_fact(ctx.db(), principal, id, expected_version, input, reported).await?))
    }

    /// Submits a draft or a sent-back fact for review (it needs at least one citation). Author only.
    async fn submit_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "A note for the reviewer.")] comment: Option<String>,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let id = fact_id(&id)?;
        Ok(Fact(fact_store::take_step(ctx.db(), principal, id, expected_version, FactAction::Submit, comment).await?))
    }

    /// Approves (publishes), sends back or rejects a submitted fact. Reviewers and admins only,
    /// and never on a fact they wrote or last edited.
    async fn review_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the decision is based on.")] expected_version: i32,
        #[graphql(desc = "The decision.")] decision: ReviewDecision,
        #[graphql(desc = "Why; required when sending back or rejecting.")] comment: Option<String>,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let id = fact_id(&id)?;
        let action = FactAction::from(decision);
        Ok(Fact(fact_store::take_step(ctx.db(), principal, id, expected_version, action, comment).await?))
    }

    /// Retracts a published fact; it stays readable, marked RETRACTED with the reason.
    async fn retract_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the step is based on.")] expected_version: i32,
        #[graphql(desc = "Why it is retracted (shown to the public).")] reason: String,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let id = fact_id(&id)?;
        Ok(Fact(
            fact_store::take_step(ctx.db(), principal, id, expected_version, FactAction::Retract, Some(reason)).await?,
        ))
    }

    /// Proposes a correction of a published fact: a new draft that, once approved, turns the
    /// old fact SUPERSEDED pointing to it.
    async fn supersede_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the published Fact to correct.")] id: ID,
        #[graphql(desc = "The version of the published fact the correction is based on.")] expected_version: i32,
        #[graphql(desc = "The corrected fact.")] input: FactInput,
        #[graphql(desc = "Makes retries safe: the same key and input return the first result.")]
        idempotency_key: Option<String>,
    ) -> Result<Fact> {
        let principal = ctx.require_principal()?;
        let of = fact_id(&id)?;
        let (input, reported) = input.into_domain();
        let key = idempotency_key_for(principal, "supersedeFact", idempotency_key, &(of, expected_version, &input))?;
        let new = NewFact { id: FactId::generate(), input, reported };
        let correction = Correction { of, expected_version };
        Ok(Fact(fact_store::create_fact(ctx.db(), principal, new, key, Some(correction)).await?))
    }

    /// Deletes a draft (its history stays in the log). Author only; returns the deleted id.
    async fn delete_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Fact.")] id: ID,
        #[graphql(desc = "The version the deletion is based on.")] expected_version: i32,
    ) -> Result<ID> {
        let principal = ctx.require_principal()?;
        let fact = fact_id(&id)?;
        fact_store::delete_draft(ctx.db(), principal, fact, expected_version).await?;
        Ok(id)
    }

    /// Proposes a citation as further evidence of a published fact. It stays pending (seen
    /// only by editors, reviewers and admins) until a reviewer other than the proposer approves
    /// it; the fact keeps its id and is not corrected.
    async fn propose_citation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact and the citation.")] input: ProposeCitationInput,
    ) -> Result<ProposeCitationPayload> {
        let principal = ctx.require_principal()?;
        let fact = ids::decode::<FactId>(&input.fact_id, "factId")?;
        let mut reported = Violations::new();
        let citation = input.citation.into_domain("citation", &mut reported);
        let request = (fact, &citation);
        let key = idempotency_key_for(principal, "proposeCitation", input.idempotency_key, &request)?;
        let outcome = evidence::propose_citation(ctx.db(), principal, fact, citation, reported, key).await?;
        Ok(ProposeCitationPayload { citation: Citation(outcome.citation), fact: Fact(outcome.fact) })
    }

    /// Approves or rejects a pending citation. Reviewers and admins only, and never on a
    /// citation they proposed. Approval makes it public evidence of the same fact, whose
    /// version goes up; pending citations never conflict with each other.
    async fn review_citation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The citation and the decision.")] input: ReviewCitationInput,
    ) -> Result<ReviewCitationPayload> {
        let principal = ctx.require_principal()?;
        let id = ids::decode::<CitationId>(&input.citation_id, "citationId")?;
        let decision = input.decision.into();
        let outcome = evidence::review_citation(ctx.db(), principal, id, decision, input.comment).await?;
        Ok(ReviewCitationPayload { citation: Citation(outcome.citation), fact: Fact(outcome.fact) })
    }

    /// Withdraws a published citation found wrong: it stays readable, marked with the reason,
    /// and no longer counts. Reviewers and admins only; a fact's last active citation cannot be
    /// withdrawn (retract the fact instead).
    async fn withdraw_citation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The citation and why it is withdrawn.")] input: WithdrawCitationInput,
    ) -> Result<WithdrawCitationPayload> {
        let principal = ctx.require_principal()?;
        let id = ids::decode::<CitationId>(&input.citation_id, "citationId")?;
        let outcome = evidence::withdraw_citation(ctx.db(), principal, id, input.reason).await?;
        Ok(WithdrawCitationPayload { citation: Citation(outcome.citation), fact: Fact(outcome.fact) })
    }
}

macro_rules! citation_payload {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub struct $name {
            /// The citation as the change left it.
            pub citation: Citation,
            /// The fact it belongs to, as the change left it.
            pub fact: Fact,
        }
    };
}

citation_payload!(
    /// What `proposeCitation` did: the pending citation and its fact.
    ProposeCitationPayload
);
citation_payload!(
    /// What `reviewCitation` did: the decided citation and its fact (a new version on approval).
    ReviewCitationPayload
);
citation_payload!(
    /// What `withdrawCitation` did: the withdrawn citation and its fact (a new version).
    WithdrawCitationPayload
);
