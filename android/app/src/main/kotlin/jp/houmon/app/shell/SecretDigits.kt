// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.shell

/**
 * The digits typed on the app's own keypad (the PIN, the 照合番号B, a
 * sign-in code), in a `CharArray` that is wiped when they are sent and on
 * every other way off the keypad (back, cancel, another screen, the
 * activity recreated: the Compose pad wipes it when it leaves the
 * composition). Never in Compose or saved state; only [count] is shown.
 */
class SecretDigits(val capacity: Int) {
    private val digits = CharArray(capacity)

    var count: Int = 0
        private set

    val full: Boolean get() = count == capacity

    /** Adds a digit; `false` when full or not a digit. */
    fun push(c: Char): Boolean {
        if (count >= capacity || c !in '0'..'9') return false
        digits[count++] = c
        return true
    }

    fun pop() {
        if (count > 0) digits[--count] = '\u0000'
    }

    /**
     * The digits for the core, and the buffer wiped. The `String` the core
     * takes lives only for the call (a JVM string cannot be wiped; the core
     * zeroises its copy).
     */
    fun take(): String {
        val text = String(digits, 0, count)
        wipe()
        return text
    }

    fun wipe() {
        digits.fill('\u0000')
        count = 0
    }

    /** For the tests: nothing of the secret is left. */
    fun isWiped(): Boolean = count == 0 && digits.all { it == '\u0000' }
}
