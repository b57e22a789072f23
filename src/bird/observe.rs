//! What `status` asks a BIRD router, through its control socket: the same observation as
//! FRR's.

use super::ctl::{CtlError, Reply, Session};
use crate::config::{Daemon, Family, Lab};
use crate::suite::{FamilyObs, Observation, Observer, PeerObs, Proc, RouteObs};
use futures::future::BoxFuture;
use std::path::Path;

/// One BIRD router's control-socket session.
pub struct BirdObserver(Session);

impl Observer for BirdObserver {
    fn observe<'a>(
        &'a mut self,
        daemons: Vec<(Daemon, Proc)>,
        stubs: &'a [(Family, String)],
        want_len: Option<u32>,
    ) -> BoxFuture<'a, Observation> {
        Box::pin(observe_bird(&mut self.0, daemons, stubs, want_len))
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}

/// Observers for `routers`: the control sockets are files and connect at the first poll.
pub fn open(lab: &Lab, state_dir: &Path, routers: &[usize]) -> Vec<Box<dyn Observer>> {
    routers
        .iter()
        .map(|&i| {
            let dirs = crate::rootfs::RouterDirs::new(state_dir, &lab.routers[i].name);
            Box::new(BirdObserver(Session::new(super::ctl_path(&dirs)))) as Box<dyn Observer>
        })
        .collect()
}

/// What `observe_bird` needs of the control socket: one command's reply. A seam so that the
/// unit tests replay replies recorded from a real BIRD.
trait Ask: Send {
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<Reply, CtlError>>;
}

impl Ask for Session {
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<Reply, CtlError>> {
        Box::pin(Session::run(self, cmd))
    }
}

/// Whether BIRD's best default route satisfies a filter condition (it is shown or not).
async fn bird_holds(s: &mut impl Ask, default: &str, cond: &str) -> Result<bool, CtlError> {
    let r = s.run(&format!("show route {default} primary where {cond}")).await?;
    Ok(crate::bird::parse::best_route(&r).is_some())
}

/// The default's AS-path length when BIRD cut the line short (`shown` ASNs visible): the
/// expected length if it holds (one query), else found by bisection on `bgp_path.len`.
async fn bird_path_len(s: &mut impl Ask, default: &str, shown: u32, want: Option<u32>) -> Result<u32, CtlError> {
    if let Some(w) = want {
        if bird_holds(s, default, &format!("bgp_path.len = {w}")).await? {
            return Ok(w);
        }
    }
    // An AS path fits one (extended) UPDATE: fewer than 2^14 four-byte ASNs.
    let (mut lo, mut hi) = (shown, 1u32 << 14);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if bird_holds(s, default, &format!("bgp_path.len >= {mid}")).await? {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}

/// One router running BIRD, through its control socket: the same observation as FRR's.
/// Sessions and prefixes from `show protocols all`, BGP routes in the kernel from the kernel
/// protocol's export count (it exports BGP routes only), the default and the stub from
/// `show route … all`.
async fn observe_bird(
    s: &mut impl Ask,
    daemons: Vec<(Daemon, Proc)>,
    stubs: &[(Family, String)],
    want_len: Option<u32>,
) -> Observation {
    use crate::bird::parse as bp;
    let at_ms = crate::host::now_unix_ms();
    let alive = daemons.iter().all(|(_, p)| p.alive);
    let mut o = Observation {
        at_ms,
        daemons,
        ..Default::default()
    };
    if !alive {
        return o;
    }
    match s.run("show protocols all").await {
        Ok(reply) => {
            let ps = bp::protocols(&reply);
            o.peers = Some(
                ps.iter()
                    .filter(|p| p.proto == "BGP")
                    .filter_map(|p| {
                        Some(PeerObs {
                            addr: p.neighbor?,
                            state: p.bgp_state.clone().unwrap_or_else(|| p.state.clone()),
                            pfx_rcd: p.imported.unwrap_or(0),
                            up_since_ms: p.since.filter(|_| p.established()).map(|t| (t * 1000.0) as u64),
                        })
                    })
                    .collect(),
            );
            // One kernel protocol per family, each exporting BGP routes only.
            o.bgp_fib_routes = ps
                .iter()
                .filter(|p| p.proto == "Kernel")
                .map(|p| p.exported)
                .sum::<Option<u32>>();
        }
        Err(e) => {
            o.errors.push(format!("bird control socket: {e}"));
            return o;
        }
    }
    let route = |reply: Result<Reply, CtlError>, errors: &mut Vec<String>| match reply {
        Ok(r) => Some(bp::best_route(&r)),
        // 8001 "Network not found": BIRD has no route for it.
        Err(CtlError::Rejected { code: 8001, .. }) => Some(None),
        Err(e) => {
            errors.push(format!("bird control socket: {e}"));
            None
        }
    };
    let obs = |r: &bp::Route| RouteObs {
        protocol: r.kind.clone(),
        nexthop: r.nexthop,
        iface: r.iface.clone(),
    };
    for (f, stub) in stubs {
        let d = f.default_route().to_string();
        let dflt = s.run(&format!("show route {d} all")).await;
        let mut dflt = route(dflt, &mut o.errors);
        if let Some(Some(r)) = dflt
            .as_mut()
            .filter(|r| r.as_ref().is_some_and(|r| r.as_path_truncated))
        {
            match bird_path_len(s, &d, r.as_path_len.unwrap_or(0), want_len).await {
                Ok(len) => r.as_path_len = Some(len),
                Err(e) => {
                    o.errors.push(format!("bird control socket: {e}"));
                    r.as_path_len = None;
                }
            }
        }
        let stub_r = s.run(&format!("show route {stub} all")).await;
        let stub_r = route(stub_r, &mut o.errors);
        let mut fo = FamilyObs::new(*f);
        fo.default_route = dflt.as_ref().map(|r| r.as_ref().map(obs));
        fo.stub_route = stub_r.as_ref().map(|r| r.as_ref().map(obs));
        fo.default_bgp = dflt.map(|r| {
            r.filter(|r| r.kind == "bgp")
                .and_then(|r| Some((r.as_path_len?, r.since)))
        });
        o.fams.push(fo);
    }
    o
}

#[cfg(test)]
#[path = "observe_tests.rs"]
mod tests;
