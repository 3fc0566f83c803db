// The Houmon Android app: `core` builds the Rust core for the phone's ABIs
// (cargo-ndk) and generates its Kotlin bindings (the in-repo
// uniffi-bindgen); `app` is the application.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "houmon-android"
include(":core", ":app")
