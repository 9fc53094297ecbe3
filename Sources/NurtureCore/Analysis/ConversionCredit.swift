import Foundation

/// Which send a conversion is credited to: of a converted drip's sent messages, the last
/// one (the step the lead read last before the goal). `report` and its periods both use it.
public enum ConversionCredit {
    public static func credited<Send>(
        _ sends: [Send], enrollment: KeyPath<Send, Int64>, sentAt: KeyPath<Send, Date>, row: KeyPath<Send, Int64>
    ) -> [Send] {
        Dictionary(grouping: sends, by: { $0[keyPath: enrollment] }).values.compactMap { sends in
            sends.max { ($0[keyPath: sentAt], $0[keyPath: row]) < ($1[keyPath: sentAt], $1[keyPath: row]) }
        }
    }
}
