// SPDX-License-Identifier: MPL-2.0
// Runs every JUnit 4 test class in the given jar (the app's JVM tests, or
// the Robolectric tests), printing each result and "N passed, N failed".
// Exits non-zero on a failure, and when no test ran at all: a test class
// that is never run, or a jar with none, is a broken check.
//
// Usage: RunAppTestsKt JAR [PACKAGE_PREFIX [NAME_PART]]  (NAME_PART: only the
// tests whose name contains it, for a developer's run; CI runs all)

import java.util.jar.JarFile
import java.lang.reflect.Modifier
import org.junit.Test
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.Request
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

/** Every concrete class in `jar` under `prefix` with a `@Test` method. */
fun testClasses(jar: String, prefix: String): List<Class<*>> = JarFile(jar).use { j ->
    j.entries().asSequence()
        .map { it.name }
        .filter { it.endsWith(".class") && !it.contains('$') && it.startsWith(prefix.replace('.', '/')) }
        .map { Class.forName(it.removeSuffix(".class").replace('/', '.'), false, Thread.currentThread().contextClassLoader) }
        .filter { c -> !Modifier.isAbstract(c.modifiers) && c.methods.any { it.isAnnotationPresent(Test::class.java) } }
        .sortedBy { it.name }
        .toList()
}

fun main(args: Array<String>) {
    val jar = args.getOrNull(0) ?: run {
        System.err.println("usage: RunAppTestsKt JAR [PACKAGE_PREFIX]")
        exitProcess(2)
    }
    val classes = testClasses(jar, args.getOrElse(1) { "jp.houmon.app" })
    val core = JUnitCore()
    val failed = mutableSetOf<Description>()
    core.addListener(object : RunListener() {
        override fun testFailure(failure: Failure) {
            failed += failure.description
            println("FAIL ${failure.description.className.substringAfterLast('.')}: ${failure.description.methodName}: ${failure.message}")
            failure.exception.stackTrace.take(8).forEach { println("    at $it") }
        }

        override fun testFinished(description: Description) {
            if (description !in failed) println("PASS ${description.className.substringAfterLast('.')}: ${description.methodName}")
        }
    })
    println("test classes: ${classes.joinToString { it.simpleName }}")
    var request = Request.classes(*classes.toTypedArray())
    args.getOrNull(2)?.let { part -> request = request.filterWith(object : org.junit.runner.manipulation.Filter() {
        override fun shouldRun(d: Description) = d.isSuite || d.methodName.orEmpty().contains(part)
        override fun describe() = "tests named *$part*"
    }) }
    val result = core.run(request)
    println("${result.runCount - result.failureCount} passed, ${result.failureCount} failed")
    if (result.runCount == 0) {
        System.err.println("no test ran: a test class that is never run checks nothing")
        exitProcess(1)
    }
    exitProcess(if (result.wasSuccessful()) 0 else 1)
}
