//! The whole domain: users, actors and aliases, sources, fact kinds, facts with
//! participants, qualifiers and citations, the revision log and its chain head, and the
//! idempotency ledger. Enumerations are stored as text guarded by CHECK constraints so that
//! both backends refuse values the application would not write.
use sea_orm_migration::{prelude::*, schema::*};

use crate::schema_helpers::{fk, fk_to, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const USER_ROLES: &[&str] = &["EDITOR", "REVIEWER", "ADMIN"];
const ACTOR_KINDS: &[&str] = &[
    "STATE",
    "PERSON",
    "ORGANIZATION",
    "GOVERNMENT_BODY",
    "ARMED_GROUP",
    "INTERNATIONAL_ORGANIZATION",
    "MEDIA_OUTLET",
];
const SOURCE_KINDS: &[&str] = &["NEWS_ARTICLE", "OFFICIAL_STATEMENT", "TRANSCRIPT", "INTERVIEW", "REPORT"];
const DATE_PRECISIONS: &[&str] = &["DAY", "MONTH", "YEAR"];
const MODALITIES: &[&str] = &["OCCURRED", "STATED", "INTENDED", "CONDITIONAL", "DENIED"];
const FACT_STATUSES: &[&str] =
    &["DRAFT", "IN_REVIEW", "CHANGES_REQUESTED", "PUBLISHED", "REJECTED", "RETRACTED", "SUPERSEDED"];
const PARTICIPANT_ROLES: &[&str] = &["SUBJECT", "OBJECT", "SPEAKER", "PARTICIPANT", "MEDIATOR"];
const ATTRIBUTIONS: &[&str] = &["DIRECT", "RELAYED"];

fn one_of(column: &'static str, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(|v| String::from(*v)))
}

fn length_between(column: &'static str, min: i32, max: i32) -> SimpleExpr {
    Expr::expr(Func::char_length(Expr::col(column))).between(min, max)
}

fn nullable_length_between(column: &'static str, min: i32, max: i32) -> SimpleExpr {
    Expr::col(column).is_null().or(length_between(column, min, max))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string_len("email", 254).unique_key())
                    .col(string_len("display_name", 120))
                    .col(string_len("role", 16).check(one_of("role", USER_ROLES)))
                    .col(text("password_hash"))
                    .col(boolean("active").default(true))
                    .col(integer("token_version").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(length_between("email", 3, 254))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("actors")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 200))
                    .col(string_len("name_folded", 200))
                    .col(text("description").default(""))
                    .col(string_len("kind", 32).check(one_of("kind", ACTOR_KINDS)))
                    .col(string_len_null("country", 2))
                    .col(string_len_null("wikidata_qid", 20).unique_key())
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .check(length_between("name", 1, 200))
                    .check(nullable_length_between("country", 2, 2))
                    .check(nullable_length_between("wikidata_qid", 2, 20))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("actors", "idx_actors_name_folded", &["name_folded"], false)).await?;
        manager.create_index(index("actors", "idx_actors_kind_country", &["kind", "country"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("actor_aliases")
                    .col(pk_uuid("id"))
                    .col(uuid("actor_id"))
                    .col(string_len("alias", 200))
                    .col(string_len("alias_folded", 200))
                    .foreign_key(&mut fk("actor_aliases", "actor_id", "actors", ForeignKeyAction::Cascade))
                    .check(length_between("alias", 1, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("actor_aliases", "uq_actor_aliases_actor_alias", &["actor_id", "alias_folded"], true))
            .await?;
        manager.create_index(index("actor_aliases", "idx_actor_aliases_folded", &["alias_folded"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("sources")
                    .col(pk_uuid("id"))
                    .col(string_len("canonical_url", 2048).unique_key())
                    .col(string_len("url", 2048))
                    .col(string_len("title", 500))
                    .col(string_len("kind", 32).check(one_of("kind", SOURCE_KINDS)))
                    .col(uuid_null("outlet_id"))
                    .col(date_null("published_on"))
                    .col(string_len_null("published_precision", 8))
                    .col(timestamp_with_time_zone("retrieved_at"))
                    .col(string_len_null("language", 35))
                    .col(string_len_null("archive_url", 2048))
                    .col(text_null("snapshot"))
                    .col(string_len_null("snapshot_sha256", 64))
                    .col(uuid_null("created_by"))
                    .col(integer("version").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("sources", "outlet_id", "actors", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("sources", "created_by", "users", ForeignKeyAction::Restrict))
                    .check(length_between("title", 1, 500))
                    .check(
                        Expr::col("published_precision").is_null().or(one_of("published_precision", DATE_PRECISIONS)),
                    )
                    // A date without a precision (or the reverse) cannot be rendered honestly.
                    .check(Expr::col("published_on").is_null().eq(Expr::col("published_precision").is_null()))
                    .check(Expr::col("snapshot").is_null().eq(Expr::col("snapshot_sha256").is_null()))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sources", "idx_sources_outlet", &["outlet_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("fact_kinds")
                    .col(string_len("key", 64).primary_key())
                    .col(string_len("label", 120))
                    .col(text("description"))
                    .col(string_len("category", 32))
                    .col(boolean("symmetric").default(false))
                    .col(json("allowed_qualifiers"))
                    .col(json("required_qualifiers"))
                    .col(json("allowed_roles"))
                    .col(string_len_null("cameo_code", 8))
                    .col(timestamp_with_time_zone("created_at"))
                    .check(length_between("key", 3, 64))
                    .check(length_between("label", 1, 120))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("fact_kinds", "idx_fact_kinds_category", &["category"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("facts")
                    .col(pk_uuid("id"))
                    .col(string_len("kind_key", 64))
                    .col(string_len("summary", 500))
                    .col(string_len("modality", 16).check(one_of("modality", MODALITIES)))
                    .col(date("occurred_on"))
                    .col(string_len("occurred_precision", 8).check(one_of("occurred_precision", DATE_PRECISIONS)))
                    .col(date_null("occurred_until"))
                    .col(string_len_null("country", 2))
                    .col(string_len("status", 24).check(one_of("status", FACT_STATUSES)))
                    .col(integer("version").default(1))
                    .col(uuid("created_by"))
                    .col(uuid("last_edited_by"))
                    .col(uuid_null("reviewed_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(timestamp_with_time_zone_null("retracted_at"))
                    .col(text_null("retraction_reason"))
                    .col(uuid_null("supersedes_id"))
                    .col(uuid_null("superseded_by_id"))
                    .foreign_key(&mut fk_to("facts", "kind_key", "fact_kinds", "key", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("facts", "created_by", "users", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("facts", "last_edited_by", "users", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("facts", "reviewed_by", "users", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("facts", "supersedes_id", "facts", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("facts", "superseded_by_id", "facts", ForeignKeyAction::Restrict))
                    .check(length_between("summary", 1, 500))
                    .check(nullable_length_between("country", 2, 2))
                    .check(Expr::col("version").gte(1))
                    .check(
                        Expr::col("occurred_until")
                            .is_null()
                            .or(Expr::col("occurred_until").gte(Expr::col("occurred_on"))),
                    )
                    // Published, retracted and superseded facts always carry their publication time.
                    .check(
                        Expr::col("status")
                            .is_in(["PUBLISHED", "RETRACTED", "SUPERSEDED"])
                            .not()
                            .or(Expr::col("published_at").is_not_null()),
                    )
                    .check(Expr::col("status").ne("SUPERSEDED").or(Expr::col("superseded_by_id").is_not_null()))
                    .to_owned(),
            )
            .await?;
        // The public record is nearly every row, so pages walk these in order and filter status.
        manager.create_index(index("facts", "idx_facts_occurred", &["occurred_on", "id"], false)).await?;
        manager.create_index(index("facts", "idx_facts_published", &["published_at", "id"], false)).await?;
        manager.create_index(index("facts", "idx_facts_kind", &["kind_key"], false)).await?;
        manager.create_index(index("facts", "idx_facts_country", &["country"], false)).await?;
        manager.create_index(index("facts", "idx_facts_created_by", &["created_by", "status"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("fact_participants")
                    .col(pk_uuid("id"))
                    .col(uuid("fact_id"))
                    .col(uuid("actor_id"))
                    .col(string_len("role", 16).check(one_of("role", PARTICIPANT_ROLES)))
                    .col(string_len_null("title", 200))
                    .col(integer("position"))
                    .foreign_key(&mut fk("fact_participants", "fact_id", "facts", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("fact_participants", "actor_id", "actors", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "fact_participants",
                "uq_fact_participants_fact_actor_role",
                &["fact_id", "actor_id", "role"],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "fact_participants",
                "idx_fact_participants_actor",
                &["actor_id", "role", "fact_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fact_qualifiers")
                    .col(pk_uuid("id"))
                    .col(uuid("fact_id"))
                    .col(string_len("key", 64))
                    .col(string_len("value", 500))
                    .col(integer("position"))
                    .foreign_key(&mut fk("fact_qualifiers", "fact_id", "facts", ForeignKeyAction::Cascade))
                    .check(length_between("value", 1, 500))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "fact_qualifiers",
                "uq_fact_qualifiers_fact_key_value",
                &["fact_id", "key", "value"],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("citations")
                    .col(pk_uuid("id"))
                    .col(uuid("fact_id"))
                    .col(uuid("source_id"))
                    .col(text("quote"))
                    .col(string_len("quote_sha256", 64))
                    .col(uuid_null("attributed_to_id"))
                    .col(string_len("attribution", 16).check(one_of("attribution", ATTRIBUTIONS)))
                    .col(uuid_null("relayed_from_id"))
                    .col(boolean("verified"))
                    .col(integer_null("quote_start"))
                    .col(integer_null("quote_end"))
                    .col(integer("position"))
                    .foreign_key(&mut fk("citations", "fact_id", "facts", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("citations", "source_id", "sources", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("citations", "attributed_to_id", "actors", ForeignKeyAction::Restrict))
                    .foreign_key(&mut fk("citations", "relayed_from_id", "actors", ForeignKeyAction::Restrict))
                    .check(length_between("quote", 1, 2000))
                    .check(
                        Expr::col("verified")
                            .eq(false)
                            .or(Expr::col("quote_start").is_not_null().and(Expr::col("quote_end").is_not_null())),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "citations",
                "uq_citations_fact_source_quote",
                &["fact_id", "source_id", "quote_sha256"],
                true,
            ))
            .await?;
        manager.create_index(index("citations", "idx_citations_source", &["source_id", "fact_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("revision_chain")
                    .col(integer("id").primary_key())
                    .col(big_integer("length"))
                    .col(string_len("head_hash", 64))
                    .check(Expr::col("id").eq(1))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("revision_chain")
                    .columns(["id", "length", "head_hash"])
                    .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("revisions")
                    .col(pk_uuid("id"))
                    .col(big_integer("seq").unique_key())
                    .col(uuid("fact_id"))
                    .col(integer("fact_version"))
                    .col(string_len("action", 32))
                    .col(uuid_null("actor_id"))
                    .col(text_null("comment"))
                    .col(text("snapshot"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64).unique_key())
                    // No foreign key to facts: a deleted draft's history outlives it, as the
                    // chain must stay whole.
                    .foreign_key(&mut fk("revisions", "actor_id", "users", ForeignKeyAction::Restrict))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("revisions", "idx_revisions_fact", &["fact_id", "seq"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(string_len("principal", 64))
                    .col(string_len("operation", 64))
                    .col(string_len("key", 200))
                    .col(string_len("request_sha256", 64))
                    .col(text("response"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("principal").col("operation").col("key"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("fact_search_documents")
                    .col(uuid("fact_id").primary_key())
                    .col(text("document"))
                    .foreign_key(&mut fk("fact_search_documents", "fact_id", "facts", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "fact_search_documents",
            "idempotency_keys",
            "revisions",
            "revision_chain",
            "citations",
            "fact_qualifiers",
            "fact_participants",
            "facts",
            "fact_kinds",
            "sources",
            "actor_aliases",
            "actors",
            "users",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// The hash the first revision chains from: SHA-256 of the empty string.
pub const GENESIS_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
