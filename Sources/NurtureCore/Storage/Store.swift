import Foundation

/// Where Nurture keeps its state. SQLite is the embedded default; a PostgreSQL store
/// satisfies the same protocol. Times are passed in: the store never reads a clock.
/// Everything Nurture keeps: leads, and the send loop's state.
public protocol Store: LeadStore, DripStore, ReportStore, MetricsStore, TrackingStore, StageStore, WebhookStore,
    SubscriptionStore, VariantStore, SuppressionStore, DryRunStore, InboundStore, GuardStore
{}
