//! A wider vocabulary: the event types an international-relations desk records besides the first
//! ten kinds, aligned with CAMEO where a code fits (a vote at an international body has none).
use sea_orm_migration::prelude::*;

use crate::kind_seeds::{delete_kinds, insert_kinds, KindSeed};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEEDS: &[KindSeed] = &[
    KindSeed {
        key: "diplomatic.invitation",
        label: "Invitation",
        description: "An actor invited another to visit, meet, negotiate or attend an event.",
        symmetric: false,
        allowed_qualifiers: &["event", "location", "topic"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("036"),
    },
    KindSeed {
        key: "diplomatic.treaty",
        label: "Treaty signed or ratified",
        description: "Actors signed, ratified or acceded to a treaty or another formal international instrument.",
        symmetric: true,
        allowed_qualifiers: &["instrument", "stage", "topic"],
        required_qualifiers: &["instrument"],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("057"),
    },
    KindSeed {
        key: "diplomatic.recognition",
        label: "Diplomatic recognition",
        description:
            "An actor recognized a state, a government or an authority, or established diplomatic relations with it.",
        symmetric: false,
        allowed_qualifiers: &["scope"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("054"),
    },
    KindSeed {
        key: "diplomatic.ambassador_recall",
        label: "Ambassador recalled",
        description: "An actor recalled its ambassador or envoy from another, or downgraded diplomatic relations.",
        symmetric: false,
        allowed_qualifiers: &["envoy", "reason"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("161"),
    },
    KindSeed {
        key: "diplomatic.expulsion",
        label: "Diplomats expelled",
        description: "An actor expelled diplomats or other officials of another, or declared them persona non grata.",
        symmetric: false,
        allowed_qualifiers: &["number", "reason"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("174"),
    },
    KindSeed {
        key: "diplomatic.summit",
        label: "Summit meeting",
        description: "Heads of state or government met at a summit, bilaterally or in a group.",
        symmetric: true,
        allowed_qualifiers: &["location", "topic", "format"],
        required_qualifiers: &[],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("043"),
    },
    KindSeed {
        key: "diplomatic.vote",
        label: "Vote at an international body",
        description: "An actor voted on a resolution or decision at an international body.",
        symmetric: false,
        allowed_qualifiers: &["body", "resolution", "vote"],
        required_qualifiers: &["body", "vote"],
        allowed_roles: &["SUBJECT", "OBJECT"],
        cameo_code: None,
    },
    KindSeed {
        key: "economic.sanctions_imposed",
        label: "Sanctions imposed",
        description: "An actor imposed sanctions, an embargo or other restrictive measures on another.",
        symmetric: false,
        allowed_qualifiers: &["measure", "sector", "reason"],
        required_qualifiers: &["measure"],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("163"),
    },
    KindSeed {
        key: "economic.sanctions_lifted",
        label: "Sanctions lifted",
        description: "An actor eased or lifted sanctions, an embargo or other restrictive measures on another.",
        symmetric: false,
        allowed_qualifiers: &["measure", "sector", "condition"],
        required_qualifiers: &["measure"],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("085"),
    },
    KindSeed {
        key: "military.arms_transfer",
        label: "Arms transfer",
        description: "An actor delivered, sold or agreed to supply weapons or military equipment to another.",
        symmetric: false,
        allowed_qualifiers: &["equipment", "quantity", "value"],
        required_qualifiers: &["equipment"],
        allowed_roles: &["SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("072"),
    },
    KindSeed {
        key: "military.deployment",
        label: "Troop deployment",
        description: "An actor deployed or reinforced armed forces in a place or alongside another actor.",
        symmetric: false,
        allowed_qualifiers: &["force", "location", "size"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "PARTICIPANT"],
        cameo_code: Some("152"),
    },
    KindSeed {
        key: "military.withdrawal",
        label: "Troop withdrawal",
        description: "An actor withdrew or reduced armed forces from a place.",
        symmetric: false,
        allowed_qualifiers: &["force", "location", "size"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "PARTICIPANT"],
        cameo_code: Some("087"),
    },
    KindSeed {
        key: "military.ceasefire",
        label: "Ceasefire",
        description: "Parties to a conflict declared or agreed a ceasefire or truce.",
        symmetric: true,
        allowed_qualifiers: &["location", "duration", "condition"],
        required_qualifiers: &[],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("0871"),
    },
    KindSeed {
        key: "aid.delivery",
        label: "Aid delivered",
        description: "An actor delivered material, financial or humanitarian assistance to another.",
        symmetric: false,
        allowed_qualifiers: &["aid_type", "amount", "location"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("070"),
    },
    KindSeed {
        key: "policy.threat",
        label: "Threat",
        description: "An actor threatened another with force, sanctions or other consequences.",
        symmetric: false,
        allowed_qualifiers: &["threatened_action", "condition"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("130"),
    },
    KindSeed {
        key: "policy.condemnation",
        label: "Condemnation",
        description: "An actor publicly condemned or denounced another actor or its actions.",
        symmetric: false,
        allowed_qualifiers: &["topic"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("111"),
    },
    KindSeed {
        key: "humanitarian.prisoner_exchange",
        label: "Prisoner exchange",
        description: "Parties exchanged or released prisoners, detainees or the remains of the dead.",
        symmetric: true,
        allowed_qualifiers: &["number", "location"],
        required_qualifiers: &[],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("084"),
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        insert_kinds(manager, SEEDS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        delete_kinds(manager, SEEDS).await
    }
}
