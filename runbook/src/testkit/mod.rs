//! For tests, benchmarks and fixture recording: a real `moto_server` on a free loopback port,
//! and the secure account of the article (and its variants) built on it through the real SDK.
//! Nothing here is used by the runbooks themselves.

mod config;
mod inprocess;
mod moto;
pub mod seed;

pub use config::{assumed_role_config, local_config, TestkitResult};
pub use inprocess::{default_args, launch, run_to_end, session, AlwaysYes};
pub use moto::Moto;
pub use seed::{seed, BucketSeed, Seed, Seeded};
