// SPDX-License-Identifier: MPL-2.0
package jp.houmon.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.AssistChip
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import jp.houmon.app.logic.AppController
import jp.houmon.app.logic.Labels
import jp.houmon.app.logic.PatientRow
import jp.houmon.app.logic.japanese

/** The day's round: patients grouped by place, with the last server result and its date. */
@Composable
fun RoundScreen(app: AppController, onOpen: (String?) -> Unit) {
    val round by app.round.screen.collectAsState()
    val sync by app.sync.status.collectAsState()
    Column(Modifier.fillMaxSize().padding(16.dp)) {
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Text("${round.day.japanese()}の訪問", style = MaterialTheme.typography.headlineSmall)
            if (round.offline) {
                AssistChip(onClick = {}, label = { Text(Labels.OFFLINE) })
            }
        }
        if (round.offline && round.fetchedAt != null) {
            Text("${round.fetchedAt!!.japanese()} に取得した内容を表示しています", style = MaterialTheme.typography.bodySmall)
        }
        Text(sync.line, style = MaterialTheme.typography.bodyMedium)
        round.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        if (round.loading) CircularProgressIndicator()
        LazyColumn(Modifier.weight(1f)) {
            round.groups.forEach { group ->
                item(key = "h-" + group.title) {
                    Text(group.title, style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 12.dp))
                }
                items(group.patients, key = { it.patientId }) { row ->
                    PatientCard(row, suggested = row.patientId == app.suggested) { onOpen(row.patientId) }
                }
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            TextButton(onClick = { onOpen(null) }, modifier = Modifier.heightIn(min = TouchTarget)) { Text("予定外の患者") }
            TextButton(onClick = app::showQueue, modifier = Modifier.heightIn(min = TouchTarget)) { Text("未送信") }
            TextButton(onClick = app::showSettings, modifier = Modifier.heightIn(min = TouchTarget)) { Text("設定") }
        }
    }
}

@Composable
private fun PatientCard(row: PatientRow, suggested: Boolean, onClick: () -> Unit) {
    val said = buildString {
        append(row.name).append("、").append(row.eligibility)
        if (row.visitedToday) append("、本日訪問済み")
        if (suggested) append("、次の訪問先")
    }
    Card(
        Modifier.fillMaxWidth().padding(vertical = 4.dp).heightIn(min = TouchTarget)
            .clickable(onClick = onClick).semantics { contentDescription = said },
    ) {
        Column(Modifier.padding(12.dp)) {
            Text(row.name + if (suggested) "  ← 次" else "", style = MaterialTheme.typography.titleMedium)
            Text(row.address, style = MaterialTheme.typography.bodySmall)
            Text(row.eligibility, style = MaterialTheme.typography.bodyMedium)
            if (row.visitedToday) Text("本日訪問済み", color = MaterialTheme.colorScheme.secondary)
        }
    }
}
