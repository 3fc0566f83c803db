// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import SwiftUI

/// The day's round: patients grouped by place (homes, a facility's floors),
/// the last server result with its time, visited marks and the next patient,
/// all as the core wrote them.
struct RoundPage: View {
    let round: RoundView
    let model: AppModel

    var body: some View {
        List {
            Section {
                Text(round.title).font(.headline).accessibilityAddTraits(.isHeader)
                if let line = round.offlineLine {
                    Label(line, systemImage: "wifi.slash").font(.footnote)
                }
                if let error = round.error {
                    Text(error).foregroundStyle(.red)
                }
                if round.signInNeeded {
                    Button("サインインする") { model.send(.openSignIn) }
                        .frame(minHeight: touchTarget)
                }
                if round.loading {
                    ProgressView()
                }
                if let empty = round.emptyLine {
                    Text(empty)
                }
            }
            ForEach(round.groups, id: \.title) { group in
                Section {
                    ForEach(group.patients, id: \.patientId) { row in
                        PatientCell(row: row, model: model)
                    }
                } header: {
                    Text(group.title).accessibilityAddTraits(.isHeader)
                }
            }
        }
        .refreshable {
            model.send(.refresh)
            await model.settle()
        }
        .toolbar {
            ToolbarItemGroup(placement: .bottomBar) {
                Menu("予定外の訪問") {
                    ForEach(round.unplanned, id: \.label) { option in
                        Button(option.label) { model.send(.openUnplannedVisit(kind: option.kind)) }
                    }
                }
                Button("未送信") { model.send(.openQueue) }
                Button("設定") { model.send(.openSettings) }
            }
        }
    }
}

/// One patient: a tap opens the visit; at a facility, the card's custody.
private struct PatientCell: View {
    let row: PatientRow
    let model: AppModel

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Button {
                model.send(.openPatient(patientId: row.patientId))
            } label: {
                VStack(alignment: .leading, spacing: 4) {
                    HStack {
                        Text(row.name).font(.headline)
                        Text(row.ageLine).font(.subheadline)
                        if row.next {
                            Text("次").font(.caption.weight(.bold)).padding(.horizontal, 6)
                                .background(Capsule().stroke())
                        }
                    }
                    Text(row.address).font(.footnote)
                    Text(row.eligibility.label).font(.callout)
                    if let visited = row.visitedLine {
                        Text(visited).font(.callout).foregroundStyle(.green)
                    }
                    if let consent = row.consentLine {
                        Text(consent).font(.footnote)
                    }
                }
                .frame(maxWidth: .infinity, minHeight: touchTarget, alignment: .leading)
            }
            .accessibilityElement(children: .combine)
            .accessibilityLabel(spoken)
            if let custody = row.custody {
                Text(custody.text).font(.footnote).foregroundStyle(custody.out ? .orange : .secondary)
            }
            if row.canTakeCard || row.canReturnCard {
                HStack {
                    if row.canTakeCard {
                        Button("カードを預かる") { model.send(.takeCard(patientId: row.patientId)) }
                    }
                    if row.canReturnCard {
                        Button("カードを返却") { model.send(.returnCard(patientId: row.patientId)) }
                    }
                }
                .buttonStyle(.bordered)
                .frame(minHeight: touchTarget)
            }
        }
        .buttonStyle(.borderless)
    }

    private var spoken: String {
        var parts = [row.name, row.ageLine, row.eligibility.label]
        if let visited = row.visitedLine { parts.append(visited) }
        if row.next { parts.append("次の患者さん") }
        return parts.joined(separator: "、")
    }
}
