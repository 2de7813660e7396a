//! Seeding the vocabulary of fact kinds: the shipped kinds of every installation, added by
//! migrations, each with the qualifiers and participant roles it admits and its CAMEO code.
use sea_orm_migration::prelude::*;

/// One fact kind as a migration ships it.
pub struct KindSeed {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub symmetric: bool,
    pub allowed_qualifiers: &'static [&'static str],
    pub required_qualifiers: &'static [&'static str],
    pub allowed_roles: &'static [&'static str],
    pub cameo_code: Option<&'static str>,
}

fn json_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(","))
}

/// Inserts `seeds`; a kind's category is its key's prefix.
pub async fn insert_kinds(manager: &SchemaManager<'_>, seeds: &[KindSeed]) -> Result<(), DbErr> {
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
    for seed in seeds {
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

/// Removes `seeds` again (a migration's `down`).
pub async fn delete_kinds(manager: &SchemaManager<'_>, seeds: &[KindSeed]) -> Result<(), DbErr> {
    let keys: Vec<&str> = seeds.iter().map(|seed| seed.key).collect();
    manager.exec_stmt(Query::delete().from_table("fact_kinds").and_where(Expr::col("key").is_in(keys)).to_owned()).await
}
