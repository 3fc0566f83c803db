// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import jp.houmon.core.KeyProvider
import jp.houmon.core.KeyProviderFailure

/** Where the wrapping key lives: the Android Keystore on a phone, a stand-in under Robolectric. */
interface WrappingKeys {
    /** The key, or null when there is none (never made, or lost with the Keystore). */
    fun existing(): SecretKey?
    fun create(): SecretKey
    fun delete()
}

/** The Android Keystore's AES-256-GCM key (hardware-backed where the phone has it). */
class AndroidKeystoreKeys : WrappingKeys {
    private fun store() = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    override fun existing(): SecretKey? = (store().getEntry(ALIAS, null) as? KeyStore.SecretKeyEntry)?.secretKey

    override fun create(): SecretKey {
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    override fun delete() {
        store().deleteEntry(ALIAS)
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "houmon-store-wrapping-key"
    }
}

/**
 * The 32-byte key of the core's encrypted store, wrapped by a key that
 * never leaves the Android Keystore. The wrapped key lives in the app's
 * private, non-backed-up files: `version(1) ‖ iv(12) ‖ ciphertext+tag`.
 *
 * Made on first use only: when the wrapped key is there but its Keystore
 * key is gone (a restored or reset Keystore), nothing new is made — the
 * core shows its recovery screen, and only the administrator-confirmed
 * reset ([resetDatabaseKey]) makes a new key for a new, empty store.
 */
class KeystoreKeys(
    context: Context,
    private val wrapping: WrappingKeys = AndroidKeystoreKeys(),
) : KeyProvider {
    private val file = File(context.noBackupFilesDir, "houmon-store.key")

    override fun databaseKey(): ByteArray {
        val sealed = if (file.exists()) file.readBytes() else null
        val key = if (sealed == null) null else wrapping.existing()
        if (sealed != null && key == null) throw KeyProviderFailure.Unavailable("the Keystore key is gone")
        return try {
            if (sealed != null && key != null) unwrap(key, sealed) else create()
        } catch (e: Exception) {
            throw KeyProviderFailure.Unavailable(e.javaClass.simpleName)
        }
    }

    override fun resetDatabaseKey() {
        try {
            file.delete()
            wrapping.delete()
        } catch (e: Exception) {
            throw KeyProviderFailure.Unavailable(e.javaClass.simpleName)
        }
    }

    private fun create(): ByteArray {
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrapping.existing() ?: wrapping.create())
        val sealed = cipher.doFinal(key)
        val tmp = File(file.parentFile, file.name + ".tmp")
        tmp.writeBytes(byteArrayOf(VERSION) + cipher.iv + sealed)
        if (!tmp.renameTo(file)) throw java.io.IOException("key file not saved")
        return key
    }

    private fun unwrap(key: SecretKey, bytes: ByteArray): ByteArray {
        require(bytes.size > 1 + IV_BYTES && bytes[0] == VERSION) { "key file" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, bytes, 1, IV_BYTES))
        return cipher.doFinal(bytes, 1 + IV_BYTES, bytes.size - 1 - IV_BYTES)
    }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
    }
}
