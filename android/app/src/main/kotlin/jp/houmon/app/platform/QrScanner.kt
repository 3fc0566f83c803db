// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.platform

import android.annotation.SuppressLint
import android.content.Context
import android.graphics.ImageFormat
import android.hardware.camera2.CameraCaptureSession
import android.hardware.camera2.CameraCharacteristics
import android.hardware.camera2.CameraDevice
import android.hardware.camera2.CameraManager
import android.hardware.camera2.CaptureRequest
import android.media.ImageReader
import android.os.Handler
import android.os.HandlerThread
import android.view.Surface
import com.google.zxing.BarcodeFormat
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.MultiFormatReader
import com.google.zxing.NotFoundException
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.common.HybridBinarizer
import jp.houmon.core.isEnrolmentLink

/**
 * Reads the clinic's enrolment QR code with the back camera (camera2 and
 * ZXing's decoder; no Play Services). Frames are decoded on a background
 * thread; the first text the core calls an enrolment link is handed over and the
 * camera closes. [start] opens it again (after a refused code, when the
 * screen comes back): each start scans anew. The caller holds the CAMERA
 * permission.
 */
class QrScanner(private val context: Context, private val onText: (String) -> Unit) {
    private val thread = HandlerThread("houmon-qr").apply { start() }
    private val handler = Handler(thread.looper)
    private val reader = MultiFormatReader().apply {
        setHints(mapOf(DecodeHintType.POSSIBLE_FORMATS to listOf(BarcodeFormat.QR_CODE)))
    }
    private var camera: CameraDevice? = null
    private var session: CameraCaptureSession? = null
    private val images = ImageReader.newInstance(WIDTH, HEIGHT, ImageFormat.YUV_420_888, 2)
    @Volatile private var found = false

    @SuppressLint("MissingPermission")
    fun start(preview: Surface?) {
        stop()
        found = false
        val manager = context.getSystemService(CameraManager::class.java)
        val id = manager.cameraIdList.firstOrNull {
            manager.getCameraCharacteristics(it).get(CameraCharacteristics.LENS_FACING) == CameraCharacteristics.LENS_FACING_BACK
        } ?: return
        images.setOnImageAvailableListener({ decode(it) }, handler)
        manager.openCamera(id, object : CameraDevice.StateCallback() {
            override fun onOpened(device: CameraDevice) {
                camera = device
                val targets = listOfNotNull(images.surface, preview)
                @Suppress("DEPRECATION")
                device.createCaptureSession(targets, object : CameraCaptureSession.StateCallback() {
                    override fun onConfigured(s: CameraCaptureSession) {
                        session = s
                        val request = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW).apply {
                            targets.forEach { addTarget(it) }
                            set(CaptureRequest.CONTROL_AF_MODE, CaptureRequest.CONTROL_AF_MODE_CONTINUOUS_PICTURE)
                        }
                        s.setRepeatingRequest(request.build(), null, handler)
                    }

                    override fun onConfigureFailed(s: CameraCaptureSession) = stop()
                }, handler)
            }

            override fun onDisconnected(device: CameraDevice) = stop()
            override fun onError(device: CameraDevice, error: Int) = stop()
        }, handler)
    }

    fun stop() {
        runCatching { session?.close() }
        runCatching { camera?.close() }
        session = null
        camera = null
    }

    fun release() {
        stop()
        images.close()
        thread.quitSafely()
    }

    private fun decode(reader: ImageReader) {
        val image = reader.acquireLatestImage() ?: return
        try {
            if (found) return
            val plane = image.planes[0]
            val rowStride = plane.rowStride
            val bytes = ByteArray(plane.buffer.remaining()).also { plane.buffer.get(it) }
            val source = PlanarYUVLuminanceSource(bytes, rowStride, image.height, 0, 0, image.width, image.height, false)
            val text = try {
                this.reader.decodeWithState(BinaryBitmap(HybridBinarizer(source))).text
            } catch (e: NotFoundException) {
                null
            } finally {
                this.reader.reset()
            }
            if (text != null && isEnrolmentLink(text)) {
                found = true
                onText(text)
                stop()
            }
        } finally {
            image.close()
        }
    }

    private companion object {
        const val WIDTH = 1280
        const val HEIGHT = 720
    }
}
