/// One version of a step in an A/B test: its own subject and/or template. What it does
/// not give it takes from the step.
public struct StepVariant: Sendable, Hashable {
    public var id: String
    public var subject: String
    public var template: String
    public var location: SourceLocation
    public var subjectLocation: SourceLocation
    public var templateLocation: SourceLocation

    public init(
        id: String, subject: String, template: String, location: SourceLocation,
        subjectLocation: SourceLocation? = nil, templateLocation: SourceLocation? = nil
    ) {
        self.id = id
        self.subject = subject
        self.template = template
        self.location = location
        self.subjectLocation = subjectLocation ?? location
        self.templateLocation = templateLocation ?? location
    }
}

/// When an A/B test ends: `metric`'s best variant wins once every variant has been sent
/// `after` times and it beats each other one at 95% (a two-proportion test); or the
/// variant the file picks (`pick`), at once.
public struct WinnerRule: Sendable, Hashable {
    public enum Metric: String, Sendable, Hashable, CaseIterable {
        case openRate = "open_rate"
        case clickRate = "click_rate"
        case conversionRate = "conversion_rate"
    }

    public var metric: Metric
    public var after: Int
    /// A variant chosen by hand: later leads get it, whatever the numbers say.
    public var pick: String?

    public init(metric: Metric = .clickRate, after: Int = 0, pick: String? = nil) {
        self.metric = metric
        self.after = after
        self.pick = pick
    }
}

extension Step {
    /// The step as one of its variants renders it: the variant's subject and template,
    /// the variant's id in `variantID`. An id the step no longer has (or nil) gives its
    /// first variant; a step without variants is itself.
    public func rendering(variant id: String?) -> Step {
        guard let variant = variants.first(where: { $0.id == id }) ?? variants.first else { return self }
        var copy = self
        copy.variantID = variant.id
        copy.subject = variant.subject
        copy.template = variant.template
        copy.subjectLocation = variant.subjectLocation
        copy.templateLocation = variant.templateLocation
        return copy
    }

    /// Every version of the step that can be sent: one per variant, or the step itself.
    public var renderings: [Step] {
        variants.isEmpty ? [self] : variants.map { rendering(variant: $0.id) }
    }

    /// How messages name it: `'welcome'`, or `'welcome' (variant b)`.
    public var label: String { variantID.map { "'\(id)' (variant \($0))" } ?? "'\(id)'" }

    /// The name its subject line is registered under: per variant when it has them.
    public var subjectKey: String { (variantID ?? variants.first?.id).map { "\(id)/\($0)" } ?? id }
}
