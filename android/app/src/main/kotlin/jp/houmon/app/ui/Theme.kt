// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp

/** Buttons at a door are pressed with gloves on: never smaller than this. */
val TouchTarget = 56.dp

/** Content wider than this (tablets, unfolded phones) is centred, not stretched. */
val MaxContentWidth = 640.dp

private val Light = lightColorScheme(
    primary = Color(0xFF1B5E7A),
    onPrimary = Color.White,
    secondary = Color(0xFF3D6B4F),
    error = Color(0xFFB3261E),
    background = Color(0xFFFBFCFD),
    surface = Color(0xFFFBFCFD),
)

private val Dark = darkColorScheme(
    primary = Color(0xFF8CCFEA),
    onPrimary = Color(0xFF003546),
    secondary = Color(0xFFA3D3B2),
    error = Color(0xFFFFB4AB),
    background = Color(0xFF111416),
    surface = Color(0xFF111416),
)

/**
 * The app's colours, light or dark with the phone; the root [Surface]
 * draws the scheme's background so that text and buttons always sit on
 * their own scheme (the window theme follows too: `values-night`). Text
 * sizes are in sp: they follow the phone's font scale.
 */
@Composable
fun HoumonTheme(content: @Composable () -> Unit) {
    val scheme = if (isSystemInDarkTheme()) Dark else Light
    MaterialTheme(colorScheme = scheme) {
        Surface(Modifier.fillMaxSize(), color = scheme.background, contentColor = scheme.onBackground, content = content)
    }
}
