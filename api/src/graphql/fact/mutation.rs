//! The editorial write path of facts: drafts, the workflow's steps, corrections and deletion.
//! Each resolver decodes its input, calls `domain::fact::store` and maps the result.
use async_graphql::{Context, Object, SimpleObject, ID};

use super::input::{
    CreateFactInput, DeleteDraftInput, ProposeCitationInput, RetractFactInput, ReviewCitationInput, ReviewFactInput,
    SubmitFactInput, SupersedeFactInput, UpdateFactInput, WithdrawCitationInput,
};
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

/// One step of the workflow on the fact `id`, with its comment or reason.
async fn take_step(
    ctx: &Context<'_>,
    id: &ID,
    expected_version: i32,
    (action, comment): (FactAction, Option<String>),
) -> Result<Fact> {
    let principal = ctx.require_principal()?;
    let id = fact_id(id)?;
    Ok(Fact::from(fact_store::take_step(ctx.db(), principal, id, expected_version, action, comment).await?))
}

#[derive(Default)]
pub struct FactMutation;

#[Object]
impl FactMutation {
    /// Creates a draft fact.
    async fn create_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact, and a key that makes retries safe.")] input: CreateFactInput,
    ) -> Result<CreateFactPayload> {
        let principal = ctx.require_principal()?;
        let (fact, reported) = input.fact.into_domain();
        let key = idempotency_key_for(principal, "createFact", input.idempotency_key, &fact)?;
        let new = NewFact { id: FactId::generate(), input: fact, reported };
        Ok(CreateFactPayload { fact: Fact::from(fact_store::create_fact(ctx.db(), principal, new, key, None).await?) })
    }

    /// Replaces a draft's (or a sent-back fact's) content. Author only.
    async fn update_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact, the version read, and its new content.")] input: UpdateFactInput,
    ) -> Result<UpdateFactPayload> {
        let principal = ctx.require_principal()?;
        let id = fact_id(&input.id)?;
        let (fact, reported) = input.fact.into_domain();
        let updated = fact_store::update_fact(ctx.db(), principal, id, input.expected_version, fact, reported);
        Ok(UpdateFactPayload { fact: Fact::from(updated.await?) })
    }

    /// Submits a draft or a sent-back fact for review (it needs at least one citation). Author only.
    async fn submit_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact, the version read, and a note for the reviewer.")] input: SubmitFactInput,
    ) -> Result<SubmitFactPayload> {
        let step = (FactAction::Submit, input.comment);
        Ok(SubmitFactPayload { fact: take_step(ctx, &input.id, input.expected_version, step).await? })
    }

    /// Approves (publishes), sends back or rejects a submitted fact. Reviewers and admins only,
    /// and never on a fact they wrote or last edited.
    async fn review_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact, the version read, the decision and why.")] input: ReviewFactInput,
    ) -> Result<ReviewFactPayload> {
        let step = (FactAction::from(input.decision), input.comment);
        Ok(ReviewFactPayload { fact: take_step(ctx, &input.id, input.expected_version, step).await? })
    }

    /// Retracts a published fact; it stays readable, marked RETRACTED with the reason.
    async fn retract_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact, the version read, and why it is retracted.")] input: RetractFactInput,
    ) -> Result<RetractFactPayload> {
        let step = (FactAction::Retract, Some(input.reason));
        Ok(RetractFactPayload { fact: take_step(ctx, &input.id, input.expected_version, step).await? })
    }

    /// Proposes a correction of a published fact: a new draft that, once approved, turns the
    /// old fact SUPERSEDED pointing to it.
    async fn supersede_fact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fact corrected, the version read, and the corrected fact.")] input: SupersedeFactInput,
    ) -> Result<SupersedeFactPayload> {
        let principal = ctx.require_principal()?;
        let of = fact_id(&input.id)?;
        let expected_version = input.expected_version;
        let (fact, reported) = input.fact.into_domain();
        let request = (of, expected_version, &fact);
        let key = idempotency_key_for(principal, "supersedeFact", input.idempotency_key, &request)?;
        let new = NewFact { id: FactId::generate(), input: fact, reported };
        let correction = Correction { of, expected_version };
        Ok(SupersedeFactPayload {
            fact: Fact::from(fact_store::create_fact(ctx.db(), principal, new, key, Some(correction)).await?),
        })
    }

    /// Deletes a draft (its history stays in the log). Author only.
    async fn delete_draft(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft and the version read.")] input: DeleteDraftInput,
    ) -> Result<DeleteDraftPayload> {
        let principal = ctx.require_principal()?;
        let fact = fact_id(&input.id)?;
        fact_store::delete_draft(ctx.db(), principal, fact, input.expected_version).await?;
        Ok(DeleteDraftPayload { deleted_fact_id: input.id })
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
        Ok(ProposeCitationPayload { citation: Citation(outcome.citation), fact: Fact::from(outcome.fact) })
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
        Ok(ReviewCitationPayload { citation: Citation(outcome.citation), fact: Fact::from(outcome.fact) })
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
        Ok(WithdrawCitationPayload { citation: Citation(outcome.citation), fact: Fact::from(outcome.fact) })
    }
}

payloads! {
    {
        /// The citation as the change left it.
        citation: Citation,
        /// The fact it belongs to, as the change left it.
        fact: Fact,
    }
    /// What `proposeCitation` did: the pending citation and its fact.
    ProposeCitationPayload;
    /// What `reviewCitation` did: the decided citation and its fact (a new version on approval).
    ReviewCitationPayload;
    /// What `withdrawCitation` did: the withdrawn citation and its fact (a new version).
    WithdrawCitationPayload;
}

payloads! {
    {
        /// The fact as the change left it.
        fact: Fact,
    }
    /// What `createFact` did: the new draft.
    CreateFactPayload;
    /// What `updateFact` did: the fact with its new content and version.
    UpdateFactPayload;
    /// What `submitFact` did: the fact, now in review.
    SubmitFactPayload;
    /// What `reviewFact` did: the fact published, sent back or rejected.
    ReviewFactPayload;
    /// What `retractFact` did: the fact, now retracted.
    RetractFactPayload;
    /// What `supersedeFact` did: the correction, a new draft (the corrected fact changes only
    /// when the correction is approved).
    SupersedeFactPayload;
}

/// What `deleteDraft` did.
#[derive(SimpleObject)]
pub struct DeleteDraftPayload {
    /// Global id of the deleted draft.
    pub deleted_fact_id: ID,
}
