//! Keyset pagination: a page deep in the list costs what the first page costs. Runs the exact
//! statements the server issues (`domain::facts::list_facts`) on a store of many facts, prints
//! the query plan, and times page 1 against a page tens of thousands of rows in.
//! SQLite by default; set BENCH_DATABASE_URL=postgres://… to run it on an empty Postgres database.
mod support;

use chancery::config::DatabaseConfig;
use chancery::db::{self, StatementCounter};
use chancery::domain::fact::query::{list_facts, FactFilter, FactOrder, Visibility};
use chancery::domain::pagination::PageRequest;
use entity::fact;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};
use support::measure;

const FACTS: usize = 60_000;

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let temp = std::env::temp_dir().join(format!("chancery-bench-{}.db", uuid::Uuid::now_v7()));
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", temp.display()));
    let db = db::connect(&DatabaseConfig::for_url(url), &StatementCounter::default()).await.unwrap();
    db::migrate(&db).await.unwrap();
    chancery::demo::load_demo(&db).await.unwrap();
    let template = fact::Entity::find().one(&db).await.unwrap().unwrap();
    let existing = fact::Entity::find().count_rows(&db).await;
    println!("seeding {FACTS} published facts…");
    let mut batch = Vec::new();
    for i in existing..FACTS {
        let mut copy = template.clone();
        copy.id = uuid::Uuid::now_v7();
        copy.occurred_on -= chrono::Duration::days((i % 5000) as i64);
        batch.push(sea_orm::IntoActiveModel::into_active_model(copy));
        if batch.len() == 500 {
            fact::Entity::insert_many(std::mem::take(&mut batch)).exec_without_returning(&db).await.unwrap();
        }
    }
    if !batch.is_empty() {
        fact::Entity::insert_many(batch).exec_without_returning(&db).await.unwrap();
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }

    let order = FactOrder::default();
    let filter = FactFilter::default().validate(&db, "filter", Default::default()).await.unwrap();
    // The cursor of the row 50,000 deep in the default order.
    let deep = fact::Entity::find()
        .order_by_desc(fact::Column::OccurredOn)
        .order_by_desc(fact::Column::Id)
        .offset(50_000)
        .limit(1)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let deep_cursor = order.cursor_of(&deep).encode();

    let plan_sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "EXPLAIN SELECT id FROM facts WHERE status IN ('PUBLISHED','RETRACTED','SUPERSEDED') AND (occurred_on, id) < ('2020-01-01', '01a214fe-0000-0000-0000-000000000000'::uuid) ORDER BY occurred_on DESC, id DESC LIMIT 21",
        _ => "EXPLAIN QUERY PLAN SELECT id FROM facts WHERE status IN ('PUBLISHED','RETRACTED','SUPERSEDED') AND (occurred_on, id) < ('2020-01-01', x'01') ORDER BY occurred_on DESC, id DESC LIMIT 21",
    };
    println!("query plan of a keyset page:");
    for row in db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), plan_sql)).await.unwrap() {
        let line: String = row
            .try_get_by_index::<String>(row_width(&db) - 1)
            .unwrap_or_else(|_| row.try_get_by_index::<String>(0).unwrap_or_default());
        println!("  {line}");
    }

    let handle = tokio::runtime::Handle::current();
    let page = |cursor: Option<String>| {
        let request = PageRequest::new(Some(20), cursor, None, None).unwrap();
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                let page = list_facts(&db, Visibility::Public, &filter, order, &request).await.unwrap();
                assert_eq!(page.page.items.len(), 20);
            })
        })
    };
    println!("{} facts, pages of 20 in the default order ({}):", FACTS, db.get_database_backend().as_str());
    let first = measure("page 1", 200, || page(None));
    let deep_time = measure("page 2,501 (50,000 rows in, by cursor)", 200, || page(Some(deep_cursor.clone())));
    println!(
        "summary: page 1 {:.0} µs, page 2,501 {:.0} µs (ratio {:.2})",
        support::as_us(first),
        support::as_us(deep_time),
        deep_time.as_secs_f64() / first.as_secs_f64()
    );
    drop(db);
    for suffix in ["", "-wal", "-shm", ".jwt-secret"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", temp.display()));
    }
}

fn row_width(db: &sea_orm::DatabaseConnection) -> usize {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => 1,
        _ => 4,
    }
}

trait CountRows {
    async fn count_rows(self, db: &sea_orm::DatabaseConnection) -> usize;
}

impl CountRows for sea_orm::Select<fact::Entity> {
    async fn count_rows(self, db: &sea_orm::DatabaseConnection) -> usize {
        sea_orm::PaginatorTrait::count(self, db).await.unwrap() as usize
    }
}
