//! The lab name: the one type every `--lab`, every lab file and every state path goes
//! through. A name that parses is a single, harmless path component: 1–32 characters of
//! `[A-Za-z0-9_-]`, starting with a letter or digit (so never `.`, `..`, `/…` or `-flag`).

use serde::{Deserialize, Serialize};

pub const LAB_NAME_MAX: usize = 32;

/// The rule, as every error message states it.
pub const LAB_NAME_RULE: &str = "1-32 characters of [A-Za-z0-9_-], starting with a letter or digit";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lab name {given:?} is not valid: it must be {LAB_NAME_RULE}, e.g. \"chain-100\"")]
pub struct LabNameError {
    /// The rejected input, shortened for display.
    pub given: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LabName(String);

impl LabName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for LabName {
    type Err = LabNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= LAB_NAME_MAX
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(LabName(s.to_string()))
        } else {
            let given: String = s.chars().take(40).collect();
            let given = if s.chars().count() > 40 {
                format!("{given}…")
            } else {
                given
            };
            Err(LabNameError { given })
        }
    }
}

impl TryFrom<String> for LabName {
    type Error = LabNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

// lab.json is re-read by every command: a hand-edited name fails to load.
impl<'de> Deserialize<'de> for LabName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl std::ops::Deref for LabName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for LabName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::path::Path> for LabName {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(&self.0)
    }
}

impl std::fmt::Display for LabName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for LabName {
    fn eq(&self, o: &str) -> bool {
        self.0 == o
    }
}

impl PartialEq<&str> for LabName {
    fn eq(&self, o: &&str) -> bool {
        self.0 == *o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_harmless_components_parse() {
        for ok in ["chain-100", "t-abc-12", "a", "A_b-9", "9lab", &"x".repeat(32)] {
            assert!(ok.parse::<LabName>().is_ok(), "{ok:?}");
        }
        let long = "x".repeat(33);
        let bad = [
            "", ".", "..", "../x", "/abs", "a/b", "x/..", "-", "-x", "_x", "lab name", "läb", "a\0b", "a\nb", &long,
        ];
        for b in bad {
            let e = b.parse::<LabName>().expect_err(b).to_string();
            assert!(e.contains(LAB_NAME_RULE) && e.contains("chain-100"), "{e}");
        }
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<LabName>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<LabName>("\"../etc\"").is_err());
    }

    #[test]
    fn long_input_is_shortened_in_the_message() {
        let e = "y".repeat(300).parse::<LabName>().unwrap_err();
        assert!(e.given.chars().count() <= 41);
    }
}
