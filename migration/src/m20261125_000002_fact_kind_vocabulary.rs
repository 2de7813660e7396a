//! The shipped vocabulary of fact kinds. Admins may add kinds later; these are the ones every
//! installation starts with, each with the qualifiers and participant roles it admits and the
//! CAMEO code used when exporting.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

struct KindSeed {
    key: &'static str,
    label: &'static str,
    description: &'static str,
    symmetric: bool,
    allowed_qualifiers: &'static [&'static str],
    required_qualifiers: &'static [&'static str],
    allowed_roles: &'static [&'static str],
    cameo_code: Option<&'static str>,
}

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

fn json_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(","))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut insert = Query::insert();
        insert.into_table("fact_kinds").columns([
            "key",
            "label",
            "description",
            "category",
            "symmetric",
            "allowed_qualifiers",
            "required_qualifiers",
            "allowed_roles",
            "cameo_code",
            "created_at",
        ]);
        for seed in SEEDS {
            let category = seed.key.split('.').next().unwrap_or(seed.key);
            let json_value = |items| {
                Expr::val(json_list(items)).cast_as(match manager.get_database_backend() {
                    sea_orm_migration::sea_orm::DatabaseBackend::Postgres => "json",
                    _ => "text",
                })
            };
            insert.values_panic([
                seed.key.into(),
                seed.label.into(),
                seed.description.into(),
                category.into(),
                seed.symmetric.into(),
                json_value(seed.allowed_qualifiers),
                json_value(seed.required_qualifiers),
                json_value(seed.allowed_roles),
                seed.cameo_code.map(str::to_owned).into(),
                Expr::current_timestamp(),
            ]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let keys: Vec<&str> = SEEDS.iter().map(|seed| seed.key).collect();
        manager
            .exec_stmt(Query::delete().from_table("fact_kinds").and_where(Expr::col("key").is_in(keys)).to_owned())
            .await
    }
}
