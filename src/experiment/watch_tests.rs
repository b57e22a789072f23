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

fn net(s: &str) -> Ipv4Net {
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
    assert_eq!(gateway(&msg(Some(DOC), 24, 254, None, Some(g))), Some(g));
    // A device route (blackhole, or on-link): none.
    assert_eq!(gateway(&msg(Some(DOC), 24, 254, None, None)), None);
}
