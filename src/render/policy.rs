//! What the templates need of `[policy]` for one router: per session its neighbour's role
//! (from the link's relationship), the router's own RFC 9234 role and which import and
//! export policy it takes. Both suites implement the same Gao–Rexford rules:
//! - import: local preference by the neighbour's role, customer 300 > peer 200 > provider 100
//!   (the router's own routes beat all three: FRR's weight, BIRD's direct preference);
//! - export: own and customer routes to everyone, peer and provider routes to customers only
//!   (a route's class is read back from its local preference);
//! - ties after the AS path go to the lowest neighbour router-id in both suites (FRR with
//!   `bgp bestpath compare-routerid`, which BIRD does by default), so mixed labs pick the same
//!   routes and the prediction (crate::policy) can use the same rule.

use crate::config::policy::Role;
use crate::config::Lab;
use std::net::IpAddr;

pub struct PolicyView {
    pub roles: bool,
    /// One per interface of the router, in interface order.
    pub sessions: Vec<Session>,
}

pub struct Session {
    pub addr: IpAddr,
    /// What the neighbour is to this router.
    pub role: &'static str,
    /// This router's RFC 9234 role on the session.
    pub local_role: &'static str,
    pub frr_import: &'static str,
    pub frr_export: &'static str,
    pub bird_import: &'static str,
    pub bird_export: &'static str,
}

/// The policy view of router `index`, or None when the lab has no policy.
pub fn view(lab: &Lab, index: usize) -> Option<PolicyView> {
    if !lab.internet() {
        return None;
    }
    let r = lab.router(index);
    let sessions = r
        .interfaces
        .iter()
        .map(|i| {
            let role = lab
                .role_of(index, i.peer_index)
                .expect("gao-rexford labs have every link's rel");
            let (frr_import, bird_import) = match role {
                Role::Customer => ("GR-FROM-CUSTOMER", "gr_from_customer"),
                Role::Peer => ("GR-FROM-PEER", "gr_from_peer"),
                Role::Provider => ("GR-FROM-PROVIDER", "gr_from_provider"),
            };
            let (frr_export, bird_export) = match role {
                Role::Customer => ("GR-TO-CUSTOMER", "gr_to_customer"),
                Role::Peer | Role::Provider => ("GR-TO-PEER-OR-PROVIDER", "gr_to_peer_or_provider"),
            };
            Session {
                addr: i.first_addr().peer_addr,
                role: role.name(),
                local_role: role.local_role(),
                frr_import,
                frr_export,
                bird_import,
                bird_export,
            }
        })
        .collect();
    Some(PolicyView {
        roles: lab.policy.roles,
        sessions,
    })
}
