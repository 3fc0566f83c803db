// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import SwiftUI

/// The day's round: patients grouped by place, with the last server result and its date.
struct RoundView: View {
    @ObservedObject var app: AppModel
    @ObservedObject var round: RoundModel
    @ObservedObject var sync: SyncModel

    var body: some View {
        List {
            Section {
                if round.offline {
                    Label(Labels.offline, systemImage: "wifi.slash")
                    if let at = round.fetchedAt {
                        Text("\(at.formatted(date: .abbreviated, time: .shortened)) に取得した内容を表示しています").font(.footnote)
                    }
                }
                Text(sync.line).font(.callout)
                if let error = round.error { Text(error).foregroundStyle(.red) }
            }
            ForEach(round.groups) { group in
                Section(group.title) {
                    ForEach(group.patients) { row in
                        Button {
                            Task { await app.openVisit(patientId: row.patientId) }
                        } label: {
                            VStack(alignment: .leading, spacing: 4) {
                                Text(row.name + (row.patientId == app.suggested ? "  ← 次" : "")).font(.headline)
                                Text(row.address).font(.footnote)
                                Text(row.eligibility).font(.callout)
                                if row.visitedToday { Text("本日訪問済み").foregroundStyle(.green) }
                            }
                            .frame(minHeight: touchTarget, alignment: .leading)
                        }
                        .accessibilityLabel("\(row.name)、\(row.eligibility)\(row.visitedToday ? "、本日訪問済み" : "")")
                    }
                }
            }
        }
        .navigationTitle("本日の訪問")
        .refreshable { await sync.syncNow(); await round.load() }
        .toolbar {
            ToolbarItemGroup(placement: .bottomBar) {
                Button("予定外の患者") { Task { await app.openVisit(patientId: nil) } }
                Button("未送信") { app.show(.queue) }
                Button("設定") { app.show(.settings) }
            }
        }
        .task { await round.load() }
    }
}
