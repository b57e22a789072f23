//! The slice of telnet (RFC 854) that FRR's vty speaks: it offers WILL ECHO, WILL SGA,
//! DONT LINEMODE and DO NAWS after the banner, and escapes 0xFF in data as IAC IAC.
//! `Telnet::feed` strips option traffic from the stream and queues our answers.

pub const IAC: u8 = 255;
pub const DONT: u8 = 254;
pub const DO: u8 = 253;
pub const WONT: u8 = 252;
pub const WILL: u8 = 251;
pub const SB: u8 = 250;
pub const SE: u8 = 240;
pub const OPT_ECHO: u8 = 1;
pub const OPT_SGA: u8 = 3;
pub const OPT_NAWS: u8 = 31;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// Telnet option filter for one connection.
#[derive(Debug)]
pub struct Telnet {
    state: State,
    /// Window size to report when the server asks (DO NAWS); None refuses NAWS.
    naws: Option<(u16, u16)>,
    naws_agreed: bool,
    /// Bytes to send back to the server.
    pub replies: Vec<u8>,
}

impl Telnet {
    pub fn new(naws: Option<(u16, u16)>) -> Self {
        Telnet {
            state: State::Data,
            naws,
            naws_agreed: false,
            replies: Vec::new(),
        }
    }

    /// Appends the data bytes of `input` to `out`, consuming option negotiation.
    /// Sequences split across reads are handled: the state carries over.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, _) => {
                    out.push(b);
                    State::Data
                }
                (State::Iac, IAC) => {
                    out.push(IAC);
                    State::Data
                }
                (State::Iac, WILL | WONT | DO | DONT) => State::Verb(b),
                (State::Iac, SB) => State::Sub,
                (State::Iac, _) => State::Data, // NOP, GA and friends carry nothing for us.
                (State::Verb(verb), opt) => {
                    self.answer(verb, opt);
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
            };
        }
    }

    fn answer(&mut self, verb: u8, opt: u8) {
        match (verb, opt) {
            // The server echoes and suppresses go-ahead: agree, that is what a terminal wants.
            (WILL, OPT_ECHO | OPT_SGA) => self.replies.extend([IAC, DO, opt]),
            (WILL, _) => self.replies.extend([IAC, DONT, opt]),
            (DO, OPT_NAWS) if self.naws.is_some() => {
                self.replies.extend([IAC, WILL, OPT_NAWS]);
                self.naws_agreed = true;
                let (w, h) = self.naws.expect("checked");
                self.replies.extend(naws_bytes(w, h));
            }
            (DO, _) => self.replies.extend([IAC, WONT, opt]),
            // WONT/DONT need no answer for options we never enabled.
            _ => {}
        }
    }

    /// The bytes announcing a new window size, if the server agreed to NAWS.
    pub fn resize(&mut self, cols: u16, rows: u16) -> Option<Vec<u8>> {
        self.naws = Some((cols, rows));
        self.naws_agreed.then(|| naws_bytes(cols, rows))
    }
}

/// IAC SB NAWS <cols> <rows> IAC SE, with 0xFF bytes doubled as the protocol requires.
pub fn naws_bytes(cols: u16, rows: u16) -> Vec<u8> {
    let mut v = vec![IAC, SB, OPT_NAWS];
    for b in cols.to_be_bytes().into_iter().chain(rows.to_be_bytes()) {
        v.push(b);
        if b == IAC {
            v.push(IAC);
        }
    }
    v.extend([IAC, SE]);
    v
}

/// Escapes user data for the wire (0xFF → IAC IAC).
pub fn escape(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len());
    for &b in data {
        v.push(b);
        if b == IAC {
            v.push(IAC);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What FRR 8.4 sends before "Password: " (recorded from a real bgpd).
    const FRR_GREETING: &[u8] =
        b"\r\nUser Access Verification\r\n\r\n\xff\xfb\x01\xff\xfb\x03\xff\xfe\x22\xff\xfd\x1fPassword: ";

    #[test]
    fn strips_frr_negotiation_and_answers_it() {
        let mut t = Telnet::new(None);
        let mut out = Vec::new();
        t.feed(FRR_GREETING, &mut out);
        assert_eq!(out, b"\r\nUser Access Verification\r\n\r\nPassword: ");
        // DO ECHO, DO SGA, (nothing for DONT LINEMODE), WONT NAWS.
        assert_eq!(t.replies, [IAC, DO, 1, IAC, DO, 3, IAC, WONT, 31]);
    }

    #[test]
    fn sequences_split_across_reads() {
        let mut t = Telnet::new(Some((80, 24)));
        let mut out = Vec::new();
        for chunk in FRR_GREETING.chunks(1) {
            t.feed(chunk, &mut out);
        }
        assert_eq!(out, b"\r\nUser Access Verification\r\n\r\nPassword: ");
        assert!(t
            .replies
            .ends_with(&[IAC, WILL, 31, IAC, SB, 31, 0, 80, 0, 24, IAC, SE]));
    }

    #[test]
    fn escaped_iac_and_subnegotiation() {
        let mut t = Telnet::new(None);
        let mut out = Vec::new();
        t.feed(
            &[b'a', IAC, IAC, b'b', IAC, SB, 24, 1, IAC, SE, b'c', IAC, 241, b'd'],
            &mut out,
        );
        assert_eq!(out, [b'a', IAC, b'b', b'c', b'd']);
        assert!(t.replies.is_empty());
    }

    #[test]
    fn naws_doubles_ff_and_resize_needs_agreement() {
        assert_eq!(naws_bytes(255, 1), [IAC, SB, 31, 0, 255, 255, 0, 1, IAC, SE]);
        let mut t = Telnet::new(Some((80, 24)));
        assert_eq!(t.resize(100, 40), None, "not agreed yet");
        t.feed(&[IAC, DO, OPT_NAWS], &mut Vec::new());
        assert_eq!(t.resize(100, 40), Some(naws_bytes(100, 40)));
        assert_eq!(escape(&[1, IAC, 2]), [1, IAC, IAC, 2]);
    }
}
