// The Rust core as an Android library: cargo-ndk builds libhoumon_ffi.so
// for each ABI with the `mobile` profile (LTO), then the in-repo
// uniffi-bindgen generates the Kotlin bindings from the arm64 library with
// the repository's uniffi.toml. JNA is the bindings' runtime.
//
// - Symbols kept (CARGO_PROFILE_MOBILE_STRIP=false): uniffi-bindgen reads
//   its metadata from the symbol table, which `strip = true` removes ("No
//   UniFFI metadata found"); AGP strips the packaged .so itself.
// - 16 KB pages: linked with max-page-size=16384 (NDK r28+ does it by
//   default; the flag keeps it so whatever NDK cargo-ndk finds).
// - Not the caller's environment: cargo from local.properties `cargo.dir`,
//   $CARGO_HOME/bin or ~/.cargo/bin (Android Studio started from a
//   launcher has no ~/.cargo/bin on PATH); the pinned NDK handed to
//   cargo-ndk; every manifest and the lockfile are inputs.
//
// scripts/android-check.py reads `cargoEnv` and the bindgen command line
// from this file and runs them on a `--profile mobile` host build in CI.
import java.util.Properties
import org.gradle.api.tasks.Exec

plugins {
    alias(libs.plugins.android.library)
}

val repo = rootDir.parentFile
val abis = listOf("arm64-v8a", "x86_64")
val jniOut = layout.buildDirectory.dir("rust/jniLibs")
val bindingsOut = layout.buildDirectory.dir("generated/uniffi/kotlin")

android {
    namespace = "jp.houmon.core"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = libs.versions.ndk.get()
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

val cargo: String = run {
    val local = Properties().apply {
        rootDir.resolve("local.properties").takeIf { it.exists() }?.inputStream()?.use { load(it) }
    }
    val home = System.getenv("CARGO_HOME") ?: "${System.getProperty("user.home")}/.cargo"
    listOfNotNull(local.getProperty("cargo.dir")?.let { "$it/cargo" }, "$home/bin/cargo")
        .firstOrNull { File(it).canExecute() } ?: "cargo"
}

/** The environment of every cargo run: symbols kept, 16 KB pages. */
val cargoEnv = mapOf(
    "CARGO_PROFILE_MOBILE_STRIP" to "false",
    "CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS" to "-C link-arg=-Wl,-z,max-page-size=16384",
    "CARGO_TARGET_X86_64_LINUX_ANDROID_RUSTFLAGS" to "-C link-arg=-Wl,-z,max-page-size=16384",
)

val rustSources = listOf("core", "ffi", "sync", "store").map { repo.resolve(it) }

val cargoNdk by tasks.registering(Exec::class) {
    description = "Builds the Rust core for ${abis.joinToString()} with cargo-ndk."
    workingDir = repo
    rustSources.forEach { inputs.dir(it.resolve("src")); inputs.file(it.resolve("Cargo.toml")) }
    inputs.file(repo.resolve("Cargo.toml"))
    inputs.file(repo.resolve("Cargo.lock"))
    inputs.property("env", cargoEnv)
    outputs.dir(jniOut)
    environment(cargoEnv)
    environment("ANDROID_NDK_HOME", android.ndkDirectory.path)
    commandLine(
        listOf(cargo, "ndk", "--platform", libs.versions.minSdk.get()) +
            abis.flatMap { listOf("-t", it) } +
            listOf("-o", jniOut.get().asFile.path, "build", "-p", "houmon-ffi", "--profile", "mobile"),
    )
}

val uniffiBindings by tasks.registering(Exec::class) {
    description = "Generates the Kotlin bindings from the built (unstripped) library."
    dependsOn(cargoNdk)
    workingDir = repo
    inputs.file(repo.resolve("uniffi.toml"))
    inputs.dir(jniOut)
    outputs.dir(bindingsOut)
    environment(cargoEnv)
    commandLine(
        cargo, "run", "-q", "-p", "uniffi-bindgen", "--", "generate",
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
