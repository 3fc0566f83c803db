// SPDX-License-Identifier: MPL-2.0
import SwiftUI

/// A masked keypad for the PIN, the 照合番号B and a staff sign-in code. The
/// digits are bytes held only here until 決定, never a String in view state;
/// they are wiped when sent and whenever the pad goes away (back, cancel, a
/// new screen). The String handed to the core on 決定 cannot be wiped; the
/// core wipes its copy after use. VoiceOver says how many digits are in,
/// never a digit.
struct SecretPad: View {
    let title: String
    let hint: String?
    let minimum: Int
    let maximum: Int
    let triesLeft: UInt8?
    let warning: String?
    let submit: (String) -> Void
    @State private var digits: [UInt8] = []

    var body: some View {
        VStack(spacing: 12) {
            Text(title).font(.headline).accessibilityAddTraits(.isHeader)
            if let hint { Text(hint).font(.footnote) }
            if let triesLeft { Text("残り \(triesLeft) 回") }
            if let warning { Text(warning).foregroundStyle(.red) }
            Text(String(repeating: "●", count: digits.count)
                 + String(repeating: "○", count: max(0, maximum - digits.count)))
                .font(.largeTitle)
                .lineLimit(1)
                .minimumScaleFactor(0.4)
                .accessibilityLabel("\(digits.count) 桁入力済み")
            ForEach(["123", "456", "789", "<0>"], id: \.self) { row in
                HStack(spacing: 12) {
                    ForEach(Array(row), id: \.self) { key in
                        Button {
                            press(key)
                        } label: {
                            Text(face(key))
                                .font(.title2)
                                .frame(maxWidth: .infinity, minHeight: touchTarget)
                        }
                        .buttonStyle(.bordered)
                        .disabled(key == ">" && digits.count < minimum)
                        .accessibilityLabel(spoken(key))
                    }
                }
            }
        }
        .onDisappear(perform: wipe)
    }

    private func face(_ key: Character) -> String {
        key == "<" ? "⌫" : key == ">" ? "決定" : String(key)
    }

    private func spoken(_ key: Character) -> String {
        key == "<" ? "1文字消す" : key == ">" ? "決定" : String(key)
    }

    private func press(_ key: Character) {
        switch key {
        case "<":
            if !digits.isEmpty {
                digits[digits.count - 1] = 0
                digits.removeLast()
            }
        case ">":
            guard digits.count >= minimum else { return }
            let text = String(decoding: digits, as: UTF8.self)
            wipe()
            submit(text)
        default:
            if digits.count < maximum, let ascii = key.asciiValue { digits.append(ascii) }
        }
    }

    private func wipe() {
        for i in digits.indices { digits[i] = 0 }
        digits.removeAll()
    }
}
