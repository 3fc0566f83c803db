// SPDX-License-Identifier: MPL-2.0
import Foundation
import HoumonCore

public struct PatientRow: Equatable, Identifiable {
    public var id: String { patientId }
    public let patientId: String
    public let name: String
    public let address: String
    /// Only from a server result, with its date; marked when shown offline.
    public let eligibility: String
    public let cardEnrolled: Bool
    public let visitedToday: Bool
    public let facility: String?
}

public struct PatientGroup: Equatable, Identifiable {
    public var id: String { title }
    public let title: String
    public let patients: [PatientRow]
}

/// The day's round (only this phone's patients), or the kept copy offline;
/// homes first, then each facility.
@MainActor
public final class RoundModel: ObservableObject {
    @Published public private(set) var groups: [PatientGroup] = []
    @Published public private(set) var offline = false
    @Published public private(set) var fetchedAt: Date?
    @Published public private(set) var loading = false
    @Published public private(set) var error: String?

    private let core: HoumonCore
    private var patients: [RosterPatient] = []
    private var visited: Set<String> = []

    public init(core: HoumonCore) {
        self.core = core
    }

    public func load(day: Date = Date()) async {
        loading = true
        defer { loading = false }
        do {
            let roster = try await core.roster(day: CalendarDate.inJapan(day))
            patients = roster.patients
            offline = !roster.fresh
            fetchedAt = roster.fetchedAt
            error = nil
            regroup()
        } catch {
            self.error = staffText(error)
        }
    }

    public func patient(_ id: String) -> RosterPatient? {
        patients.first { $0.patientId == id }
    }

    public func markVisited(_ id: String) {
        visited.insert(id)
        regroup()
    }

    /// The next patient not visited today, in round order after `id`.
    public func next(after id: String?) -> RosterPatient? {
        let order = groups.flatMap { $0.patients.map(\.patientId) }
        let start = id.flatMap { order.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        let rotated = Array(order[start...] + order[..<start])
        return rotated.first { !visited.contains($0) }.flatMap(patient)
    }

    private func regroup() {
        func row(_ p: RosterPatient) -> PatientRow {
            PatientRow(
                patientId: p.patientId, name: p.name, address: p.address,
                eligibility: p.eligibility.label, cardEnrolled: p.cardEnrolled,
                visitedToday: visited.contains(p.patientId), facility: p.facility
            )
        }
        let homes = patients.filter { $0.facility == nil }
        var out: [PatientGroup] = []
        if !homes.isEmpty { out.append(PatientGroup(title: Labels.home, patients: homes.map(row))) }
        let facilities = Set(patients.compactMap(\.facility)).sorted()
        for f in facilities {
            out.append(PatientGroup(title: f, patients: patients.filter { $0.facility == f }.map(row)))
        }
        groups = out
    }
}
