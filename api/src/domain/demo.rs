//! The demo dataset: the RT report of the 12 February 2025 Putin–al-Sharaa call (as
//! republished by chattythat.news), its actors and its facts, each with verbatim quotes that
//! are verified against the stored snapshot. Loading is idempotent: a second run finds what the
//! first made and creates nothing.
use chrono::NaiveDate;
use entity::enums::{
    ActorKind, Attribution, DatePrecision, FactStatus, Modality, ParticipantRole, SourceKind, UserRole,
};
use entity::{actor, actor_alias, citation, fact, fact_participant, fact_qualifier, idempotency_key, source, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::actors::find_by_name;
use super::fact_input::quote_digest;
use super::facts::refresh_search_document;
use super::history::{append_revision, RevisionAction};
use super::quotes::verify_quote;
use super::urls::canonicalize_url;
use super::users::{create_user, NewUser};
use super::workflow::{authorize, transition, FactAction};
use super::{fold, now, sha256_hex, DomainError, DomainResult};
use crate::auth::Principal;

/// The article the project started from, shipped inside the binary.
pub const ARTICLE: &str = include_str!("../../demo/putin-al-sharaa-call.txt");
pub const ARTICLE_URL: &str = "https://chattythat.news/putin-talks-to-new-syrian-leadership-kremlin-438343.html";

/// Demo accounts; printed when the demo is loaded so a newcomer can log in.
pub const DEMO_EDITOR_EMAIL: &str = "editor@demo.chancery";
pub const DEMO_EDITOR_PASSWORD: &str = "demo-editor-password";
pub const DEMO_REVIEWER_EMAIL: &str = "reviewer@demo.chancery";
pub const DEMO_REVIEWER_PASSWORD: &str = "demo-reviewer-password";

const DEMO_PRINCIPAL: &str = "demo";
const DEMO_OPERATION: &str = "demo.fact";

struct ActorSeed {
    name: &'static str,
    kind: ActorKind,
    country: Option<&'static str>,
    qid: Option<&'static str>,
    aliases: &'static [&'static str],
    description: &'static str,
}

const ACTORS: &[ActorSeed] = &[
    ActorSeed {
        name: "Russia",
        kind: ActorKind::State,
        country: Some("RU"),
        qid: Some("Q159"),
        aliases: &["Russian Federation", "Moscow"],
        description: "The Russian Federation.",
    },
    ActorSeed {
        name: "Syria",
        kind: ActorKind::State,
        country: Some("SY"),
        qid: Some("Q858"),
        aliases: &["Syrian Arab Republic", "Damascus"],
        description: "The Syrian Arab Republic.",
    },
    ActorSeed {
        name: "Vladimir Putin",
        kind: ActorKind::Person,
        country: Some("RU"),
        qid: Some("Q7747"),
        aliases: &["Putin"],
        description: "President of Russia.",
    },
    ActorSeed {
        name: "Ahmed al-Sharaa",
        kind: ActorKind::Person,
        country: Some("SY"),
        qid: None,
        aliases: &["Ahmed Hussein al-Sharaa", "Abu Mohammad al-Julani"],
        description: "Head of the Syrian administration after December 2024; former leader of Hayat Tahrir al-Sham.",
    },
    ActorSeed {
        name: "Bashar Assad",
        kind: ActorKind::Person,
        country: Some("SY"),
        qid: Some("Q44329"),
        aliases: &["Bashar al-Assad"],
        description: "President of Syria until December 2024.",
    },
    ActorSeed {
        name: "Mikhail Bogdanov",
        kind: ActorKind::Person,
        country: Some("RU"),
        qid: None,
        aliases: &[],
        description: "Deputy Foreign Minister of Russia.",
    },
    ActorSeed {
        name: "Murhaf Abu Qasra",
        kind: ActorKind::Person,
        country: Some("SY"),
        qid: None,
        aliases: &[],
        description: "Defense Minister of Syria's new administration.",
    },
    ActorSeed {
        name: "Asaad al-Shaibani",
        kind: ActorKind::Person,
        country: Some("SY"),
        qid: None,
        aliases: &[],
        description: "Foreign Minister of Syria's new administration.",
    },
    ActorSeed {
        name: "Maher al-Sharaa",
        kind: ActorKind::Person,
        country: Some("SY"),
        qid: None,
        aliases: &[],
        description: "Health Minister of Syria's new administration.",
    },
    ActorSeed {
        name: "The Kremlin",
        kind: ActorKind::GovernmentBody,
        country: Some("RU"),
        qid: None,
        aliases: &["Kremlin", "Presidential Executive Office of Russia"],
        description: "The office of the President of Russia.",
    },
    ActorSeed {
        name: "Hayat Tahrir al-Sham",
        kind: ActorKind::ArmedGroup,
        country: Some("SY"),
        qid: None,
        aliases: &["HTS"],
        description: "Syrian armed group that led the December 2024 offensive on Damascus.",
    },
    ActorSeed {
        name: "The Washington Post",
        kind: ActorKind::MediaOutlet,
        country: Some("US"),
        qid: Some("Q166032"),
        aliases: &["Washington Post"],
        description: "American daily newspaper.",
    },
    ActorSeed {
        name: "RT",
        kind: ActorKind::MediaOutlet,
        country: Some("RU"),
        qid: None,
        aliases: &["Russia Today"],
        description: "Russian state-funded broadcaster.",
    },
    ActorSeed {
        name: "Al Arabiya",
        kind: ActorKind::MediaOutlet,
        country: None,
        qid: None,
        aliases: &["Al Arabiya News"],
        description: "Saudi-owned news channel.",
    },
];

struct CitationSeed {
    quote: &'static str,
    attribution: Attribution,
    attributed_to: Option<&'static str>,
    relayed_from: Option<&'static str>,
}

struct FactSeed {
    key: &'static str,
    kind: &'static str,
    summary: &'static str,
    modality: Modality,
    occurred_on: (i32, u32, u32),
    precision: DatePrecision,
    country: Option<&'static str>,
    participants: &'static [(&'static str, ParticipantRole, Option<&'static str>)],
    qualifiers: &'static [(&'static str, &'static str)],
    citations: &'static [CitationSeed],
}

use Attribution::{Direct, Relayed};
use ParticipantRole::{Object, Participant, Speaker, Subject};

const FACTS: &[FactSeed] = &[
    FactSeed {
        key: "phone-call",
        kind: "diplomatic.phone_call",
        summary: "Vladimir Putin and Ahmed al-Sharaa held their first phone call since the fall of Bashar Assad's government, the Kremlin said.",
        modality: Modality::Occurred,
        occurred_on: (2025, 2, 12),
        precision: DatePrecision::Day,
        country: None,
        participants: &[
            ("Vladimir Putin", Participant, Some("President of Russia")),
            ("Ahmed al-Sharaa", Participant, Some("Head of the Syrian administration")),
            ("Russia", Participant, None),
            ("Syria", Participant, None),
        ],
        qualifiers: &[("tone", "constructive, business-like, and substantial"), ("topic", "trade, economy and education")],
        citations: &[
            CitationSeed {
                quote: "Russian President Vladimir Putin has held a phone conversation with the head of the Syrian administration, Ahmed Hussein al-Sharaa, for the first time since the fall of former President Bashar Assad's government, the Kremlin announced on Wednesday.",
                attribution: Relayed,
                attributed_to: Some("The Kremlin"),
                relayed_from: None,
            },
            CitationSeed {
                quote: "The high-level phone conversation was \"constructive, business-like, and substantial,\" with the sides discussing trade, economy and education, the Kremlin said.",
                attribution: Relayed,
                attributed_to: Some("The Kremlin"),
                relayed_from: None,
            },
        ],
    },
    FactSeed {
        key: "support-statement",
        kind: "policy.support_statement",
        summary: "Putin told al-Sharaa that Russia supports Syria's unity, sovereignty and territorial integrity, according to the Kremlin.",
        modality: Modality::Stated,
        occurred_on: (2025, 2, 12),
        precision: DatePrecision::Day,
        country: None,
        participants: &[
            ("Russia", Subject, None),
            ("Syria", Object, None),
            ("Vladimir Putin", Speaker, Some("President of Russia")),
        ],
        qualifiers: &[("topic", "unity, sovereignty, and territorial integrity")],
        citations: &[CitationSeed {
            quote: "Moscow supports Syria's unity, sovereignty, and territorial integrity, Putin told al-Sharaa, according to the Kremlin.",
            attribution: Relayed,
            attributed_to: Some("The Kremlin"),
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "aid-pledge",
        kind: "aid.pledge",
        summary: "Putin reaffirmed Russia's determination to help improve Syria's social and economic situation, including through humanitarian assistance, the Kremlin said.",
        modality: Modality::Intended,
        occurred_on: (2025, 2, 12),
        precision: DatePrecision::Day,
        country: None,
        participants: &[
            ("Russia", Subject, None),
            ("Syria", Object, None),
            ("Vladimir Putin", Speaker, Some("President of Russia")),
        ],
        qualifiers: &[("aid_type", "humanitarian assistance")],
        citations: &[CitationSeed {
            quote: "Vladimir Putin has reaffirmed Russia's unfailing determination to contribute to the improvement of the social and economic situation in Syria, including through providing humanitarian assistance to its people",
            attribution: Relayed,
            attributed_to: Some("The Kremlin"),
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "bogdanov-visit",
        kind: "diplomatic.visit",
        summary: "A Russian delegation led by Deputy Foreign Minister Mikhail Bogdanov visited Syria and met al-Sharaa, the first Russian diplomatic visit since the change of leadership.",
        modality: Modality::Occurred,
        occurred_on: (2025, 1, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[
            ("Russia", Subject, None),
            ("Syria", Object, None),
            ("Mikhail Bogdanov", Participant, Some("Deputy Foreign Minister of Russia")),
            ("Ahmed al-Sharaa", Participant, Some("Head of the Syrian administration")),
            ("Asaad al-Shaibani", Participant, Some("Foreign Minister of Syria")),
            ("Maher al-Sharaa", Participant, Some("Health Minister of Syria")),
        ],
        qualifiers: &[("location", "Damascus")],
        citations: &[
            CitationSeed {
                quote: "It followed the first Russian diplomatic visit to Syria since its leadership change in late December.",
                attribution: Direct,
                attributed_to: None,
                relayed_from: None,
            },
            CitationSeed {
                quote: "During the visit, Bogdanov met with al-Sharaa, Syrian Foreign Minister Asaad al-Shaibani, Health Minister Maher al-Sharaa, and representatives from several Russian government agencies.",
                attribution: Direct,
                attributed_to: None,
                relayed_from: None,
            },
        ],
    },
    FactSeed {
        key: "bogdanov-relations-statement",
        kind: "policy.statement",
        summary: "Mikhail Bogdanov said the power shift in Damascus will not change the nature of relations between Russia and Syria.",
        modality: Modality::Stated,
        occurred_on: (2025, 1, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[
            ("Russia", Subject, None),
            ("Syria", Object, None),
            ("Mikhail Bogdanov", Speaker, Some("Deputy Foreign Minister of Russia")),
        ],
        qualifiers: &[],
        citations: &[CitationSeed {
            quote: "Deputy Foreign Minister Mikhail Bogdanov, who led the Russian delegation last month, said at the time that the power shift in Damascus \u{201C}will not change the nature\u{201D} of relations between the two nations.",
            attribution: Direct,
            attributed_to: Some("Mikhail Bogdanov"),
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "hts-offensive",
        kind: "military.armed_attack",
        summary: "Hayat Tahrir al-Sham launched a surprise attack on Damascus.",
        modality: Modality::Occurred,
        occurred_on: (2024, 12, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[("Hayat Tahrir al-Sham", Subject, None), ("Syria", Object, None)],
        qualifiers: &[("target", "Damascus")],
        citations: &[CitationSeed {
            quote: "his Hayat Tahrir al-Sham (HTS) jihadist group launched a surprise attack on Damascus",
            attribution: Direct,
            attributed_to: None,
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "al-sharaa-de-facto-leader",
        kind: "leadership.change",
        summary: "Ahmed al-Sharaa became Syria's de facto leader after Hayat Tahrir al-Sham's offensive on Damascus.",
        modality: Modality::Occurred,
        occurred_on: (2024, 12, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[
            ("Ahmed al-Sharaa", Subject, Some("Leader of Hayat Tahrir al-Sham")),
            ("Syria", Object, None),
            ("Hayat Tahrir al-Sham", Participant, None),
        ],
        qualifiers: &[("office", "de facto leader"), ("mechanism", "armed offensive")],
        citations: &[CitationSeed {
            quote: "Al-Sharaa, also known by his nom de guerre Abu Mohammad al-Julani, became Syria's de facto leader in December 2024",
            attribution: Direct,
            attributed_to: None,
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "assad-flight",
        kind: "leadership.flight",
        summary: "Former President Bashar Assad fled Syria after the offensive on Damascus.",
        modality: Modality::Occurred,
        occurred_on: (2024, 12, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[("Bashar Assad", Subject, Some("President of Syria")), ("Syria", Object, None)],
        qualifiers: &[],
        citations: &[CitationSeed {
            quote: "forcing former President Bashar Assad to flee the country.",
            attribution: Direct,
            attributed_to: None,
            relayed_from: None,
        }],
    },
    FactSeed {
        key: "strategic-interests",
        kind: "policy.statement",
        summary: "Al-Sharaa told Al Arabiya that Syria and Russia share strategic interests.",
        modality: Modality::Stated,
        occurred_on: (2024, 12, 1),
        precision: DatePrecision::Month,
        country: None,
        participants: &[
            ("Syria", Subject, None),
            ("Russia", Object, None),
            ("Ahmed al-Sharaa", Speaker, Some("Head of the Syrian administration")),
        ],
        qualifiers: &[("venue", "interview with Al Arabiya News")],
        citations: &[CitationSeed {
            quote: "In December, al-Sharaa told Al Arabiya News that the two nations share \u{201C}strategic interests.\u{201D}",
            attribution: Relayed,
            attributed_to: Some("Ahmed al-Sharaa"),
            relayed_from: Some("Al Arabiya"),
        }],
    },
    FactSeed {
        key: "base-access",
        kind: "military.basing_access",
        summary: "Syria's defence minister Murhaf Abu Qasra said Damascus is willing to let Russia keep its naval and air bases, provided it serves Syria's interests.",
        modality: Modality::Conditional,
        occurred_on: (2025, 2, 1),
        precision: DatePrecision::Month,
        country: Some("SY"),
        participants: &[
            ("Syria", Subject, None),
            ("Russia", Object, None),
            ("Murhaf Abu Qasra", Speaker, Some("Defense Minister of Syria")),
        ],
        qualifiers: &[
            ("facility", "naval base"),
            ("facility", "air base"),
            ("condition", "provided it serves the Arab nation's interests"),
        ],
        citations: &[CitationSeed {
            quote: "Syrian Defense Minister Murhaf Abu Qasra told The Washington Post that Damascus was willing to allow Russia to keep its naval and air bases on Syrian soil, provided it serves the Arab nation's interests.",
            attribution: Relayed,
            attributed_to: Some("Murhaf Abu Qasra"),
            relayed_from: Some("The Washington Post"),
        }],
    },
];

/// What a demo load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub actors_created: usize,
    pub sources_created: usize,
    pub facts_created: usize,
    pub users_created: usize,
}

/// A stable UUIDv7 for a demo record: the time of the call and bits derived from its name, so
/// every installation's demo data has the same ids and the README's examples work as pasted.
fn demo_uuid(name: &str) -> Uuid {
    const CALL_MILLIS: u64 = 1_739_318_400_000; // 2025-02-12T00:00:00Z
    let digest = Sha256::digest(name.as_bytes());
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    uuid::Builder::from_unix_timestamp_millis(CALL_MILLIS, &bits).into_uuid()
}

async fn ensure_user<C: sea_orm::ConnectionTrait>(
    db: &C,
    email: &str,
    name: &str,
    role: UserRole,
    password: &str,
    report: &mut DemoReport,
) -> DomainResult<Principal> {
    if let Some(found) = user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await? {
        return Ok(Principal::of(found));
    }
    let new_user =
        NewUser { email: email.to_owned(), display_name: name.to_owned(), role, password: password.to_owned() };
    let created = create_user(db, new_user).await?;
    report.users_created += 1;
    Ok(Principal::of(created))
}

async fn ensure_actor<C: sea_orm::ConnectionTrait>(
    db: &C,
    seed: &ActorSeed,
    report: &mut DemoReport,
) -> DomainResult<Uuid> {
    if let Some(found) = find_by_name(db, seed.name).await? {
        return Ok(found.id);
    }
    let id = demo_uuid(&format!("actor:{}", seed.name));
    let at = now();
    actor::ActiveModel {
        id: Set(id),
        name: Set(seed.name.to_owned()),
        name_folded: Set(fold(seed.name)),
        description: Set(seed.description.to_owned()),
        kind: Set(seed.kind),
        country: Set(seed.country.map(str::to_owned)),
        wikidata_qid: Set(seed.qid.map(str::to_owned)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?;
    for alias in seed.aliases {
        actor_alias::ActiveModel {
            id: Set(Uuid::now_v7()),
            actor_id: Set(id),
            alias: Set((*alias).to_owned()),
            alias_folded: Set(fold(alias)),
        }
        .insert(db)
        .await?;
    }
    report.actors_created += 1;
    Ok(id)
}

async fn actor_id<C: sea_orm::ConnectionTrait>(db: &C, name: &str) -> DomainResult<Uuid> {
    find_by_name(db, name)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| DomainError::Internal(format!("demo actor `{name}` is missing")))
}

async fn ensure_source<C: sea_orm::ConnectionTrait>(db: &C, report: &mut DemoReport) -> DomainResult<Uuid> {
    let canonical = canonicalize_url(ARTICLE_URL).map_err(|e| DomainError::Internal(e.to_string()))?;
    if let Some(found) =
        source::Entity::find().filter(source::Column::CanonicalUrl.eq(canonical.clone())).one(db).await?
    {
        return Ok(found.id);
    }
    let id = demo_uuid(&format!("source:{ARTICLE_URL}"));
    let at = now();
    source::ActiveModel {
        id: Set(id),
        canonical_url: Set(canonical),
        url: Set(ARTICLE_URL.to_owned()),
        title: Set("Putin talks to new Syrian leadership \u{2013} Kremlin".to_owned()),
        kind: Set(SourceKind::NewsArticle),
        outlet_id: Set(Some(actor_id(db, "RT").await?)),
        // The snapshot only says the Kremlin spoke "on Wednesday": the month is all it proves.
        published_on: Set(NaiveDate::from_ymd_opt(2025, 2, 1)),
        published_precision: Set(Some(DatePrecision::Month)),
        retrieved_at: Set(at),
        language: Set(Some("en".to_owned())),
        archive_url: Set(None),
        snapshot: Set(Some(ARTICLE.to_owned())),
        snapshot_sha256: Set(Some(sha256_hex(ARTICLE))),
        created_by: Set(None),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await?;
    report.sources_created += 1;
    Ok(id)
}

/// Moves a demo fact one step: to the status the workflow table gives, and only as someone the
/// table allows to take it (a demo fact is reviewed by another person, like any other).
async fn advance<C: sea_orm::ConnectionTrait>(
    db: &C,
    fact: fact::Model,
    action: FactAction,
    by: &Principal,
) -> DomainResult<fact::Model> {
    let step = transition(fact.status, action)?;
    authorize(step, by, &fact)?;
    let status = step.to.ok_or_else(|| DomainError::Internal("a demo step may not delete its fact".into()))?;
    let at = now();
    let mut active: fact::ActiveModel = fact.clone().into();
    active.status = Set(status);
    active.version = Set(fact.version + 1);
    active.updated_at = Set(at);
    if status == FactStatus::Published {
        active.published_at = Set(Some(at));
        active.reviewed_by = Set(Some(by.user_id));
    }
    let updated = active.update(db).await?;
    append_revision(db, &updated, action.revision(), Some(by.user_id), None).await?;
    Ok(updated)
}

async fn create_fact<C: sea_orm::ConnectionTrait>(
    db: &C,
    seed: &FactSeed,
    source_id: Uuid,
    editor: &Principal,
    reviewer: &Principal,
) -> DomainResult<Uuid> {
    let (y, m, d) = seed.occurred_on;
    let occurred_on = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DomainError::Internal("bad demo date".into()))?;
    let id = demo_uuid(&format!("fact:{}", seed.key));
    let at = now();
    let created = fact::ActiveModel {
        id: Set(id),
        kind_key: Set(seed.kind.to_owned()),
        summary: Set(seed.summary.to_owned()),
        modality: Set(seed.modality),
        occurred_on: Set(occurred_on),
        occurred_precision: Set(seed.precision),
        occurred_until: Set(None),
        country: Set(seed.country.map(str::to_owned)),
        status: Set(FactStatus::Draft),
        version: Set(1),
        created_by: Set(editor.user_id),
        last_edited_by: Set(editor.user_id),
        reviewed_by: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        published_at: Set(None),
        retracted_at: Set(None),
        retraction_reason: Set(None),
        supersedes_id: Set(None),
        superseded_by_id: Set(None),
    }
    .insert(db)
    .await?;
    for (position, (name, role, title)) in seed.participants.iter().enumerate() {
        fact_participant::ActiveModel {
            id: Set(Uuid::now_v7()),
            fact_id: Set(id),
            actor_id: Set(actor_id(db, name).await?),
            role: Set(*role),
            title: Set(title.map(str::to_owned)),
            position: Set(position as i32),
        }
        .insert(db)
        .await?;
    }
    for (position, (key, value)) in seed.qualifiers.iter().enumerate() {
        fact_qualifier::ActiveModel {
            id: Set(Uuid::now_v7()),
            fact_id: Set(id),
            key: Set((*key).to_owned()),
            value: Set((*value).to_owned()),
            position: Set(position as i32),
        }
        .insert(db)
        .await?;
    }
    for (position, cite) in seed.citations.iter().enumerate() {
        let location = verify_quote(ARTICLE, cite.quote).ok_or_else(|| {
            DomainError::Internal(format!("demo quote of `{}` is not in the article: {}", seed.key, cite.quote))
        })?;
        let attributed_to = match cite.attributed_to {
            Some(name) => Some(actor_id(db, name).await?),
            None => None,
        };
        let relayed_from = match cite.relayed_from {
            Some(name) => Some(actor_id(db, name).await?),
            None => None,
        };
        citation::ActiveModel {
            id: Set(Uuid::now_v7()),
            fact_id: Set(id),
            source_id: Set(source_id),
            quote: Set(cite.quote.to_owned()),
            quote_sha256: Set(quote_digest(cite.quote)),
            attributed_to_id: Set(attributed_to),
            attribution: Set(cite.attribution),
            relayed_from_id: Set(relayed_from),
            verified: Set(true),
            quote_start: Set(Some(location.start as i32)),
            quote_end: Set(Some(location.end as i32)),
            position: Set(position as i32),
        }
        .insert(db)
        .await?;
    }
    refresh_search_document(db, id).await?;
    append_revision(db, &created, RevisionAction::Created, Some(editor.user_id), None).await?;
    let submitted = advance(db, created, FactAction::Submit, editor).await?;
    advance(db, submitted, FactAction::Approve, reviewer).await?;
    Ok(id)
}

/// Loads the demo dataset in one transaction; safe to run any number of times.
pub async fn load_demo(db: &DatabaseConnection) -> DomainResult<DemoReport> {
    let txn = db.begin().await?;
    let mut report = DemoReport::default();
    let editor =
        ensure_user(&txn, DEMO_EDITOR_EMAIL, "Demo Editor", UserRole::Editor, DEMO_EDITOR_PASSWORD, &mut report)
            .await?;
    let reviewer = ensure_user(
        &txn,
        DEMO_REVIEWER_EMAIL,
        "Demo Reviewer",
        UserRole::Reviewer,
        DEMO_REVIEWER_PASSWORD,
        &mut report,
    )
    .await?;
    for seed in ACTORS {
        ensure_actor(&txn, seed, &mut report).await?;
    }
    let source_id = ensure_source(&txn, &mut report).await?;
    for seed in FACTS {
        let done = idempotency_key::Entity::find_by_id((
            DEMO_PRINCIPAL.to_owned(),
            DEMO_OPERATION.to_owned(),
            seed.key.to_owned(),
        ))
        .one(&txn)
        .await?;
        if done.is_some() {
            continue;
        }
        let fact_id = create_fact(&txn, seed, source_id, &editor, &reviewer).await?;
        idempotency_key::ActiveModel {
            principal: Set(DEMO_PRINCIPAL.to_owned()),
            operation: Set(DEMO_OPERATION.to_owned()),
            key: Set(seed.key.to_owned()),
            request_sha256: Set(sha256_hex(seed.summary)),
            response: Set(fact_id.to_string()),
            created_at: Set(now()),
        }
        .insert(&txn)
        .await?;
        report.facts_created += 1;
    }
    txn.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_quote_is_verbatim_in_the_article() {
        for seed in FACTS {
            for cite in seed.citations {
                assert!(verify_quote(ARTICLE, cite.quote).is_some(), "{}: {}", seed.key, cite.quote);
            }
        }
    }
}
