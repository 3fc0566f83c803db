// SPDX-License-Identifier: MPL-2.0
//! Application ids (DF names), file ids and key references of the
//! マイナンバーカード, as documented in `docs/card-protocol.md` (sources there).
//!
//! Only the names the product may use are `pub`; the forbidden ones are here
//! too, so that the allow-list, the virtual card and the audit tests name
//! them from one place.

/// 公的個人認証AP (JPKI-AP).
pub const AID_JPKI: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// 券面事項確認AP (券面AP): the card face, with the photo.
pub const AID_KENMEN: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];

/// Never selected: 券面事項入力補助AP (holds the 個人番号 as text).
pub const AID_FORBIDDEN_TEXT: [u8; 10] =
    [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
/// Never selected: 住基AP (住民票コード).
pub const AID_FORBIDDEN_JUKI: [u8; 10] =
    [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01];
/// Not used: 共通AP (card serial and municipality).
pub const AID_COMMON: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00];

/// JPKI-AP files and keys.
pub mod jpki {
    /// 署名用電子証明書 (never: carries name, address, birth date, sex).
    pub const EF_SIGN_CERT: u16 = 0x0001;
    /// 署名用CA証明書.
    pub const EF_SIGN_CA_CERT: u16 = 0x0002;
    /// Token information (160 bytes; label in the first 32).
    pub const EF_TOKEN_INFO: u16 = 0x0006;
    /// Certificate availability (3 bytes: 署名用, 利用者証明用, 00).
    pub const EF_CERT_AVAILABILITY: u16 = 0x0008;
    /// 利用者証明用電子証明書 (free to read).
    pub const EF_AUTH_CERT: u16 = 0x000A;
    /// 利用者証明用CA証明書.
    pub const EF_AUTH_CA_CERT: u16 = 0x000B;
    /// 利用者証明用秘密鍵.
    pub const KEY_AUTH: u16 = 0x0017;
    /// 利用者証明用 PIN.
    pub const PIN_AUTH: u16 = 0x0018;
    /// 署名用秘密鍵 (never).
    pub const KEY_SIGN: u16 = 0x001A;
    /// 署名用パスワード (never).
    pub const PIN_SIGN: u16 = 0x001B;
}

/// 券面AP files and keys.
pub mod kenmen {
    /// Age record (opened by the birth-date key; not used).
    pub const EF_AGE: u16 = 0x0001;
    /// 券面 front: birth date, sex, name/address images, photo, expiry.
    pub const EF_FRONT: u16 = 0x0002;
    /// 個人番号 image (never).
    pub const EF_NUMBER_IMAGE: u16 = 0x0005;
    /// Birth-date key (not used).
    pub const KEY_BIRTH: u16 = 0x0011;
    /// 照合番号B.
    pub const KEY_COLLATION_B: u16 = 0x0012;
    /// 照合番号A (= the 個人番号; never).
    pub const KEY_COLLATION_A: u16 = 0x0013;
    /// Whether VERIFY 照合番号B names its key by SFI (`00 20 00 92`) instead
    /// of selecting it first. Flip to `true` once a real card confirms the
    /// SFI form: it saves one APDU (`plan.rs` counts it, `kenmen.rs` sends it).
    pub const VERIFY_BY_SFI: bool = false;
}

/// The short-EF-identifier form of a file id (P1 = `0x80 | sfi` for READ,
/// P2 = `0x80 | sfi` for VERIFY / SIGN). Only ids 1…30 have one.
pub fn sfi(fid: u16) -> Option<u8> {
    (1..=0x1E).contains(&fid).then_some(fid as u8)
}
