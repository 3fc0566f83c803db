// SPDX-License-Identifier: MPL-2.0
//! What the shell tells the app core when it opens it: where the store is,
//! what phone this is, and the clinic's settings from device management
//! (Android managed configuration, iOS managed app configuration).

/// The phone, as its OS names it (no personal data: the model, not the
/// owner's device name).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlatformInfo {
    /// 「Pixel 8」, 「iPhone15,2」.
    pub phone_model: String,
    /// 「Android 15」, 「iOS 18.1」.
    pub os: String,
    /// Where this phone's NFC antenna is, in words (「背面の上部」).
    pub antenna_hint: String,
    /// The name the phone enrols under (shown in the clinic's console).
    pub device_name: String,
}

/// When staff sign in on the phone for their shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignInPolicy {
    /// When more than one staff member is on this phone's rounds that day
    /// (a shared phone); a phone one person carries needs none.
    WhenShared,
    /// Always, before the first visit of a shift.
    Always,
    /// Never: every record is the enrolled staff member's.
    Never,
}

/// The clinic's settings for its phones (device management), with
/// defaults for a phone that has none.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClinicPolicy {
    pub sign_in: SignInPolicy,
    /// Whether 暗証番号 and 目視 may be used on this clinic's phones.
    pub allow_pin: bool,
    pub allow_visual: bool,
    /// Read with short answers (≤ 1 KB) from the start, for phones that
    /// lose the card on long answers (staff can switch it in 設定).
    pub careful_reading: bool,
    /// Keep the chip photo in 目視 evidence (off: only its hash).
    pub keep_photo: bool,
    /// Sign out after this many minutes without use (0: never).
    pub idle_sign_out_minutes: u32,
    /// Sign out this many hours after signing in (the shift's end).
    pub shift_hours: u32,
}

impl Default for ClinicPolicy {
    fn default() -> Self {
        ClinicPolicy {
            sign_in: SignInPolicy::WhenShared,
            allow_pin: true,
            allow_visual: true,
            careful_reading: false,
            keep_photo: false,
            idle_sign_out_minutes: 30,
            shift_hours: 12,
        }
    }
}

/// The settings a phone without device management uses.
#[uniffi::export]
pub fn default_clinic_policy() -> ClinicPolicy {
    ClinicPolicy::default()
}

/// Everything the app core needs to open.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AppConfig {
    /// The encrypted store's file (in the app's own, backup-excluded folder).
    pub db_path: String,
    pub platform: PlatformInfo,
    pub policy: ClinicPolicy,
}
