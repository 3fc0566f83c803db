// SPDX-License-Identifier: MPL-2.0
fn main() {
    uniffi::uniffi_bindgen_main()
}
