//! The shipped vocabulary of fact kinds. Admins may add kinds later; these are the ones every
//! installation starts with, each with the qualifiers and participant roles it admits and the
//! CAMEO code used when exporting.
use sea_orm_migration::prelude::*;

use crate::kind_seeds::{delete_kinds, insert_kinds, KindSeed};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SEEDS: &[KindSeed] = &[
    KindSeed {
        key: "diplomatic.phone_call",
        label: "Phone call",
        description: "Two or more leaders or officials held a telephone conversation.",
        symmetric: true,
        allowed_qualifiers: &["topic", "tone", "initiated_by"],
        required_qualifiers: &[],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT"],
        cameo_code: Some("041"),
    },
    KindSeed {
        key: "diplomatic.visit",
        label: "Visit or meeting",
        description: "An official delegation visited another actor, or officials met in person.",
        symmetric: false,
        allowed_qualifiers: &["location", "topic", "delegation"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "PARTICIPANT", "SPEAKER"],
        cameo_code: Some("042"),
    },
    KindSeed {
        key: "policy.support_statement",
        label: "Statement of support",
        description: "An actor publicly declared support for another actor or for a principle concerning it.",
        symmetric: false,
        allowed_qualifiers: &["topic", "condition"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("051"),
    },
    KindSeed {
        key: "policy.statement",
        label: "Policy statement",
        description: "An actor stated its position on its relations with, or policy towards, another actor.",
        symmetric: false,
        allowed_qualifiers: &["topic", "condition", "venue"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("010"),
    },
    KindSeed {
        key: "aid.pledge",
        label: "Aid pledge",
        description: "An actor pledged material, financial or humanitarian assistance to another.",
        symmetric: false,
        allowed_qualifiers: &["aid_type", "amount", "condition"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("033"),
    },
    KindSeed {
        key: "military.basing_access",
        label: "Military basing access",
        description:
            "An actor granted, offered, or stated conditions for another's use of military facilities on its territory.",
        symmetric: false,
        allowed_qualifiers: &["facility", "condition", "duration"],
        required_qualifiers: &["facility"],
        allowed_roles: &["SUBJECT", "OBJECT", "SPEAKER"],
        cameo_code: Some("062"),
    },
    KindSeed {
        key: "military.armed_attack",
        label: "Armed attack",
        description: "An armed actor attacked a place, force or population.",
        symmetric: false,
        allowed_qualifiers: &["target", "location", "weapon", "casualties"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "PARTICIPANT"],
        cameo_code: Some("190"),
    },
    KindSeed {
        key: "diplomatic.agreement",
        label: "Agreement or cooperation",
        description: "Actors signed, reached or announced an agreement or a form of cooperation.",
        symmetric: true,
        allowed_qualifiers: &["topic", "instrument", "condition"],
        required_qualifiers: &[],
        allowed_roles: &["PARTICIPANT", "SUBJECT", "OBJECT", "MEDIATOR"],
        cameo_code: Some("057"),
    },
    KindSeed {
        key: "leadership.change",
        label: "Change of leadership",
        description: "A new person or group took the leadership of a state or organization.",
        symmetric: false,
        allowed_qualifiers: &["office", "mechanism"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT", "PARTICIPANT"],
        cameo_code: None,
    },
    KindSeed {
        key: "leadership.flight",
        label: "Leader fled",
        description: "A leader or former leader fled the country or went into exile.",
        symmetric: false,
        allowed_qualifiers: &["destination"],
        required_qualifiers: &[],
        allowed_roles: &["SUBJECT", "OBJECT"],
        cameo_code: None,
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
