//! Examples and the tour, for integrators and new users.
//!
//! - `examples/<Service>/<Method>.json`: an example request for every RPC of the contract
//!   ([`examples`]), sent as it is written by any gRPC-JSON client;
//! - `examples/tour.json`: a dossier's life played from those examples on a running suite
//!   ([`tour`]), by `secal-dev demo` and by the end-to-end test `e2e_tour`, so that no
//!   example goes stale;
//! - [`call`]: one call of any RPC by name, JSON in and out, from the descriptor set;
//! - [`http`]: the same through a service's JSON listener, as `curl` makes it.

pub mod call;
pub mod examples;
pub mod http;
pub mod tour;
