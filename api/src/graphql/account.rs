//! Signing in, the viewer, and account administration.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::UserRole;
use entity::user;

use super::connection::{page_request, Connection, ListNode, Total};
use super::context::{ContextExt, Required};
use super::error::{loader_error, Result};
use super::fact::input::FactFilterInput;
use super::fact::list::fact_connection_in;
use super::graph::FactConnection;
use super::ids;
use crate::auth::tokens::TokenService;
use crate::domain::account::login::login;
use crate::domain::account::query::{cursor_of, list_users, UserFilter};
use crate::domain::account::store::{self as users, NewUser};
use crate::domain::account::Principal;
use crate::domain::fact::query::{FactOrder, FactOrderField, Visibility};
use crate::domain::ids::UserId;
use crate::throttling::login::LoginThrottle;
use crate::throttling::ClientAddress;

/// Why a non-admin may not call the account mutations.
const MANAGE_ACCOUNTS: &str = "only an admin may manage accounts";

#[derive(Clone)]
pub struct User(pub user::Model);

impl ListNode for User {
    const NAME: &'static str = "User";
}

/// A page of accounts.
pub type UserConnection = Connection<User>;

/// Which accounts to list.
#[derive(InputObject, Default)]
pub struct UserFilterInput {
    /// Only accounts with one of these roles.
    pub roles: Option<Vec<UserRole>>,
    /// Only active (or only deactivated) accounts.
    pub active: Option<bool>,
}

/// An account by its id, for an admin; null for anyone else.
pub async fn visible_user(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<User>> {
    if !ctx.principal().is_some_and(Principal::is_admin) {
        return Ok(None);
    }
    Ok(ctx.loaders().users.load_one(id).await.map_err(loader_error)?.map(User))
}

/// A user account (visible to the account itself and to admins only).
#[Object]
impl User {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::global(UserId(self.0.id))
    }
    /// Sign-in email (lower-cased).
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Name shown to colleagues.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// What the account may do.
    async fn role(&self) -> UserRole {
        self.0.role
    }
    /// Whether the account may sign in.
    async fn active(&self) -> bool {
        self.0.active
    }
}

/// The signed-in caller.
#[derive(SimpleObject)]
pub struct Viewer {
    /// Opaque global id of the account.
    pub id: ID,
    /// Sign-in email.
    pub email: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// What the account may do.
    pub role: UserRole,
}

impl From<&Principal> for Viewer {
    fn from(p: &Principal) -> Self {
        Self { id: ids::global(p.user_id), email: p.email.clone(), display_name: p.display_name.clone(), role: p.role }
    }
}

/// A successful sign-in.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// The access token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub viewer: Viewer,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The signed-in caller; null without a token.
    async fn viewer(&self, ctx: &Context<'_>) -> Option<Viewer> {
        ctx.principal().map(Viewer::from)
    }

    /// The caller's own facts in every status, most recently changed first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn my_facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let principal = ctx.require_principal()?;
        let order = FactOrder { field: FactOrderField::UpdatedAt, ascending: false };
        let read =
            fact_connection_in(ctx, Visibility::OwnedBy(principal.user_id), filter, order, first, after, last, before);
        Ok(read.await?.into())
    }

    /// Admins: accounts, oldest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which accounts.")] filter: Option<UserFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<UserConnection> {
        ctx.require_role(Required::Admin, "only an admin may list accounts")?;
        let page = page_request(first, after, last, before)?;
        let input = filter.unwrap_or_default();
        let filter = UserFilter { roles: input.roles.unwrap_or_default(), active: input.active };
        let page = list_users(ctx.db(), &filter, &page).await?;
        Ok(Connection::new(page, cursor_of, User, Total::Users(filter)))
    }
}

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Sign-in email.
    pub email: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// What the account may do.
    pub role: UserRole,
    /// Initial password (at least 12 characters).
    pub password: String,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in and returns an access token. A wrong email and a wrong password get the same
    /// answer; repeated failures are throttled per account and per client address.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email and password.")] input: LoginInput,
    ) -> Result<LoginPayload> {
        let db = ctx.db();
        let tokens = ctx.data_unchecked::<TokenService>();
        let throttle = ctx.data_unchecked::<LoginThrottle>();
        // The HTTP layer always provides it; an embedder that does not is one unknown client.
        let address = ctx.data_opt::<ClientAddress>().copied().unwrap_or(ClientAddress::UNKNOWN);
        let grant = login(db, tokens, throttle, &input.email, &input.password, address).await?;
        Ok(LoginPayload {
            token: grant.token,
            expires_at: DateTime::from_timestamp(grant.expires_at, 0).unwrap_or_default(),
            viewer: Viewer::from(&grant.principal),
        })
    }

    /// Admin: creates an account.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account.")] input: CreateUserInput,
    ) -> Result<CreateUserPayload> {
        ctx.require_role(Required::Admin, MANAGE_ACCOUNTS)?;
        let new = NewUser {
            email: input.email,
            display_name: input.display_name,
            role: input.role,
            password: input.password,
        };
        Ok(CreateUserPayload { user: User(users::create_user(ctx.db(), new).await?) })
    }

    /// Admin: changes an account's role (its existing tokens stop working).
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account and its new role.")] input: SetUserRoleInput,
    ) -> Result<SetUserRolePayload> {
        ctx.require_role(Required::Admin, MANAGE_ACCOUNTS)?;
        let id = ids::decode::<UserId>(&input.id, "id")?;
        Ok(SetUserRolePayload { user: User(users::set_role(ctx.db(), id, input.role).await?) })
    }

    /// Admin: deactivates an account and revokes every token issued to it.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account.")] input: DeactivateUserInput,
    ) -> Result<DeactivateUserPayload> {
        ctx.require_role(Required::Admin, MANAGE_ACCOUNTS)?;
        let id = ids::decode::<UserId>(&input.id, "id")?;
        Ok(DeactivateUserPayload { user: User(users::deactivate(ctx.db(), id).await?) })
    }
}

/// An account's credentials.
#[derive(InputObject)]
pub struct LoginInput {
    /// Account email.
    pub email: String,
    /// Account password.
    pub password: String,
}

/// A change of an account's role.
#[derive(InputObject)]
pub struct SetUserRoleInput {
    /// Global id of the User.
    pub id: ID,
    /// The new role.
    pub role: UserRole,
}

/// The deactivation of an account.
#[derive(InputObject)]
pub struct DeactivateUserInput {
    /// Global id of the User.
    pub id: ID,
}

payloads! {
    {
        /// The account as the change left it.
        user: User,
    }
    /// What `createUser` did: the new account.
    CreateUserPayload;
    /// What `setUserRole` did: the account with its new role.
    SetUserRolePayload;
    /// What `deactivateUser` did: the deactivated account.
    DeactivateUserPayload;
}
