use super::*;
use crate::config::impair::Impairment;

fn iface() -> Interface {
    Interface {
        name: "ROUTER_1".into(),
        ifindex: 3,
        addrs: vec![crate::config::IfAddr {
            addr: "172.31.1.2".parse().unwrap(),
            subnet: "172.31.1.0/24".parse().unwrap(),
            peer_addr: "172.31.1.1".parse().unwrap(),
        }],
        link: 1,
        peer_index: 1,
        peer_name: "ROUTER_1".into(),
        peer_asn: 101,
        lan: None,
    }
}

fn line(c: &Cmd) -> String {
    format!("{} {}", c.prog, c.args.join(" "))
}

const NO_NETEM: Support = Support {
    netem: false,
    tbf: true,
    statistic: true,
};
const NETEM: Support = Support {
    netem: true,
    tbf: true,
    statistic: true,
};

#[test]
fn without_netem_rate_is_tbf_and_loss_an_iptables_rule() {
    let imp = Impairment {
        loss_pct: 10.0,
        rate_mbit: 2.5,
        ..Impairment::default()
    };
    let got: Vec<String> = commands(&iface(), &imp, &NO_NETEM).iter().map(line).collect();
    assert_eq!(
        got,
        [
            "tc qdisc replace dev ROUTER_1 root tbf rate 2500kbit burst 3125 latency 100ms",
            "iptables -w 5 -t mangle -N nsbgp-loss-3",
            "iptables -w 5 -t mangle -C POSTROUTING -o ROUTER_1 -j nsbgp-loss-3",
            "iptables -w 5 -t mangle -F nsbgp-loss-3",
            "iptables -w 5 -t mangle -A nsbgp-loss-3 -m statistic --mode random --probability 0.1 -j DROP",
        ]
    );
    // Cleared: the qdisc goes, the chain is flushed and stays empty.
    let got: Vec<String> = commands(&iface(), &Impairment::default(), &NO_NETEM)
        .iter()
        .map(line)
        .collect();
    assert_eq!(got.len(), 4);
    assert_eq!(got[0], "tc qdisc del dev ROUTER_1 root");
    assert_eq!(got[3], "iptables -w 5 -t mangle -F nsbgp-loss-3");
}

#[test]
fn with_netem_one_qdisc_does_it_all() {
    let imp = Impairment {
        delay_ms: 20,
        jitter_ms: 5,
        loss_pct: 1.5,
        rate_mbit: 100.0,
    };
    let got: Vec<String> = commands(&iface(), &imp, &NETEM).iter().map(line).collect();
    assert_eq!(
        got,
        ["tc qdisc replace dev ROUTER_1 root netem delay 20ms 5ms loss 1.5% rate 100000kbit"]
    );
}

#[test]
fn delay_without_netem_is_refused_naming_netem() {
    let imp = Impairment {
        delay_ms: 10,
        ..Impairment::default()
    };
    assert!(NO_NETEM.refusal(&imp).unwrap().contains("netem"));
    assert!(NETEM.refusal(&imp).is_none());
    let lossy = Impairment {
        loss_pct: 5.0,
        ..Impairment::default()
    };
    assert!(NO_NETEM.refusal(&lossy).is_none());
    let none = Support {
        netem: false,
        tbf: false,
        statistic: false,
    };
    assert!(none.refusal(&lossy).unwrap().contains("iptables"));
}

#[test]
fn tbf_burst_is_ten_ms_and_at_least_two_frames() {
    let at = |r: f64| {
        tbf_burst(&Impairment {
            rate_mbit: r,
            ..Impairment::default()
        })
    };
    assert_eq!(at(1.0), 3028);
    assert_eq!(at(100.0), 125_000);
}
