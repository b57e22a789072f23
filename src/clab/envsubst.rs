//! Environment variables in a topology file, expanded as containerlab expands them before it
//! reads the YAML: `github.com/hellt/envsubst`'s `BytesRestrictedNoReplace(b, false, false,
//! true, true)` (containerlab's core/file.go). That is:
//!
//! - `$VAR` and `${VAR}`: the value when set and not empty; otherwise left as `$VAR` (the
//!   braces dropped, "no replace").
//! - `${VAR:=default}`, `${VAR:-default}`: the value, or `default` when unset or empty;
//!   `${VAR=default}`, `${VAR-default}`: `default` only when unset.
//!   `${VAR:+alt}`, `${VAR+alt}`: `alt` when set, else nothing. A default may be `$OTHER`.
//! - `$$` is `$`; `$1`, `${1…` (a digit) stay as they are; `$` before anything else too.
//! - `${` without its `}` on the same line is an error ("closing brace expected").

/// Expands `text` with `env` (a variable's value, None when unset).
pub fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let ident = |c: char| c == '_' || c.is_alphanumeric();
    // `$NAME`: the value when set and not empty, else `$NAME` as written.
    let var = |name: &str| match env(name) {
        Some(v) if !v.is_empty() => v,
        _ => format!("${name}"),
    };
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        match next {
            Some(d) if d.is_numeric() => {
                out.push('$');
                out.push(d);
                i += 2;
            }
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let after = chars.get(i + 2).copied();
                if after.is_some_and(|d| d.is_numeric()) {
                    out.push_str("${");
                    out.push(after.unwrap());
                    i += 3;
                    continue;
                }
                // The expression up to its `}` on this line.
                let start = i + 2;
                let mut j = start;
                while j < chars.len() && chars[j] != '}' {
                    if chars[j] == '\n' || chars[j] == '\r' {
                        return Err(format!("line {}: closing brace expected", line_of(&chars, i)));
                    }
                    j += 1;
                }
                if j == chars.len() {
                    return Err(format!("line {}: closing brace expected", line_of(&chars, i)));
                }
                let body: String = chars[start..j].iter().collect();
                let name_len = body.chars().take_while(|&c| ident(c)).count();
                if name_len == 0 {
                    // `${}` or `${+x}`: text, as the lexer leaves it.
                    out.push_str("${");
                    out.push_str(&body);
                    out.push('}');
                    i = j + 1;
                    continue;
                }
                let name: String = body.chars().take(name_len).collect();
                let rest: String = body.chars().skip(name_len).collect();
                out.push_str(&substitute(&name, &rest, env, &var));
                i = j + 1;
            }
            Some(a) if ident(a) => {
                let mut j = i + 1;
                while j < chars.len() && ident(chars[j]) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                if name == "_" {
                    out.push_str("$_");
                } else {
                    out.push_str(&var(&name));
                }
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// `${NAME<rest>}` where `rest` is an operator and its default (or nothing).
fn substitute(name: &str, rest: &str, env: &dyn Fn(&str) -> Option<String>, var: &dyn Fn(&str) -> String) -> String {
    let set = env(name).is_some();
    let value = var(name);
    let unreplaced = value == format!("${name}");
    let (op, default) = [":=", ":-", ":+", "+", "-", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|d| (*op, d)))
        .unwrap_or(("", rest));
    // A default that is `$OTHER` is that variable (as expanded), anything else text.
    let default_value = || match default.strip_prefix('$') {
        Some(v) if !v.is_empty() && v.chars().all(|c| c == '_' || c.is_alphanumeric()) => var(v),
        _ => default.to_string(),
    };
    if default.is_empty() {
        return value;
    }
    match op {
        ":=" | ":-" => {
            if unreplaced || value.is_empty() {
                default_value()
            } else {
                value
            }
        }
        ":+" | "+" => {
            if set {
                default_value()
            } else {
                String::new()
            }
        }
        "-" | "=" => {
            if set {
                value
            } else {
                default_value()
            }
        }
        _ => value,
    }
}

fn line_of(chars: &[char], at: usize) -> usize {
    chars[..at].iter().filter(|&&c| c == '\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KIND" => Some("nokia_srlinux".into()),
            "EMPTY" => Some(String::new()),
            "LAB" => Some("from-env".into()),
            _ => None,
        }
    }

    fn x(s: &str) -> String {
        expand(s, &env).unwrap()
    }

    #[test]
    fn as_containerlab_expands() {
        assert_eq!(x("kind: ${KIND}"), "kind: nokia_srlinux");
        assert_eq!(x("kind: $KIND!"), "kind: nokia_srlinux!");
        // Unset or empty, no default: left as `$NAME` (braces dropped).
        assert_eq!(x("kind: ${UNSET}"), "kind: $UNSET");
        assert_eq!(x("kind: ${EMPTY}"), "kind: $EMPTY");
        assert_eq!(x("kind: \"${PC_KIND:=linux}\""), "kind: \"linux\"");
        assert_eq!(x("name: ${LAB_NAME:=envlab}"), "name: envlab");
        assert_eq!(x("name: ${LAB:=envlab}"), "name: from-env");
        assert_eq!(
            x("a: ${EMPTY:-d} ${EMPTY-d} ${UNSET-d} ${EMPTY=d}"),
            "a: d $EMPTY d $EMPTY"
        );
        assert_eq!(x("a: ${LAB:+alt} ${UNSET:+alt} ${EMPTY+alt}"), "a: alt  alt");
        assert_eq!(x("a: ${UNSET:-$KIND} ${UNSET:-$NOPE}"), "a: nokia_srlinux $NOPE");
        assert_eq!(x("img: frr:${TAG:-8.4.2-x}"), "img: frr:8.4.2-x");
        // Not variables.
        assert_eq!(x("cost $$5, $1, ${1}, $ and $_"), "cost $5, $1, ${1}, $ and $_");
        assert_eq!(x("${}"), "${}");
        assert!(expand("a: ${KIND\nb: c", &env)
            .unwrap_err()
            .contains("line 1: closing brace expected"));
        assert_eq!(x("ünïcode ${KIND}"), "ünïcode nokia_srlinux");
    }
}
