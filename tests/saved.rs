//! `nsbgp save` → `down` → `up --configs`: a change made by hand on the running routers (an
//! FRR neighbour description through the vty, a BIRD protocol description in its loaded
//! config) survives, checked with FRR's own `vtysh` and BIRD's own `birdc`; bad directories
//! are refused with exit 2 and nothing built; nothing is overwritten.

mod common;
use common::*;

#[test]
fn hand_changes_survive_save_down_up_configs() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("sav", 3, "[[router]]\nindex = 2\nsuite = \"bird\"\n");
    let up = |extra: &[&str]| {
        lab.up_wait(60, extra);
    };
    up(&[]);
    let (r1, r2) = (lab.router(1), lab.router(2));
    let peer = link_addr(&lab, 0, 1);
    // FRR: a description and a timer changed through the vty.
    let o = nsbgp(&[
        "vtysh",
        &r1,
        "--lab",
        &lab.name,
        "--",
        "-c",
        "configure terminal",
        "-c",
        "router bgp 101",
        "-c",
        &format!("neighbor {peer} description hand-made-X"),
        "-c",
        &format!("neighbor {peer} timers connect 7"),
        "-c",
        "end",
    ]);
    assert_ok(&o, "vtysh configure");
    // BIRD: its config edited and loaded (`configure`), as a BIRD user does.
    let conf = lab.state_dir().join(format!("routers/{r2}/etc/bird.conf"));
    let conf_text = std::fs::read_to_string(&conf).unwrap();
    let old = format!("description \"{r1}\";");
    assert!(conf_text.contains(&old), "{conf_text}");
    std::fs::write(&conf, conf_text.replace(&old, "description \"hand-made-B\";")).unwrap();
    let c = birdc(&lab, &r2, "configure");
    assert!(c.contains("Reconfigured"), "{c}");
    let described = |out: &str| out.lines().any(|l| l.trim() == "Description:    hand-made-B");
    let p = birdc(&lab, &r2, "show protocols all bgp1");
    assert!(described(&p), "{p}");

    let dir = tempdir("sav");
    let saved = dir.0.join("saved");
    let o = lab.on_lab(&["save", "-o", saved.to_str().unwrap()]);
    assert_ok(&o, "save");
    let mut files: Vec<String> = walk(&saved);
    files.sort();
    let want: Vec<String> = [
        format!("{}/bgpd.conf", lab.router(0)),
        format!("{}/zebra.conf", lab.router(0)),
        format!("{r1}/bgpd.conf"),
        format!("{r1}/zebra.conf"),
        format!("{r2}/bird.conf"),
    ]
    .into_iter()
    .collect();
    assert_eq!(files, want);
    let secret = std::fs::read_to_string(lab.state_dir().join("secret")).unwrap();
    for f in &files {
        let t = std::fs::read_to_string(saved.join(f)).unwrap();
        assert!(!t.contains(secret.trim()), "{f} holds the vty password");
    }
    // Never overwrites.
    let o = lab.on_lab(&["save", "-o", saved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let o = lab.on_lab(&["down"]);
    assert_ok(&o, "down");
    up(&["--configs", saved.to_str().unwrap()]);
    let run = vtysh(&lab, &r1, "show running-config");
    assert!(
        run.contains(&format!("neighbor {peer} description hand-made-X")),
        "{run}"
    );
    assert!(run.contains(&format!("neighbor {peer} timers connect 7")), "{run}");
    let p = birdc(&lab, &r2, "show protocols all bgp1");
    assert!(described(&p) && p.contains("Established"), "{p}");
}

/// Files under `dir`, as "ROUTER/file".
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut v = Vec::new();
    for r in std::fs::read_dir(dir).unwrap() {
        let r = r.unwrap();
        for f in std::fs::read_dir(r.path()).unwrap() {
            v.push(format!(
                "{}/{}",
                r.file_name().to_string_lossy(),
                f.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    v
}

#[test]
fn a_bad_configs_directory_builds_nothing() {
    if !root_or_skip() {
        return;
    }
    let lab = TestLab::new("sbd", 2, "");
    let dir = tempdir("sbd");
    let d = dir.0.join("saved");
    let put = |p: &str| {
        let p = d.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "hostname x\n").unwrap();
    };
    let (r0, r1) = (lab.router(0), lab.router(1));
    put(&format!("{r0}/zebra.conf"));
    put(&format!("{r0}/bgpd.conf"));
    let try_up = |want: &str| {
        let o = nsbgp(&[
            "up",
            "-c",
            lab.config.to_str().unwrap(),
            "--configs",
            d.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(want), "want {want:?}: {}", text(&o));
        assert!(leftovers(&lab.name, &lab.prefix).is_empty());
        assert!(!lab.state_dir().exists());
    };
    try_up(&format!("no directory for {r1}"));
    put(&format!("{r1}/zebra.conf"));
    try_up(&format!("{r1}/ has no bgpd.conf"));
    put(&format!("{r1}/bgpd.conf"));
    put(&format!("{r1}/bird.conf"));
    try_up(&format!("{r1}/ holds bird.conf"));
    std::fs::remove_file(d.join(format!("{r1}/bird.conf"))).unwrap();
    put("ROUTER_9/bgpd.conf");
    try_up("ROUTER_9 is not a router");
}
