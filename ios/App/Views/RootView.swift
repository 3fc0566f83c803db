// SPDX-License-Identifier: MPL-2.0
import HoumonAppLogic
import HoumonCore
import SwiftUI
import UIKit

/// Draws the core's view, whole: the header, the screen, the core's
/// question (a dialog), its notice. Navigation is the core's: 「戻る」 sends
/// `back` when the view says the core takes it.
struct RootView: View {
    @ObservedObject var model: AppModel
    let glue: Glue

    var body: some View {
        NavigationStack {
            if let view = model.view {
                ScreenView(view: view, model: model, glue: glue)
            } else {
                ProgressView("起動しています…")
            }
        }
        .dynamicTypeSize(...DynamicTypeSize.accessibility3)
    }
}

private struct ScreenView: View {
    let view: AppView
    let model: AppModel
    let glue: Glue

    var body: some View {
        content
            .safeAreaInset(edge: .top) { HeaderBar(view: view, model: model) }
            .navigationTitle(view.header.title)
            .navigationBarTitleDisplayMode(.inline)
            .navigationBarBackButtonHidden(true)
            .toolbar {
                ToolbarItem(placement: .navigationBarLeading) {
                    if view.canGoBack {
                        Button("戻る") { model.send(.back) }
                    }
                }
            }
            .alert(
                view.confirmation?.title ?? "",
                isPresented: .constant(view.confirmation != nil),
                presenting: view.confirmation
            ) { question in
                Button(question.confirmLabel, role: question.destructive ? .destructive : nil) {
                    model.send(.confirm)
                }
                Button(question.dismissLabel, role: .cancel) { model.send(.dismiss) }
            } message: { question in
                Text(question.message)
            }
    }

    @ViewBuilder private var content: some View {
        switch view.screen {
        case .opening:
            ProgressView("起動しています…")
        case let .recovery(recovery):
            RecoveryPage(recovery: recovery, model: model)
        case let .enrol(enrol):
            EnrolPage(enrol: enrol, model: model)
        case let .signIn(signIn):
            SignInPage(signIn: signIn, model: model)
        case let .round(round):
            RoundPage(round: round, model: model)
        case let .visit(visit):
            VisitPage(visit: visit, nfc: view.nfc, model: model, sheet: glue.sheet)
        case let .reception(reception):
            ReceptionPage(reception: reception, model: model)
        case let .queue(queue):
            QueuePage(queue: queue, model: model)
        case let .settings(settings):
            SettingsPage(settings: settings, model: model)
        }
    }
}

/// Who is signed in, the network and what waits to be sent; the screen's
/// notice; NFC when it cannot be used.
private struct HeaderBar: View {
    let view: AppView
    let model: AppModel

    var body: some View {
        let header = view.header
        VStack(alignment: .leading, spacing: 4) {
            if let staff = header.staffLine {
                Text(staff).font(.footnote)
            }
            Label(header.syncLine, systemImage: header.offline ? "wifi.slash" : "arrow.up.circle")
                .font(.footnote)
            if let blocked = header.blocked {
                Text(blocked).font(.footnote.weight(.semibold)).foregroundStyle(.red)
            }
            if let notice = view.notice {
                Text(notice.text)
                    .font(.callout.weight(.semibold))
                    .foregroundStyle(color(of: notice.kind))
            }
            if let message = view.nfc.message {
                Text(message).font(.callout).foregroundStyle(.red)
                if view.nfc.offerSettings {
                    Button("設定を開く") { model.send(.openNfcSettings) }
                        .frame(minHeight: touchTarget)
                }
            }
        }
        .frame(maxWidth: .infinity, alignment: .leading)
        .padding(.horizontal)
        .padding(.vertical, 6)
        .background(.bar)
    }

    private func color(of kind: NoticeKind) -> Color {
        switch kind {
        case .info: return .primary
        case .success: return .green
        case .trouble: return .red
        }
    }
}

/// Over the app-switcher snapshot while patient data or the chip photo is
/// on screen (`AppView.protectScreen`).
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(uiColor: .systemBackground).ignoresSafeArea()
            VStack(spacing: 12) {
                Image(systemName: "lock.shield").font(.largeTitle)
                Text("訪問 資格確認").font(.title2)
            }
        }
        .accessibilityHidden(true)
    }
}

/// The app lock (`AppLock`): opaque, asks for Face ID or the passcode once
/// when it appears, then on its button.
struct LockScreen: View {
    @ObservedObject var lock: AppLock

    var body: some View {
        ZStack {
            Color(uiColor: .systemBackground).ignoresSafeArea()
            VStack(spacing: 16) {
                Image(systemName: "lock").font(.largeTitle).accessibilityHidden(true)
                Text("ロックされています").font(.title2).accessibilityAddTraits(.isHeader)
                if lock.noPasscode {
                    Text("この端末にはパスコードが設定されていないため、ロックできません。クリニックの管理者に連絡してください。")
                        .multilineTextAlignment(.center)
                    Button("続ける") { lock.continueWithoutPasscode() }
                        .buttonStyle(.borderedProminent)
                        .frame(minHeight: touchTarget)
                } else {
                    Button("ロックを解除") { lock.unlock() }
                        .buttonStyle(.borderedProminent)
                        .frame(minHeight: touchTarget)
                }
            }
            .padding()
        }
        .onAppear { lock.unlock() }
    }
}

/// Buttons at a door are pressed in a hurry: never smaller than this.
let touchTarget: CGFloat = 56
