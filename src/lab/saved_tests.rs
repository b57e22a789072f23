use super::*;
use crate::config::{parse, validate, Overrides};

fn lab(text: &str) -> Lab {
    validate("t.toml", parse("t.toml", text).unwrap(), &Overrides::default()).unwrap()
}

#[test]
fn load_wants_every_router_and_nothing_foreign() {
    let l = lab("name = \"c\"\nrouters = 2\n[[router]]\nindex = 1\nsuite = \"bird\"\n");
    let dir = std::env::temp_dir().join(format!("nsbgp-saved-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let put = |p: &str, t: &str| {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    put("ROUTER_0/zebra.conf", "hostname ROUTER_0\n");
    put("ROUTER_0/bgpd.conf", "hostname ROUTER_0\nrouter bgp 100\n");
    let err = |l: &Lab| load(l, &dir).unwrap_err().to_string();
    assert!(err(&l).contains("no directory for ROUTER_1"), "{}", err(&l));
    put("ROUTER_1/bird.conf", "router id 10.0.0.1;\n");
    let s = load(&l, &dir).unwrap();
    assert_eq!(
        s.files[&1],
        vec![("bird.conf".to_string(), "router id 10.0.0.1;\n".to_string())]
    );
    let f = s.files_for(&l, 0, "pw");
    assert_eq!(f[0].0, "zebra.conf");
    assert_eq!(
        f[1].1,
        "hostname ROUTER_0\npassword pw\nenable password pw\nrouter bgp 100\n"
    );
    put("ROUTER_1/bgpd.conf", "x\n");
    assert!(err(&l).contains("ROUTER_1/ holds bgpd.conf"), "{}", err(&l));
    std::fs::remove_file(dir.join("ROUTER_1/bgpd.conf")).unwrap();
    put("ROUTER_7/bgpd.conf", "x\n");
    assert!(err(&l).contains("ROUTER_7 is not a router of lab c"), "{}", err(&l));
    std::fs::remove_dir_all(dir.join("ROUTER_7")).unwrap();
    std::fs::remove_file(dir.join("ROUTER_0/zebra.conf")).unwrap();
    assert!(err(&l).contains("ROUTER_0/ has no zebra.conf"), "{}", err(&l));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err(&l).contains("cannot read it"), "{}", err(&l));
}
