// The Rust core as an Android library: cargo-ndk builds libhoumon_ffi.so
// for each ABI (the `mobile` profile: LTO, stripped), and the in-repo
// uniffi-bindgen generates the Kotlin bindings from the built library with
// the repository's uniffi.toml. JNA is the bindings' runtime.
import org.gradle.api.tasks.Exec

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repo = rootDir.parentFile
val abis = listOf("arm64-v8a", "x86_64")
val jniOut = layout.buildDirectory.dir("rust/jniLibs")
val bindingsOut = layout.buildDirectory.dir("generated/uniffi/kotlin")

android {
    namespace = "jp.houmon.core"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = "27.2.12479018"
    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].jniLibs.srcDir(jniOut)
    sourceSets["main"].java.srcDir(bindingsOut)
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin { jvmToolchain(17) }

val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds the Rust core for ${abis.joinToString()} with cargo-ndk."
    workingDir = repo
    inputs.dir(repo.resolve("core/src")); inputs.dir(repo.resolve("ffi/src")); inputs.dir(repo.resolve("sync/src")); inputs.dir(repo.resolve("store/src"))
    outputs.dir(jniOut)
    commandLine(
        listOf("cargo", "ndk", "--platform", libs.versions.minSdk.get()) +
            abis.flatMap { listOf("-t", it) } +
            listOf("-o", jniOut.get().asFile.path, "build", "-p", "houmon-ffi", "--profile", "mobile"),
    )
}

val uniffiBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings from the built library."
    dependsOn(cargoNdk)
    workingDir = repo
    inputs.file(repo.resolve("uniffi.toml"))
    inputs.dir(jniOut)
    outputs.dir(bindingsOut)
    commandLine(
        "cargo", "run", "-q", "-p", "uniffi-bindgen", "--", "generate",
        "--config", "uniffi.toml", "--language", "kotlin", "--no-format",
        "--out-dir", bindingsOut.get().asFile.path,
        jniOut.get().asFile.resolve("arm64-v8a/libhoumon_ffi.so").path,
    )
}

tasks.named("preBuild") { dependsOn(uniffiBindings) }

dependencies {
    api("${libs.jna.get()}@aar")
    api(libs.kotlinx.coroutines.android)
}
