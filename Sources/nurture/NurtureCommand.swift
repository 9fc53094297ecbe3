import ArgumentParser
import Foundation
import NurtureCore

@main
struct NurtureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nurture",
        abstract: "Email nurture (drip) campaigns from files in git.",
        discussion: """
            Campaigns live in campaigns/*.yml, templates in templates/, state in nurture.sqlite.
            Exit codes: 0 success, 1 a user error (bad file, bad argument, failed validation),
            2 a failure of the world (store locked past its timeout, SMTP down).
            """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, LeadsCommand.self, EventCommand.self, UnsubscribeCommand.self, RunCommand.self,
            StatusCommand.self, RetryUnknownCommand.self, PreviewCommand.self, SimulateCommand.self, PlanCommand.self,
            ServeCommand.self, ReportCommand.self, SuppressCommand.self, InboundCommand.self, GuardCommand.self,
        ]
    )

    /// Runs the command and maps failures to PRODUCT.md's exit codes: argument errors
    /// are user errors (1), not ArgumentParser's usage code (64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UserError {
            Terminal.error(error.description)
            Foundation.exit(1)
        } catch let error as WorldError {
            Terminal.error(error.description)
            Foundation.exit(2)
        } catch let error as StoreError {
            Terminal.error(error.description)
            Foundation.exit(error.kind == .tooNew ? 1 : 2)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { Terminal.error(message) }
            }
            Foundation.exit(
                code == .success
                    ? 0
                    : code.rawValue == ExitCode.validationFailure.rawValue || code.rawValue == 64 ? 1 : code.rawValue)
        }
    }
}

/// A mistake in what the user gave us (file, argument, lead): exit code 1.
struct UserError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    /// An email address from the command line, or a user error saying what is wrong with it.
    static func parseEmail(_ text: String) throws -> EmailAddress {
        do { return try EmailAddress(text) } catch {
            throw UserError("'\(text)' is not a valid email address: \(error)")
        }
    }
}
