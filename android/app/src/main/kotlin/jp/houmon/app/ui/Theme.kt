// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp

/** Buttons at a door are pressed with gloves on: never smaller than this. */
val TouchTarget = 56.dp

private val Light = lightColorScheme(primary = Color(0xFF1B5E7A), secondary = Color(0xFF3D6B4F), error = Color(0xFFB3261E))
private val Dark = darkColorScheme(primary = Color(0xFF8CCFEA), secondary = Color(0xFFA3D3B2))

@Composable
fun HoumonTheme(content: @Composable () -> Unit) {
    // Text sizes are in sp: they follow the phone's font scale.
    MaterialTheme(colorScheme = if (isSystemInDarkTheme()) Dark else Light, content = content)
}
