/// The `if:` of a step: what must be true of the lead for the step to be sent.
public indirect enum Condition: Sendable, Hashable {
    case opened(step: String)
    case clicked(step: String)
    case notOpened(step: String)
    case notClicked(step: String)
    /// The total score (fit + engagement) is at least this.
    case scoreAtLeast(Int)
    case fitAtLeast(Int)
    case engagementAtLeast(Int)
    /// The lead has recorded this event.
    case event(String)
    /// The lead has reached this lifecycle stage (and so any before it).
    case stage(String)
    case hasTag(String)
    case attribute(name: String, test: AttributeTest)
    case all([Condition])
    case any([Condition])

    /// The step ids this condition refers to, for checking that they exist and come earlier.
    public var referencedSteps: [String] {
        switch self {
        case .opened(let step), .clicked(let step), .notOpened(let step), .notClicked(let step): return [step]
        case .all(let list), .any(let list): return list.flatMap(\.referencedSteps)
        case .scoreAtLeast, .fitAtLeast, .engagementAtLeast, .event, .stage, .hasTag, .attribute: return []
        }
    }

    /// The stages it names, which nurture.yml must define.
    public var namedStages: [String] {
        switch self {
        case .stage(let id): return [id]
        case .all(let list), .any(let list): return list.flatMap(\.namedStages)
        default: return []
        }
    }

    /// Whether deciding it needs the lead's stages (which the send loop then reads).
    public var readsStages: Bool { !namedStages.isEmpty }

    /// Whether deciding it needs the lead's score (which the send loop then reads).
    public var readsScore: Bool {
        switch self {
        case .scoreAtLeast, .fitAtLeast, .engagementAtLeast: return true
        case .all(let list), .any(let list): return list.contains(where: \.readsScore)
        default: return false
        }
    }

    /// Custom attributes every lead for whom this condition holds must have (`exists:
    /// true`, `equals`, `in`): a step guarded so never renders them empty.
    public var requiredAttributes: Set<String> {
        switch self {
        case .attribute(let name, .exists(true)): return [name]
        case .attribute(let name, .equals(let value)) where !value.isEmpty: return [name]
        case .attribute(let name, .oneOf(let values)) where !values.contains(""): return [name]
        case .all(let list): return list.reduce(into: Set<String>()) { $0.formUnion($1.requiredAttributes) }
        case .any(let list):
            guard let first = list.first else { return [] }
            return list.dropFirst().reduce(first.requiredAttributes) { $0.intersection($1.requiredAttributes) }
        default: return []
        }
    }
}

/// What `attribute:` checks of a lead's custom attribute.
public enum AttributeTest: Sendable, Hashable {
    case equals(String)
    case notEquals(String)
    case oneOf([String])
    case exists(Bool)
}

/// What happens when a step's condition is false.
public enum ConditionFallback: String, Sendable, Hashable {
    /// The step is passed over and the drip moves on to the next one.
    case skip
    /// The lead leaves the campaign.
    case exit
}
