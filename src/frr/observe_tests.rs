//! `observe` on outputs recorded from a real dual-stack lab (`scripts/record-observe-fixtures.sh`,
//! lab `tst-obs`: a chain of 3, tstobs_0 the origin, tstobs_1 on BIRD), replayed per command.

use super::*;
use crate::suite::observe::recorded::{bgp_via, ip, peer, slug, stubs as dual};
use std::path::PathBuf;

/// A vty that answers each command with the file recorded for it, and notes what was asked.
struct Replay {
    daemon: Daemon,
    source: Source,
    asked: Vec<String>,
}

enum Source {
    /// `tests/fixtures/frr/observe/DIR`.
    Dir(PathBuf),
    /// Every command fails as on a dropped connection.
    Closed,
    /// Every command prints something that is not JSON.
    Garbage,
}

impl Replay {
    fn new(daemon: Daemon, source: Source) -> Replay {
        Replay {
            daemon,
            source,
            asked: Vec::new(),
        }
    }
    fn recorded(daemon: Daemon, dir: &str) -> Replay {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/frr/observe")
            .join(dir);
        Replay::new(daemon, Source::Dir(d))
    }
}

impl Ask for Replay {
    fn daemon(&self) -> Daemon {
        self.daemon
    }
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<String, VtyError>> {
        // vtysh would send it to this daemon too: observe asks each daemon only its own.
        assert_eq!(vty::daemon_for(cmd), self.daemon, "`{cmd}` asked of {}", self.daemon);
        self.asked.push(cmd.to_string());
        let out = match &self.source {
            Source::Dir(d) => {
                let p = d.join(format!("{}.json", slug(cmd)));
                Ok(std::fs::read_to_string(&p)
                    .unwrap_or_else(|e| panic!("no recording of `{cmd}` ({}: {e})", p.display())))
            }
            Source::Closed => Err(VtyError::Closed),
            Source::Garbage => Ok("% Unknown command: json\n".to_string()),
        };
        Box::pin(async move { out })
    }
}

fn up(pid: u32) -> Proc {
    Proc {
        pid: Some(pid),
        alive: true,
        rss_kb: 0,
        cpu_ms: 0,
    }
}

fn dead(pid: u32) -> Proc {
    Proc {
        alive: false,
        ..up(pid)
    }
}

/// `observe` on router `dir`'s recordings, both daemons alive.
async fn replayed(dir: &str, stubs: &[(Family, String)]) -> (Observation, Replay, Replay) {
    let (mut z, mut b) = (
        Replay::recorded(Daemon::Zebra, dir),
        Replay::recorded(Daemon::Bgpd, dir),
    );
    let o = run(
        &mut z,
        &mut b,
        vec![(Daemon::Zebra, up(1)), (Daemon::Bgpd, up(2))],
        stubs,
    )
    .await;
    (o, z, b)
}

async fn run(
    zebra: &mut Replay,
    bgpd: &mut Replay,
    daemons: Vec<(Daemon, Proc)>,
    stubs: &[(Family, String)],
) -> Observation {
    observe(zebra, bgpd, daemons, stubs).await
}

#[tokio::test]
async fn converged_router_behind_a_bird_router() {
    let (mut z, mut b) = (
        Replay::recorded(Daemon::Zebra, "dual-converged-router2"),
        Replay::recorded(Daemon::Bgpd, "dual-converged-router2"),
    );
    let daemons = vec![(Daemon::Zebra, up(356)), (Daemon::Bgpd, up(380))];
    let o = run(&mut z, &mut b, daemons.clone(), &dual()).await;
    assert_eq!(o.errors, Vec::<String>::new());
    assert_eq!(o.daemons, daemons);
    // One session per family to tstobs_1, each up 32 s when recorded, 4 prefixes each.
    assert_eq!(
        o.peers,
        Some(vec![
            peer("172.31.2.2", "Established", 4, Some(o.at_ms - 32_000)),
            peer("2001:db8:31:2::2", "Established", 4, Some(o.at_ms - 32_000)),
        ])
    );
    // ebgp FIB routes of both families' summaries: 3 + 3.
    assert_eq!(o.bgp_fib_routes, Some(6));
    assert_eq!(
        o.fams,
        vec![
            FamilyObs {
                family: Family::Ipv4,
                default_route: bgp_via("172.31.2.2", "tstobs_1"),
                stub_route: bgp_via("172.31.2.2", "tstobs_1"),
                default_bgp: Some(Some((2, Some(1796221290)))),
            },
            // IPv6 routes go via the neighbour's link-local address.
            FamilyObs {
                family: Family::Ipv6,
                default_route: bgp_via("fe80::c0a:dff:fefe:6aab", "tstobs_1"),
                stub_route: bgp_via("fe80::c0a:dff:fefe:6aab", "tstobs_1"),
                default_bgp: Some(Some((2, Some(1796221290)))),
            },
        ]
    );
    assert!(o.has_default());
    assert_eq!(o.default_epoch(), Some(1796221290));
    assert_eq!(
        b.asked,
        [
            "show bgp summary json",
            "show ip bgp 0.0.0.0/0 json",
            "show bgp ipv6 unicast ::/0 json"
        ]
    );
    assert_eq!(
        z.asked,
        [
            "show ip route summary json",
            "show ip route 0.0.0.0/0 json",
            "show ip route 198.51.100.0/24 json",
            "show ipv6 route summary json",
            "show ipv6 route ::/0 json",
            "show ipv6 route 2001:db8:100::/48 json"
        ]
    );
}

#[tokio::test]
async fn origin_holds_the_stub_on_lo_and_no_default() {
    let (o, _, _) = replayed("dual-converged-router0", &dual()).await;
    assert_eq!(o.errors, Vec::<String>::new());
    let peers = o.peers.as_ref().unwrap();
    assert_eq!(
        peers
            .iter()
            .map(|p| (p.addr, p.state.as_str(), p.pfx_rcd))
            .collect::<Vec<_>>(),
        [
            (ip("172.31.1.1"), "Established", 2),
            (ip("2001:db8:31:1::1"), "Established", 2)
        ]
    );
    assert_eq!(o.bgp_fib_routes, Some(2));
    let lo = |_| {
        Some(Some(RouteObs {
            protocol: "connected".into(),
            nexthop: None,
            iface: Some("lo".into()),
        }))
    };
    for (fo, f) in o.fams.iter().zip([Family::Ipv4, Family::Ipv6]) {
        assert_eq!(fo.family, f);
        // Asked, and absent: the origin announces the default, it does not install one.
        assert_eq!(fo.default_route, Some(None), "{f:?}");
        assert_eq!(fo.default_bgp, Some(None), "{f:?}");
        assert_eq!(fo.stub_route, lo(f), "{f:?}");
    }
    assert!(!o.has_default());
}

#[tokio::test]
async fn sessions_down_and_routes_withdrawn_after_the_neighbour_died() {
    // Recorded 2 s after bird on tstobs_1 was killed.
    let (o, _, _) = replayed("dual-bird-down-router2", &dual()).await;
    assert_eq!(o.errors, Vec::<String>::new());
    assert_eq!(
        o.peers,
        Some(vec![
            // FRR still reports an uptime; it is no session's.
            peer("172.31.2.2", "Active", 0, None),
            peer("2001:db8:31:2::2", "Active", 0, None),
        ])
    );
    assert_eq!(o.established(), 0);
    assert_eq!(o.bgp_fib_routes, Some(0));
    for fo in &o.fams {
        assert_eq!(
            (&fo.default_route, &fo.stub_route, &fo.default_bgp),
            (&Some(None), &Some(None), &Some(None))
        );
    }
}

#[tokio::test]
async fn a_dead_bgpd_is_not_asked_and_zebra_still_is() {
    let (mut z, mut b) = (
        Replay::recorded(Daemon::Zebra, "dual-converged-router2"),
        Replay::recorded(Daemon::Bgpd, "dual-converged-router2"),
    );
    let stubs = dual();
    let o = run(
        &mut z,
        &mut b,
        vec![(Daemon::Zebra, up(1)), (Daemon::Bgpd, dead(2))],
        &stubs[..1],
    )
    .await;
    assert!(b.asked.is_empty(), "{:?}", b.asked);
    assert_eq!(o.peers, None);
    assert_eq!(o.errors, Vec::<String>::new());
    // IPv4 only: one family asked, zebra's half filled in, bgpd's left unknown.
    assert_eq!(o.bgp_fib_routes, Some(3));
    assert_eq!(
        o.fams,
        vec![FamilyObs {
            family: Family::Ipv4,
            default_route: bgp_via("172.31.2.2", "tstobs_1"),
            stub_route: bgp_via("172.31.2.2", "tstobs_1"),
            default_bgp: None,
        }]
    );
}

#[tokio::test]
async fn vty_failures_become_errors_and_unknowns() {
    let mut z = Replay::new(Daemon::Zebra, Source::Garbage);
    let mut b = Replay::new(Daemon::Bgpd, Source::Closed);
    let o = run(
        &mut z,
        &mut b,
        vec![(Daemon::Zebra, up(1)), (Daemon::Bgpd, up(2))],
        &dual()[..1],
    )
    .await;
    assert_eq!(o.peers, None);
    assert_eq!(o.bgp_fib_routes, None);
    assert_eq!(o.fams, vec![FamilyObs::new(Family::Ipv4)]);
    assert_eq!(o.errors.len(), 5, "{:?}", o.errors);
    assert_eq!(
        o.errors[..2],
        [
            "bgpd vty: the vty closed the connection (daemon stopped or restarted?)",
            "bgpd vty: the vty closed the connection (daemon stopped or restarted?)"
        ]
    );
    assert!(
        o.errors[2].starts_with("zebra `show ip route summary json`: unreadable output ("),
        "{}",
        o.errors[2]
    );
    assert!(o.errors[3].starts_with("zebra `show ip route 0.0.0.0/0 json`: unreadable output ("));
    assert!(o.errors[4].starts_with("zebra `show ip route 198.51.100.0/24 json`: unreadable output ("));
}
