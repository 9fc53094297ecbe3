/// One message of a drip sequence. The `id` is its identity: the store records sends
/// by step id, so renaming or reordering steps never resends one.
public struct Step: Sendable, Hashable {
    public var id: String
    public var timing: Timing
    public var subject: String
    /// Template path without extension, relative to `templates/` (`onboarding/welcome`).
    public var template: String
    /// A layout that wraps the step's body; nil for none.
    public var layout: String?
    public var condition: Condition?
    public var otherwise: ConditionFallback
    /// `renamed_from`: the id this step had before, whose history (sends, opens, clicks,
    /// report rows, conditions naming it) it carries over, so nothing is resent.
    public var renamedFrom: String?
    /// A/B versions of the step (empty: none). `subject` and `template` are then the
    /// first variant's; `rendering(variant:)` gives each one.
    public var variants: [StepVariant] = []
    /// When an A/B test picks its winner; nil: it never does.
    public var winner: WinnerRule?
    /// Values for variables a lead lacks (`defaults:` on the campaign, then the step's
    /// own, which win). A variable the templates always render that neither the lead
    /// nor a default gives holds the lead's message (`MessageRenderer.missingVariables`).
    public var defaults: [String: String] = [:]
    /// Which variant this is, in a step from `rendering(variant:)`; nil otherwise.
    public var variantID: String?
    /// Where the step is written, for messages about it.
    public var location: SourceLocation
    /// Where its `subject` and `template` values are written.
    public var subjectLocation: SourceLocation
    public var templateLocation: SourceLocation

    public enum Timing: Sendable, Hashable {
        /// After enrolment (first step) or after the previous step was sent.
        case wait(DripDuration)
        /// At a date of the lead's own (a custom attribute) plus an offset.
        case waitUntil(attribute: String, offset: DripDuration)
    }

    public init(
        id: String, timing: Timing, subject: String, template: String, layout: String? = nil,
        condition: Condition? = nil, otherwise: ConditionFallback = .skip, renamedFrom: String? = nil,
        location: SourceLocation,
        subjectLocation: SourceLocation? = nil, templateLocation: SourceLocation? = nil
    ) {
        self.renamedFrom = renamedFrom
        self.subjectLocation = subjectLocation ?? location
        self.templateLocation = templateLocation ?? location
        self.id = id
        self.timing = timing
        self.subject = subject
        self.template = template
        self.layout = layout
        self.condition = condition
        self.otherwise = otherwise
        self.location = location
    }
}
