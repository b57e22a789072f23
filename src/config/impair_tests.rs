use super::*;
use crate::config::{parse, validate, ConfigError, Lab, Overrides};

fn lab(text: &str) -> Result<Lab, ConfigError> {
    validate("t.toml", parse("t.toml", text)?, &Overrides::default())
}

fn imp(delay_ms: u32, jitter_ms: u32, loss_pct: f64, rate_mbit: f64) -> Impairment {
    Impairment {
        delay_ms,
        jitter_ms,
        loss_pct,
        rate_mbit,
    }
}

#[test]
fn defaults_then_topology_link_then_link_tables() {
    let l = lab("name = \"c\"\nrouters = 4\n[links]\nloss_pct = 2\n[[link]]\nrouters = [\"ROUTER_2\", 1]\nrate_mbit = 5\nloss_pct = 0\n")
        .unwrap();
    assert_eq!(
        l.impairments,
        vec![
            LinkImpairment {
                link: 1,
                set: imp(0, 0, 2.0, 0.0)
            },
            LinkImpairment {
                link: 2,
                set: imp(0, 0, 0.0, 5.0)
            },
            LinkImpairment {
                link: 3,
                set: imp(0, 0, 2.0, 0.0)
            },
        ]
    );
    let f = lab("name = \"f\"\nrouters = 3\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\ndelay_ms = 20\njitter_ms = 5\n\
                 [[topology.link]]\na = 1\nb = 2\n[[link]]\nrouters = [\"AS101\", \"ROUTER_0\"]\nrate_mbit = 0.5\n")
    .unwrap();
    assert_eq!(
        f.impairments,
        vec![LinkImpairment {
            link: 1,
            set: imp(20, 5, 0.0, 0.5)
        }]
    );
    assert!(lab("name = \"c\"\nrouters = 3\n").unwrap().impairments.is_empty());
}

#[test]
fn bad_impairments_name_the_key() {
    for (text, key) in [
        ("[links]\nloss_pct = 101", "links.loss_pct"),
        ("[links]\nloss_pct = -1", "links.loss_pct"),
        ("[links]\ndelay_ms = -5", "links.delay_ms"),
        ("[links]\ndelay_ms = 60001", "links.delay_ms"),
        ("[links]\njitter_ms = 5", "links.jitter_ms"),
        ("[links]\nrate_mbit = 0.001", "links.rate_mbit"),
        ("[links]\nrate_mbit = 1e9", "links.rate_mbit"),
        ("[links]\nrate_mbit = nan", "links.rate_mbit"),
        ("[links]\nbandwidth = 5", "unknown field"),
        ("[[link]]\nrouters = [0]\nloss_pct = 1", "link[1].routers"),
        ("[[link]]\nrouters = [0, 2]\nloss_pct = 1", "link[1].routers"),
        ("[[link]]\nrouters = [0, 9]\nloss_pct = 1", "link[1].routers"),
        (
            "[[link]]\nrouters = [0, 1]\n[[link]]\nrouters = [1, 0]",
            "link[2].routers",
        ),
        ("[[link]]\nrouters = [1, 2]\nloss_pct = 200", "link[1].loss_pct"),
        ("[[link]]\nrouters = [1, 2]\nlos_pct = 2", "unknown field"),
    ] {
        let text = format!("name = \"c\"\nrouters = 3\n{text}\n");
        let e = lab(&text).unwrap_err().to_string();
        assert!(e.contains(key), "{text}: {e}");
    }
    let e = lab(
        "name = \"f\"\nrouters = 2\n[topology]\nshape = \"file\"\n[[topology.link]]\na = 0\nb = 1\nloss_pct = 100.5\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("topology.link[1].loss_pct"), "{e}");
}

#[test]
fn an_impaired_lab_revalidates() {
    let text = "name = \"c\"\nrouters = 3\n[links]\nrate_mbit = 10\n[[link]]\nrouters = [0, 1]\nloss_pct = 12.5\n";
    let mut l = lab(text).unwrap();
    l.file_text = Some(text.into());
    crate::config::revalidate(&l).unwrap();
    l.impairments[0].set.loss_pct = 50.0;
    assert!(crate::config::revalidate(&l).is_err());
}

#[test]
fn describe_and_rate() {
    assert_eq!(
        imp(20, 5, 10.0, 2.5).describe(),
        "delay 20 ms ± 5, loss 10 %, rate 2.5 Mbit/s"
    );
    assert_eq!(imp(0, 0, 0.0, 0.0).describe(), "none");
    assert_eq!(imp(0, 0, 0.0, 2.5).rate_kbit(), 2500);
    assert!(imp(1, 0, 0.0, 0.0).needs_netem() && !imp(0, 0, 50.0, 3.0).needs_netem());
}
