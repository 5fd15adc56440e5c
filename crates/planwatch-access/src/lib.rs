//! Who may do what in Planwatch: roles, actors, units, the one access policy, passwords and API
//! tokens. Pure: no I/O, no async. Randomness (salts, generated passwords, tokens, session ids)
//! comes in as bytes from the caller, who reads it from the operating system.
//!
//! - [`Role`], [`Unit`], [`Account`] and [`Actor`]: a signed-in user with their role and units,
//!   an API token acting as its user, the command line (`cli:<OS user>`, the administrator's
//!   tool) and the anonymous public.
//! - [`Policy::may`] — the one function every API handler, page and command asks
//!   (`docs/security.md` has its table).
//! - [`resolve_unit`] — a unit code checked against the plan (abbreviations refused); [`UnitNames`]
//!   — units by the names offices write (成都市商务局, 锦江区人民政府, 高新区管委会).
//! - [`check_password`], [`hash_password`], [`verify_password`], [`generate_password`].
//! - [`generate_token`], [`generate_session_id`] and [`hash_secret`] — secrets are stored hashed.

mod actor;
mod names;
mod password;
mod policy;
mod secret;
mod units;

pub use crate::actor::{Account, Actor, Role, Unit, UnknownRole};
pub use crate::names::{NameProblem, check_name};
pub use crate::password::{
    MIN_PASSWORD_CHARS, PASSWORD_ENTROPY_BYTES, PasswordProblem, check_password, generate_password,
    hash_password, is_common_password, verify_password,
};
pub use crate::policy::{
    Action, Decision, Denial, Figure, FigureState, Object, Policy, Visibility,
};
pub use crate::secret::{
    SECRET_ENTROPY_BYTES, TOKEN_PREFIX, generate_session_id, generate_token, hash_secret,
    looks_like_token,
};
pub use crate::units::{UnitError, UnitNames, check_role_units, normalize_unit_name, resolve_unit};
