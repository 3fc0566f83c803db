// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.logic

import java.time.Clock
import java.time.LocalDate
import java.time.ZoneId
import java.time.format.DateTimeFormatter
import jp.houmon.core.CalendarDate

/** Rounds, consent and eligibility dates are dates in Japan. */
val JAPAN: ZoneId = ZoneId.of("Asia/Tokyo")

fun today(clock: Clock = Clock.systemUTC()): LocalDate = LocalDate.now(clock.withZone(JAPAN))

fun CalendarDate.toLocalDate(): LocalDate = LocalDate.of(year, month.toInt(), day.toInt())

fun LocalDate.toCalendarDate(): CalendarDate = CalendarDate(year, monthValue.toUByte(), dayOfMonth.toUByte())

private val DAY = DateTimeFormatter.ofPattern("M月d日")
private val DAY_TIME = DateTimeFormatter.ofPattern("M月d日 H:mm").withZone(JAPAN)

/** 「11月26日」 */
fun LocalDate.japanese(): String = DAY.format(this)

/** 「11月26日 9:05」, in Japan's time. */
fun java.time.Instant.japanese(): String = DAY_TIME.format(this)
