//! Unit tests of which kernel route messages count as the measured prefix (`matches`) and
//! the next hop read from them (`gateway`), on messages built as the kernel sends them.

use super::*;
use rtnetlink::packet_route::route::RouteHeader;

fn msg(
    dst: Option<Ipv4Addr>,
    len: u8,
    header_table: u8,
    table_attr: Option<u32>,
    gw: Option<Ipv4Addr>,
) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = RouteHeader {
        address_family: AddressFamily::Inet,
        destination_prefix_length: len,
        table: header_table,
        ..RouteHeader::default()
    };
    if let Some(d) = dst {
        m.attributes.push(RouteAttribute::Destination(RouteAddress::Inet(d)));
    }
    if let Some(t) = table_attr {
        m.attributes.push(RouteAttribute::Table(t));
    }
    if let Some(g) = gw {
        m.attributes.push(RouteAttribute::Gateway(RouteAddress::Inet(g)));
    }
    m
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

const DOC: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 0);

#[test]
fn the_prefix_in_the_main_table_matches() {
    assert!(matches(&msg(Some(DOC), 24, 254, None, None), net("203.0.113.0/24")));
    // The table attribute (tables above 255) wins over the header's byte.
    assert!(matches(
        &msg(Some(DOC), 24, 252, Some(254), None),
        net("203.0.113.0/24")
    ));
}

#[test]
fn other_lengths_addresses_and_tables_do_not() {
    let p = net("203.0.113.0/24");
    assert!(!matches(&msg(Some(DOC), 25, 254, None, None), p));
    assert!(!matches(
        &msg(Some(Ipv4Addr::new(203, 0, 113, 128)), 24, 254, None, None),
        p
    ));
    // The local table (255) holds the announcer's own address on lo: not an arrival.
    assert!(!matches(&msg(Some(DOC), 24, 255, None, None), p));
    assert!(!matches(&msg(Some(DOC), 24, 254, Some(1000), None), p));
}

#[test]
fn the_default_route_has_no_destination_attribute() {
    let d = net("0.0.0.0/0");
    assert!(matches(&msg(None, 0, 254, None, Some(Ipv4Addr::new(172, 31, 1, 2))), d));
    assert!(!matches(&msg(None, 0, 254, None, None), net("203.0.113.0/24")));
}

#[test]
fn gateway_is_the_next_hop_attribute() {
    let g = Ipv4Addr::new(172, 31, 4, 2);
    assert_eq!(
        gateway(&msg(Some(DOC), 24, 254, None, Some(g))),
        Some(NextHop {
            gateway: Some(IpAddr::V4(g)),
            oif: None
        })
    );
    // A device route (blackhole, or on-link): none.
    assert_eq!(gateway(&msg(Some(DOC), 24, 254, None, None)), None);
}

/// An IPv6 route message as the kernel sends it (RTM_NEWROUTE in RTNLGRP_IPV6_ROUTE).
fn msg6(dst: Option<&str>, len: u8, table: u8, gw: Option<&str>, oif: Option<u32>) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = RouteHeader {
        address_family: AddressFamily::Inet6,
        destination_prefix_length: len,
        table,
        ..RouteHeader::default()
    };
    if let Some(d) = dst {
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet6(d.parse().unwrap())));
    }
    if let Some(g) = gw {
        m.attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet6(g.parse().unwrap())));
    }
    if let Some(i) = oif {
        m.attributes.push(RouteAttribute::Oif(i));
    }
    m
}

#[test]
fn ipv6_prefixes_and_the_ipv6_default_match_in_their_family_only() {
    let p = net("2001:db8:42::/48");
    assert!(matches(&msg6(Some("2001:db8:42::"), 48, 254, None, None), p));
    assert!(!matches(&msg6(Some("2001:db8:42::"), 64, 254, None, None), p));
    assert!(!matches(&msg6(Some("2001:db8:43::"), 48, 254, None, None), p));
    assert!(!matches(&msg6(Some("2001:db8:42::"), 48, 255, None, None), p));
    // Both defaults carry no destination: the header's family tells ::/0 from 0.0.0.0/0.
    let (d4, d6) = (net("0.0.0.0/0"), net("::/0"));
    assert!(matches(&msg6(None, 0, 254, Some("fe80::1"), Some(3)), d6));
    assert!(!matches(&msg6(None, 0, 254, Some("fe80::1"), Some(3)), d4));
    assert!(!matches(
        &msg(None, 0, 254, None, Some(Ipv4Addr::new(172, 31, 1, 2))),
        d6
    ));
}

#[test]
fn an_ipv6_next_hop_is_its_gateway_and_interface() {
    let h = gateway(&msg6(
        Some("2001:db8:42::"),
        48,
        254,
        Some("fe80::a8c1:abff:fe12:3456"),
        Some(3),
    ))
    .unwrap();
    assert_eq!(h.oif, Some(3));
    let peer: IpAddr = "2001:db8:31:2::1".parse().unwrap();
    // A link-local gateway is the neighbour behind that interface (FRR's routes) …
    assert!(h.is(peer, 3) && !h.is(peer, 4));
    // … a global one must be the neighbour's own address (BIRD's routes).
    let g = gateway(&msg6(Some("2001:db8:42::"), 48, 254, Some("2001:db8:31:2::1"), Some(7))).unwrap();
    assert!(g.is(peer, 3) && !g.is("2001:db8:31:9::1".parse().unwrap(), 7));
    assert_eq!(gateway(&msg6(Some("2001:db8:42::"), 48, 254, None, Some(1))), None);
}
