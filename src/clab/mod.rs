//! containerlab topology files: export a lab to one (`export`), read one into a lab file
//! (`import`), and the YAML model both share (`yaml`). Nothing here touches the system
//! beyond the files it is asked to write.

pub mod export;
pub mod import;
pub mod yaml;

/// A problem with an export or import: bad input (exit 2, nothing written) or a failure
/// while writing (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum ClabError {
    #[error("{0}")]
    Input(String),
    #[error("{path}: {source}")]
    Write { path: String, source: std::io::Error },
}

impl ClabError {
    pub(crate) fn write(path: &std::path::Path, source: std::io::Error) -> ClabError {
        ClabError::Write {
            path: path.display().to_string(),
            source,
        }
    }
}

/// FRR image used when the host's FRR version is unknown: the release line nsbgp's configs
/// are written and tested against (Debian 12's FRR 8.4).
pub const DEFAULT_FRR_IMAGE: &str = "quay.io/frrouting/frr:8.4.2";

/// Image of the BIRD routers: the one containerlab's own peering-lab example runs
/// (srl-labs/bird-container: Alpine with BIRD 2.13 and iproute2, entrypoint
/// `/usr/sbin/bird -c /etc/bird.conf -d`).
pub const DEFAULT_BIRD_IMAGE: &str = "ghcr.io/srl-labs/bird:2.13";

/// A published `quay.io/frrouting/frr` tag per FRR major version: the exported configs use
/// the same dialect as the lab's daemons.
const FRR_IMAGE_TAGS: &[(u32, &str)] = &[(8, "8.4.2"), (9, "9.1.3"), (10, "10.2.1")];

/// The FRR image matching a version string such as "8.4.4" (by major version).
pub fn frr_image_for(version: &str) -> Option<String> {
    let major: u32 = version.trim().split('.').next()?.parse().ok()?;
    FRR_IMAGE_TAGS
        .iter()
        .find(|(m, _)| *m == major)
        .map(|(_, tag)| format!("quay.io/frrouting/frr:{tag}"))
}

/// The host's FRR version: `bgpd --version` in `frr_dir`, else dpkg's record of `frr`.
pub fn host_frr_version(frr_dir: &std::path::Path) -> Option<String> {
    let from_bgpd = crate::frr::version_line(&frr_dir.join("bgpd"))
        .and_then(|l| l.strip_prefix("bgpd version ").map(|v| v.trim().to_string()));
    from_bgpd.or_else(|| {
        let out = std::process::Command::new("dpkg-query")
            .args(["-W", "-f", "${Version}", "frr"])
            .output()
            .ok()?;
        let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // Debian versions look like "8.4.4-1.1~deb12u2": the upstream part is before '-'.
        (out.status.success() && !v.is_empty()).then(|| v.split('-').next().unwrap_or(&v).to_string())
    })
}

/// A DNS-1123 label (lower-case letters, digits, '-', at most 63, alphanumeric at both ends):
/// what clabernetes requires of node names, since they become Kubernetes object names.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A name containerlab can give a node: it becomes part of a container name, which Docker
/// restricts to `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn is_clab_node_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphanumeric())
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_follows_the_major_version() {
        assert_eq!(frr_image_for("8.4.4").as_deref(), Some("quay.io/frrouting/frr:8.4.2"));
        assert_eq!(frr_image_for("10.0.1").as_deref(), Some("quay.io/frrouting/frr:10.2.1"));
        assert_eq!(frr_image_for("7.5.1"), None);
        assert_eq!(frr_image_for("garbage"), None);
        assert_eq!(frr_image_for(""), None);
    }

    #[test]
    fn dns_labels() {
        for ok in ["router-0", "a", "r1-b-2", &"x".repeat(63)] {
            assert!(is_dns_label(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "Router-0", "router_0", "a.b", &"x".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn clab_node_names() {
        for ok in ["r1", "PC1", "leaf.1", "spine_2", "a-b"] {
            assert!(is_clab_node_name(ok), "{ok}");
        }
        for bad in ["", "-r", ".r", "r 1", "r:1", "r/1", "ü", "r\n1"] {
            assert!(!is_clab_node_name(bad), "{bad}");
        }
    }
}
