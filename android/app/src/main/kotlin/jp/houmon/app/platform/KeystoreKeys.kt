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

/**
 * The 32-byte key of the core's encrypted store, wrapped by an AES-256-GCM
 * key that never leaves the Android Keystore (hardware-backed where the
 * phone has it). The wrapped key lives in the app's private files:
 * `version(1) ‖ iv(12) ‖ ciphertext+tag`. Made on first use.
 */
class KeystoreKeys(context: Context) : KeyProvider {
    private val file = File(context.noBackupFilesDir, "houmon-store.key")

    override fun databaseKey(): ByteArray = try {
        if (file.exists()) unwrap(file.readBytes()) else create()
    } catch (e: Exception) {
        throw KeyProviderFailure.Unavailable(e.javaClass.simpleName)
    }

    private fun create(): ByteArray {
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey())
        val sealed = cipher.doFinal(key)
        val tmp = File(file.parentFile, file.name + ".tmp")
        tmp.writeBytes(byteArrayOf(VERSION) + cipher.iv + sealed)
        if (!tmp.renameTo(file)) throw java.io.IOException("key file not saved")
        return key
    }

    private fun unwrap(bytes: ByteArray): ByteArray {
        require(bytes.size > 1 + IV_BYTES && bytes[0] == VERSION) { "key file" }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, bytes, 1, IV_BYTES))
        return cipher.doFinal(bytes, 1 + IV_BYTES, bytes.size - 1 - IV_BYTES)
    }

    private fun wrappingKey(): SecretKey {
        val store = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (store.getEntry(ALIAS, null) as? KeyStore.SecretKeyEntry)?.let { return it.secretKey }
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

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "houmon-store-wrapping-key"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
    }
}
