// SPDX-License-Identifier: MPL-2.0
// Runs the app-logic tests (android/app/src/test) on the JVM with JUnit 4,
// printing each result and "N passed, N failed"; exits non-zero on a failure.

import jp.houmon.app.RoundFlowTest
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

fun main() {
    val core = JUnitCore()
    val failed = mutableSetOf<Description>()
    core.addListener(object : RunListener() {
        override fun testFailure(failure: Failure) {
            failed += failure.description
            println("FAIL ${failure.description.methodName}: ${failure.message}")
            failure.exception.stackTrace.take(8).forEach { println("    at $it") }
        }

        override fun testFinished(description: Description) {
            if (description !in failed) println("PASS ${description.methodName}")
        }
    })
    val result = core.run(RoundFlowTest::class.java)
    println("${result.runCount - result.failureCount} passed, ${result.failureCount} failed")
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}
