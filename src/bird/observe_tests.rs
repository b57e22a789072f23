//! `observe_bird` on control-socket replies recorded from a real dual-stack lab
//! (`scripts/record-observe-fixtures.sh`, lab `tst-obs`: a chain of 3, tstobs_0 the origin on
//! FRR, tstobs_1 on BIRD), replayed per command; and the AS-path bisection against a fake
//! socket.

use super::*;
use crate::bird::ctl::parse_reply;
use crate::suite::observe::recorded::{bgp_via, peer, slug, stubs as dual};
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bird")
}

/// A control socket that answers each command with the reply recorded for it (BIRD's error
/// codes as `Rejected`, as `Ctl::run` gives them), and notes what was asked.
struct Replay {
    dir: PathBuf,
    /// Commands answered from another recording (relative to tests/fixtures/bird).
    other: HashMap<&'static str, &'static str>,
    /// Every command fails as on a socket BIRD closed.
    closed: bool,
    asked: Vec<String>,
}

impl Replay {
    fn recorded(dir: &str) -> Replay {
        Replay {
            dir: fixtures().join("observe").join(dir),
            other: HashMap::new(),
            closed: false,
            asked: Vec::new(),
        }
    }
    fn with(mut self, cmd: &'static str, file: &'static str) -> Replay {
        self.other.insert(cmd, file);
        self
    }
}

impl Ask for Replay {
    fn run<'a>(&'a mut self, cmd: &'a str) -> BoxFuture<'a, Result<Reply, CtlError>> {
        self.asked.push(cmd.to_string());
        let out = if self.closed {
            Err(CtlError::Closed)
        } else {
            let p = match self.other.get(cmd) {
                Some(f) => fixtures().join(f),
                None => self.dir.join(format!("{}.txt", slug(cmd))),
            };
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("no recording of `{cmd}` ({}: {e})", p.display()));
            let r = parse_reply(&text).unwrap();
            if r.is_error() {
                Err(CtlError::Rejected {
                    code: r.code,
                    message: r.text().trim().to_string(),
                })
            } else {
                Ok(r)
            }
        };
        Box::pin(async move { out })
    }
}

fn bird(alive: bool) -> Vec<(Daemon, Proc)> {
    vec![(
        Daemon::Bird,
        Proc {
            pid: Some(354),
            alive,
            rss_kb: 0,
            cpu_ms: 0,
        },
    )]
}

/// Both families' defaults and stubs as tstobs_1 holds them: from tstobs_0, path `100`.
fn via_origin() -> Vec<FamilyObs> {
    vec![
        FamilyObs {
            family: Family::Ipv4,
            default_route: bgp_via("172.31.1.2", "tstobs_0"),
            stub_route: bgp_via("172.31.1.2", "tstobs_0"),
            default_bgp: Some(Some((1, Some(1796221290)))),
        },
        // BIRD shows the neighbour's global address as the next hop.
        FamilyObs {
            family: Family::Ipv6,
            default_route: bgp_via("2001:db8:31:1::2", "tstobs_0"),
            stub_route: bgp_via("2001:db8:31:1::2", "tstobs_0"),
            default_bgp: Some(Some((1, Some(1796221290)))),
        },
    ]
}

#[tokio::test]
async fn converged_bird_router_between_two_frr_routers() {
    let mut s = Replay::recorded("dual-converged-router1");
    let o = observe_bird(&mut s, bird(true), &dual(), Some(1)).await;
    assert_eq!(o.errors, Vec::<String>::new());
    assert_eq!(o.daemons, bird(true));
    // Protocol order: bgp0, bgp2, bgp0_6, bgp2_6; "since" is when each came up.
    assert_eq!(
        o.peers,
        Some(vec![
            peer("172.31.1.2", "Established", 3, Some(1796221290137)),
            peer("172.31.2.1", "Established", 1, Some(1796221290154)),
            peer("2001:db8:31:1::2", "Established", 3, Some(1796221290137)),
            peer("2001:db8:31:2::1", "Established", 1, Some(1796221290154)),
        ])
    );
    assert_eq!(o.prefixes_received(), 8);
    // kernel1 and kernel6 each exported 2 BGP routes.
    assert_eq!(o.bgp_fib_routes, Some(4));
    assert_eq!(o.fams, via_origin());
    assert_eq!(
        s.asked,
        [
            "show protocols all",
            "show route 0.0.0.0/0 all",
            "show route 198.51.100.0/24 all",
            "show route ::/0 all",
            "show route 2001:db8:100::/48 all"
        ]
    );
}

#[tokio::test]
async fn sessions_to_a_dead_bgpd_are_active_and_its_routes_kept_stale() {
    // Recorded 3 s after bgpd on tstobs_0 was killed: BIRD keeps its routes (graceful
    // restart), the sessions are down.
    let mut s = Replay::recorded("dual-origin-bgpd-down-router1");
    let o = observe_bird(&mut s, bird(true), &dual(), Some(1)).await;
    assert_eq!(o.errors, Vec::<String>::new());
    assert_eq!(
        o.peers,
        Some(vec![
            peer("172.31.1.2", "Active", 3, None),
            peer("172.31.2.1", "Established", 1, Some(1796221290154)),
            peer("2001:db8:31:1::2", "Active", 3, None),
            peer("2001:db8:31:2::1", "Established", 1, Some(1796221290154)),
        ])
    );
    assert_eq!(o.established(), 2);
    assert_eq!(o.bgp_fib_routes, Some(4));
    assert_eq!(o.fams, via_origin());
}

#[tokio::test]
async fn network_not_found_is_an_absent_route_not_an_error() {
    let mut s =
        Replay::recorded("dual-converged-router1").with("show route 198.51.100.0/24 all", "show-route-not-found.txt");
    let o = observe_bird(&mut s, bird(true), &dual()[..1], Some(1)).await;
    assert_eq!(o.errors, Vec::<String>::new());
    let mut want = via_origin();
    want.truncate(1);
    want[0].stub_route = Some(None);
    assert_eq!(o.fams, want);
}

#[tokio::test]
async fn a_cut_as_path_is_measured_with_the_expected_length_first() {
    let mut s = Replay::recorded("dual-converged-router1")
        .with("show route 0.0.0.0/0 all", "show-route-default-truncated.txt")
        .with(
            "show route 0.0.0.0/0 primary where bgp_path.len = 150",
            "show-route-where-len-match.txt",
        );
    let o = observe_bird(&mut s, bird(true), &dual()[..1], Some(150)).await;
    assert_eq!(o.errors, Vec::<String>::new());
    assert_eq!(o.fams[0].default_bgp, Some(Some((150, Some(1795682615)))));
    assert_eq!(o.fams[0].default_route, bgp_via("172.31.2.90", "ROUTER_149"));
    assert_eq!(s.asked[2], "show route 0.0.0.0/0 primary where bgp_path.len = 150");
    assert_eq!(s.asked.len(), 4, "{:?}", s.asked);
}

#[tokio::test]
async fn a_dead_bird_is_not_asked() {
    let mut s = Replay::recorded("dual-converged-router1");
    let o = observe_bird(&mut s, bird(false), &dual(), None).await;
    assert!(s.asked.is_empty(), "{:?}", s.asked);
    assert_eq!(
        (o.peers, o.bgp_fib_routes, o.fams, o.errors),
        (None, None, vec![], vec![])
    );
}

#[tokio::test]
async fn a_closed_socket_is_an_error_and_nothing_more_is_asked() {
    let mut s = Replay::recorded("dual-converged-router1");
    s.closed = true;
    let o = observe_bird(&mut s, bird(true), &dual(), None).await;
    assert_eq!(s.asked, ["show protocols all"]);
    assert_eq!(o.errors, ["bird control socket: BIRD closed its control socket"]);
    assert_eq!((o.peers, o.bgp_fib_routes, o.fams), (None, None, vec![]));
}
/// A control socket that answers `where bgp_path.len = N` / `>= N` like BIRD would for a
/// best default route whose AS path has `len` ASNs, and counts the queries.
async fn fake_bird(len: u32) -> (PathBuf, tokio::task::JoinHandle<usize>) {
    let dir = std::env::temp_dir().join(format!("nsbgp-fake-bird-{}-{len}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bird.ctl");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let task = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        w.write_all(b"0001 BIRD 2.0.12 ready.\n").await.unwrap();
        let mut lines = BufReader::new(r).lines();
        let mut queries = 0;
        while let Ok(Some(cmd)) = lines.next_line().await {
            queries += 1;
            let (op, n) = cmd
                .rsplit_once(' ')
                .map(|(a, n)| (a, n.parse::<u32>().unwrap()))
                .unwrap();
            let holds = if op.ends_with(">=") { len >= n } else { len == n };
            let reply = if holds {
                "1007-Table master4:\n 0.0.0.0/0            unicast [bgp149 1795682615.725] * (100) [AS100i]\n \tvia 172.31.2.90 on ROUTER_149\n0000 \n"
            } else {
                "0000 \n"
            };
            w.write_all(reply.as_bytes()).await.unwrap();
        }
        queries
    });
    (path, task)
}

#[tokio::test]
async fn cut_as_paths_are_measured_by_filter_queries() {
    // The expected length holds: one query.
    let (path, task) = fake_bird(150).await;
    let mut s = crate::bird::ctl::Session::new(path.clone());
    assert_eq!(bird_path_len(&mut s, "0.0.0.0/0", 120, Some(150)).await.unwrap(), 150);
    drop(s);
    assert_eq!(task.await.unwrap(), 1);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    // It does not: bisection from the ASNs shown, a bounded number of queries.
    let (path, task) = fake_bird(733).await;
    let mut s = crate::bird::ctl::Session::new(path.clone());
    assert_eq!(bird_path_len(&mut s, "0.0.0.0/0", 120, Some(999)).await.unwrap(), 733);
    drop(s);
    assert!(task.await.unwrap() <= 16);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
