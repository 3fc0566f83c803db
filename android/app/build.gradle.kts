// The application. Kotlin is compiled by AGP 9 itself (built-in Kotlin);
// the Compose compiler plugin comes with Kotlin. JVM target 17 from
// compileOptions: no toolchain is asked for, so any JDK 17+ that runs
// Gradle builds it (Android Studio's bundled JDK 21 included).
//
// Tests are not Gradle's: the shell's JVM journeys (src/jvmTest) need the
// host-built core and the test card, and the Robolectric tests
// (src/robolectricTest) the same; scripts/kotlin-test.sh runs both. No
// src/test here, so :app:testDebugUnitTest has nothing it cannot run.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "jp.houmon.app"
    compileSdk = libs.versions.compileSdk.get().toInt()
    defaultConfig {
        applicationId = "jp.houmon.app"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
    }
    buildTypes {
        debug {
            // Phones and the emulator.
            ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
        }
        release {
            // The release ABI: the phones clinics use are 64-bit ARM.
            ndk { abiFilters += listOf("arm64-v8a") }
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    buildFeatures { compose = true }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    packaging {
        // Native libraries stay uncompressed and page-aligned in the APK.
        jniLibs.useLegacyPackaging = false
    }
}

dependencies {
    implementation(project(":core"))
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.material3)
    implementation(libs.compose.ui)
    implementation(libs.compose.foundation)
    implementation(libs.activity.compose)
    implementation(libs.lifecycle.runtime)
    implementation(libs.zxing.core)
}
