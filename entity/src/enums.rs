//! Enumerations stored as text columns (guarded by CHECK constraints in the migrations).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            /// The value as stored in the database and shown in GraphQL.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $value,)+ }
            }
        }
    };
}

stored_enum! {
    /// What an account may do.
    UserRole {
        /// Records facts and submits them for review.
        Editor = "EDITOR",
        /// Approves, sends back or rejects facts written by others.
        Reviewer = "REVIEWER",
        /// Manages accounts and the vocabulary; may also review.
        Admin = "ADMIN",
    }
}

stored_enum! {
    /// What sort of entity an actor is.
    ActorKind {
        /// A sovereign state.
        State = "STATE",
        /// A natural person.
        Person = "PERSON",
        /// A company, party, NGO or other organization.
        Organization = "ORGANIZATION",
        /// A ministry, presidency, parliament or other organ of a government.
        GovernmentBody = "GOVERNMENT_BODY",
        /// A non-state armed group.
        ArmedGroup = "ARMED_GROUP",
        /// An intergovernmental organization such as the UN.
        InternationalOrganization = "INTERNATIONAL_ORGANIZATION",
        /// A newspaper, broadcaster, agency or other publisher.
        MediaOutlet = "MEDIA_OUTLET",
    }
}

stored_enum! {
    /// What sort of document a source is.
    SourceKind {
        /// A news article.
        NewsArticle = "NEWS_ARTICLE",
        /// An official statement or press release.
        OfficialStatement = "OFFICIAL_STATEMENT",
        /// A transcript of spoken words.
        Transcript = "TRANSCRIPT",
        /// An interview.
        Interview = "INTERVIEW",
        /// A report by an organization.
        Report = "REPORT",
    }
}

stored_enum! {
    /// How exactly a date is known; the stored date is the first day of the period.
    DatePrecision {
        /// Known to the day.
        Day = "DAY",
        /// Known to the month.
        Month = "MONTH",
        /// Known to the year.
        Year = "YEAR",
    }
}

stored_enum! {
    /// Whether a fact records something that happened or something said about it.
    Modality {
        /// The event took place.
        Occurred = "OCCURRED",
        /// An actor stated it.
        Stated = "STATED",
        /// An actor declared an intention.
        Intended = "INTENDED",
        /// An actor declared it subject to a condition (see the `condition` qualifier).
        Conditional = "CONDITIONAL",
        /// An actor denied it.
        Denied = "DENIED",
    }
}

stored_enum! {
    /// Where a fact stands in the editorial workflow.
    FactStatus {
        /// Being written by its author; not public.
        Draft = "DRAFT",
        /// Submitted and waiting for a reviewer; not public.
        InReview = "IN_REVIEW",
        /// Sent back to its author by a reviewer; not public.
        ChangesRequested = "CHANGES_REQUESTED",
        /// Approved and public.
        Published = "PUBLISHED",
        /// Refused by a reviewer; not public.
        Rejected = "REJECTED",
        /// Withdrawn after publication; still public, clearly marked, with a reason.
        Retracted = "RETRACTED",
        /// Replaced by a published correction; still public and points to it.
        Superseded = "SUPERSEDED",
    }
}

stored_enum! {
    /// The part an actor plays in a fact.
    ParticipantRole {
        /// The actor that acts.
        Subject = "SUBJECT",
        /// The actor acted upon or addressed.
        Object = "OBJECT",
        /// The actor whose words the fact reports.
        Speaker = "SPEAKER",
        /// A party to a symmetric event such as a call or meeting.
        Participant = "PARTICIPANT",
        /// An actor that mediated between others.
        Mediator = "MEDIATOR",
    }
}

stored_enum! {
    /// Whether a source states something itself or relays another's statement.
    Attribution {
        /// The source states it in its own voice or quotes the speaker first-hand.
        Direct = "DIRECT",
        /// The source reports what another publication or body said.
        Relayed = "RELAYED",
    }
}

stored_enum! {
    /// Where a citation stands in the evidence of its fact.
    CitationStatus {
        /// Part of the fact's evidence (public once the fact is).
        Active = "ACTIVE",
        /// Proposed for a published fact; waiting for a reviewer other than its proposer.
        Pending = "PENDING",
        /// A proposal a reviewer refused; never part of the evidence.
        Rejected = "REJECTED",
        /// Found wrong after it was published: kept, marked, with its reason, and not counted.
        Withdrawn = "WITHDRAWN",
    }
}
