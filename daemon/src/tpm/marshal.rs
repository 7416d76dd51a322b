//! TPM 2.0 command and response bytes (TPM 2.0 Library, Part 3 for the commands, Part 2 for
//! the structures): big-endian, a 10-byte header, handles, an authorisation area when the tag
//! says so, then parameters. Pure functions over bytes, so the response parser can be fuzzed
//! (`crate::fuzzing::tpm_response`): whatever a TPM (or a device posing as one) answers, the
//! result is a value or an error, never a panic.

use super::TpmError;

/// `TPM_ST_NO_SESSIONS`.
pub const ST_NO_SESSIONS: u16 = 0x8001;
/// `TPM_ST_SESSIONS`.
pub const ST_SESSIONS: u16 = 0x8002;

/// `TPM_CC_NV_DefineSpace`.
pub const CC_NV_DEFINE_SPACE: u32 = 0x0000_012A;
/// `TPM_CC_NV_Increment`.
pub const CC_NV_INCREMENT: u32 = 0x0000_0134;
/// `TPM_CC_NV_Read`.
pub const CC_NV_READ: u32 = 0x0000_014E;
/// `TPM_CC_ReadClock`.
pub const CC_READ_CLOCK: u32 = 0x0000_0181;

/// `TPM_RH_OWNER`: the owner hierarchy (its authorisation is empty unless an administrator
/// set one).
pub const RH_OWNER: u32 = 0x4000_0001;
/// `TPM_RS_PW`: a password session (here with the empty password).
pub const RS_PW: u32 = 0x4000_0009;
/// `TPM_ALG_SHA256`.
pub const ALG_SHA256: u16 = 0x000B;

/// `TPM_RC_SUCCESS`.
pub const RC_SUCCESS: u32 = 0;
/// `TPM_RC_NV_DEFINED`: the index exists already.
pub const RC_NV_DEFINED: u32 = 0x14C;
/// `TPM_RC_NV_UNINITIALIZED`: a counter never incremented.
pub const RC_NV_UNINITIALIZED: u32 = 0x14A;
/// `TPM_RC_RETRY`, `TPM_RC_YIELDED`, `TPM_RC_TESTING`: try the command again.
pub const RC_WARN_RETRY: [u32; 3] = [0x922, 0x908, 0x90A];

/// Attributes of airgapd's counter (`TPMA_NV`, Part 2 §13.4): the type `TPM_NT_COUNTER` (1 in
/// bits 7:4); written (incremented) only with the owner's authorisation, so a user with access
/// to the TPM device cannot move it; read by the owner or with the index's (empty) value, so
/// `airgapctl inspect` reads it without any secret; `NO_DA`, so a wrong owner password is never
/// counted towards the TPM's dictionary-attack lockout. Not `ORDERLY`: an orderly counter jumps
/// ahead after a power cut, which would read as a rolled-back record.
pub const COUNTER_ATTRIBUTES: u32 = OWNERWRITE | NT_COUNTER | OWNERREAD | AUTHREAD | NO_DA;
const OWNERWRITE: u32 = 1 << 1;
const NT_COUNTER: u32 = 1 << 4;
const OWNERREAD: u32 = 1 << 17;
const AUTHREAD: u32 = 1 << 18;
const NO_DA: u32 = 1 << 25;

/// The largest response accepted: TPMs answer at most 4096 bytes (`MAX_RESPONSE_SIZE` of
/// every PC Client TPM); anything longer is not a TPM's answer.
pub const MAX_RESPONSE: usize = 4096;

/// What TPM2_ReadClock answers (`TPMS_TIME_INFO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockInfo {
    /// Milliseconds the TPM has been powered since its last reset.
    pub time_ms: u64,
    /// Milliseconds the TPM has been powered in its whole life (since TPM2_Clear), saved now
    /// and then.
    pub clock_ms: u64,
    /// TPM Resets (Startup(CLEAR) after Shutdown(CLEAR) or none: a boot) since TPM2_Clear.
    pub reset_count: u32,
    /// TPM Restarts and Resumes (hibernation, suspend) since the last reset.
    pub restart_count: u32,
    /// Whether `clock_ms` is known not to have been reported lower before (an orderly run).
    pub safe: bool,
}

/// A command being built.
struct Command {
    bytes: Vec<u8>,
}

impl Command {
    fn new(tag: u16, code: u32) -> Command {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&tag.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes()); // size, set by finish()
        bytes.extend_from_slice(&code.to_be_bytes());
        Command { bytes }
    }
    fn u8(mut self, v: u8) -> Command {
        self.bytes.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Command {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Command {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// The authorisation area with one password session and the empty password:
    /// sessionHandle, nonce (empty), sessionAttributes, hmac (empty password).
    fn empty_password(self) -> Command {
        self.u32(9).u32(RS_PW).u16(0).u8(0).u16(0)
    }
    fn finish(mut self) -> Vec<u8> {
        let size = u32::try_from(self.bytes.len()).expect("commands are small");
        self.bytes[2..6].copy_from_slice(&size.to_be_bytes());
        self.bytes
    }
}

/// TPM2_ReadClock: no handles, no sessions, no parameters.
pub fn read_clock() -> Vec<u8> {
    Command::new(ST_NO_SESSIONS, CC_READ_CLOCK).finish()
}

/// TPM2_NV_DefineSpace of an 8-byte counter at `index` with the empty authValue, authorised by
/// the owner with the empty password.
pub fn define_counter(index: u32) -> Vec<u8> {
    // TPMS_NV_PUBLIC: nvIndex, nameAlg, attributes, authPolicy (empty), dataSize.
    let public_size: u16 = 4 + 2 + 4 + 2 + 2;
    Command::new(ST_SESSIONS, CC_NV_DEFINE_SPACE)
        .u32(RH_OWNER)
        .empty_password()
        .u16(0) // auth: TPM2B_AUTH, empty
        .u16(public_size)
        .u32(index)
        .u16(ALG_SHA256)
        .u32(COUNTER_ATTRIBUTES)
        .u16(0)
        .u16(8)
        .finish()
}

/// TPM2_NV_Increment of `index`, authorised by the owner with the empty password.
pub fn increment(index: u32) -> Vec<u8> {
    Command::new(ST_SESSIONS, CC_NV_INCREMENT)
        .u32(RH_OWNER)
        .u32(index)
        .empty_password()
        .finish()
}

/// TPM2_NV_Read of the 8 bytes of `index`, authorised by the index itself (AUTHREAD) with its
/// empty authValue: no owner secret needed to read.
pub fn read_counter(index: u32) -> Vec<u8> {
    Command::new(ST_SESSIONS, CC_NV_READ)
        .u32(index)
        .u32(index)
        .empty_password()
        .u16(8) // size
        .u16(0) // offset
        .finish()
}

/// A response read with bounds: every read past the end is an error naming the command.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    command: &'static str,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TpmError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(malformed(self.command, "shorter than its contents"));
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, TpmError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, TpmError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, TpmError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, TpmError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

fn malformed(command: &'static str, what: &str) -> TpmError {
    TpmError::Malformed {
        command,
        what: what.to_string(),
    }
}

/// The header of a response: its response code, and a reader past it (past the parameter size
/// too when the response carries sessions). Checks the size field against the bytes received.
fn header<'a>(bytes: &'a [u8], command: &'static str) -> Result<(u32, Reader<'a>), TpmError> {
    if bytes.len() > MAX_RESPONSE {
        return Err(malformed(command, "longer than any TPM response"));
    }
    let mut r = Reader {
        bytes,
        at: 0,
        command,
    };
    let tag = r.u16()?;
    let size = r.u32()?;
    let code = r.u32()?;
    if usize::try_from(size).ok() != Some(bytes.len()) {
        return Err(malformed(command, "its size field is not its length"));
    }
    if tag != ST_NO_SESSIONS && tag != ST_SESSIONS {
        return Err(malformed(command, "unknown tag"));
    }
    Ok((code, r))
}

/// The response code of any response (checked header); success is `Ok(0)`.
pub fn response_code(bytes: &[u8], command: &'static str) -> Result<u32, TpmError> {
    header(bytes, command).map(|(code, _)| code)
}

/// A response that must be a success with no parameters (DefineSpace, Increment).
pub fn parse_empty(bytes: &[u8], command: &'static str) -> Result<(), TpmError> {
    match header(bytes, command)? {
        (RC_SUCCESS, _) => Ok(()),
        (code, _) => Err(TpmError::Code { command, code }),
    }
}

/// TPM2_ReadClock's response.
pub fn parse_read_clock(bytes: &[u8]) -> Result<ClockInfo, TpmError> {
    const CMD: &str = "TPM2_ReadClock";
    let (code, mut r) = header(bytes, CMD)?;
    if code != RC_SUCCESS {
        return Err(TpmError::Code { command: CMD, code });
    }
    let info = ClockInfo {
        time_ms: r.u64()?,
        clock_ms: r.u64()?,
        reset_count: r.u32()?,
        restart_count: r.u32()?,
        safe: r.u8()? != 0,
    };
    if r.at != bytes.len() {
        return Err(malformed(CMD, "longer than a TPMS_TIME_INFO"));
    }
    Ok(info)
}

/// TPM2_NV_Read's response for an 8-byte counter: its value (big-endian, Part 1 §37.2.5), or
/// None when the counter was never incremented.
pub fn parse_read_counter(bytes: &[u8]) -> Result<Option<u64>, TpmError> {
    const CMD: &str = "TPM2_NV_Read";
    let (code, mut r) = header(bytes, CMD)?;
    match code {
        RC_SUCCESS => {}
        RC_NV_UNINITIALIZED => return Ok(None),
        code => return Err(TpmError::Code { command: CMD, code }),
    }
    let param_size = r.u32()? as usize;
    let params_start = r.at;
    let size = r.u16()? as usize;
    if size != 8 {
        return Err(malformed(CMD, "the counter is not 8 bytes"));
    }
    let value = r.u64()?;
    if r.at - params_start != param_size {
        return Err(malformed(CMD, "its parameter size is not its parameters'"));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
        let mut v = tag.to_be_bytes().to_vec();
        v.extend_from_slice(&((10 + body.len()) as u32).to_be_bytes());
        v.extend_from_slice(&code.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn commands_carry_their_own_size() {
        for c in [
            read_clock(),
            define_counter(0x0100_A19D),
            increment(1),
            read_counter(1),
        ] {
            let size = u32::from_be_bytes([c[2], c[3], c[4], c[5]]) as usize;
            assert_eq!(size, c.len());
        }
        assert_eq!(read_clock(), [0x80, 1, 0, 0, 0, 10, 0, 0, 1, 0x81]);
    }

    #[test]
    fn a_clock_is_read_from_a_well_formed_answer() {
        let mut body = 5u64.to_be_bytes().to_vec();
        body.extend_from_slice(&7u64.to_be_bytes());
        body.extend_from_slice(&3u32.to_be_bytes());
        body.extend_from_slice(&1u32.to_be_bytes());
        body.push(1);
        let c = parse_read_clock(&response(ST_NO_SESSIONS, 0, &body)).unwrap();
        assert_eq!((c.time_ms, c.clock_ms), (5, 7));
        assert_eq!((c.reset_count, c.restart_count, c.safe), (3, 1, true));
        // One byte short, one too many, a size field that lies: errors, never values.
        let mut short = response(ST_NO_SESSIONS, 0, &body[..body.len() - 1]);
        assert!(parse_read_clock(&short).is_err());
        short.push(0);
        short.push(0);
        assert!(parse_read_clock(&short).is_err());
        let mut lying = response(ST_NO_SESSIONS, 0, &body);
        lying[5] = 0xff;
        assert!(parse_read_clock(&lying).is_err());
    }

    #[test]
    fn response_codes_are_errors_naming_the_command() {
        let e = parse_read_clock(&response(ST_NO_SESSIONS, 0x101, &[])).unwrap_err();
        assert!(matches!(e, TpmError::Code { code: 0x101, .. }), "{e}");
        assert!(e.to_string().contains("TPM2_ReadClock"), "{e}");
        assert_eq!(
            parse_read_counter(&response(ST_SESSIONS, RC_NV_UNINITIALIZED, &[])).unwrap(),
            None
        );
        assert!(parse_empty(&response(ST_SESSIONS, 0x9a2, &[]), "x").is_err());
        assert!(parse_empty(&[], "x").is_err());
        assert!(parse_empty(&response(0x1234, 0, &[]), "x").is_err());
    }

    /// Until the fuzz target has run: every one-byte change and truncation of well-formed
    /// answers, and random ones, parse to a value or an error.
    #[test]
    fn no_answer_panics() {
        let mut clock = 5u64.to_be_bytes().to_vec();
        clock.extend_from_slice(&[0; 17]);
        let mut nv = 10u32.to_be_bytes().to_vec();
        nv.extend_from_slice(&8u16.to_be_bytes());
        nv.extend_from_slice(&[0; 13]);
        let seeds = [
            response(ST_NO_SESSIONS, 0, &clock),
            response(ST_SESSIONS, 0, &nv),
        ];
        let parse = |b: &[u8]| {
            let _ = parse_read_clock(b);
            let _ = parse_read_counter(b);
            let _ = parse_empty(b, "x");
        };
        for seed in &seeds {
            for i in 0..seed.len() {
                parse(&seed[..i]);
                for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                    let mut m = seed.clone();
                    m[i] = v;
                    parse(&m);
                }
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 64) as usize;
            let mut b: Vec<u8> = (0..len).map(|i| (x >> (i % 8 * 8)) as u8).collect();
            if b.len() >= 6 {
                b[2..6].copy_from_slice(&(len as u32).to_be_bytes());
            }
            parse(&b);
        }
    }

    #[test]
    fn a_counter_is_read_from_a_well_formed_answer() {
        let mut body = 10u32.to_be_bytes().to_vec();
        body.extend_from_slice(&8u16.to_be_bytes());
        body.extend_from_slice(&42u64.to_be_bytes());
        body.extend_from_slice(&[0, 0, 1, 0, 0]); // the session's response
        assert_eq!(
            parse_read_counter(&response(ST_SESSIONS, 0, &body)).unwrap(),
            Some(42)
        );
        body[5] = 4; // a 4-byte "counter"
        assert!(parse_read_counter(&response(ST_SESSIONS, 0, &body)).is_err());
    }
}
