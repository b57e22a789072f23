//! `nsbgp trace`: one traceroute, hops mapped to routers.

use super::router_arg;
use crate::lab::{self, LabError};

/// `trace`: one traceroute inside the source router's namespace.
pub async fn trace(
    lab_name: Option<&crate::config::LabName>,
    from: &str,
    to: &str,
    expect_hops: Option<usize>,
    json: bool,
    family: Option<crate::config::Family>,
) -> Result<(), LabError> {
    use crate::trace;
    let run = lab::select(lab_name)?;
    let k = router_arg(&run, from)?;
    let family = trace::family_for(&run.lab, family)?;
    let mut target = trace::resolve_target(&run.lab, k, to, family)?;
    if target.family != family {
        return Err(LabError::Input(format!(
            "--to {to} is an {} address but the trace is {}: drop {} or give an {} address",
            target.family,
            family,
            family.flag(),
            family
        )));
    }
    trace::check_cap(&run.lab, k, &target)?;
    if let Some(e) = expect_hops.filter(|&e| e > trace::MAX_TTL) {
        return Err(LabError::Input(format!(
            "--expect-hops {e}: IP's 8-bit TTL caps any path at {} hops",
            trace::MAX_TTL
        )));
    }
    let rule = target.expected;
    // Probe a little past what the user expects, too.
    target.expected = match (rule, expect_hops) {
        (Some(r), Some(e)) => Some(r.max(e)),
        (r, e) => r.or(e),
    };
    let mut res = trace::trace(&run.lab, k, &target).await?;
    res.expected_hops = expect_hops;
    if json {
        println!("{}", serde_json::to_string_pretty(&res).expect("trace serializes"));
    } else {
        println!("trace {} → {} ({})", res.from, res.to, res.target_addr);
        for h in &res.hops {
            println!(
                "{:>4}  {:<16} {:<14} {}",
                h.ttl,
                h.addr.as_deref().unwrap_or("*"),
                h.router.as_deref().unwrap_or("-"),
                h.rtt_ms.map_or(String::new(), |r| format!("{r:.3} ms"))
            );
        }
        if let Some(e) = &res.error {
            println!("traceroute: {e}");
        }
        let verdict = if res.passed() { "PASS" } else { "FAIL" };
        let exp = match (expect_hops, rule) {
            (Some(e), _) => format!("expected {e}"),
            (None, Some(r)) if run.lab.internet() => format!("the policy predicts {r}"),
            (None, Some(r)) => format!("the topology predicts {r}"),
            (None, None) => "no expectation".into(),
        };
        if res.reached {
            println!(
                "{verdict}: reached {} in {} hops ({exp})",
                res.target_addr, res.hop_count
            );
        } else {
            println!("{verdict}: did not reach {} ({exp})", res.target_addr);
        }
    }
    if res.passed() {
        Ok(())
    } else {
        Err(LabError::Runtime(if res.reached {
            format!("{} hops, not {}", res.hop_count, expect_hops.unwrap_or(0))
        } else {
            format!("{} not reached from {}", res.target_addr, res.from)
        }))
    }
}
