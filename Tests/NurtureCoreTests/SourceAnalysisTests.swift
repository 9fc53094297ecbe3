import Foundation
import NurtureCore
import Testing

/// Issue 15.1: leads by source, priced with a costs file.
@Suite struct SourceAnalysisTests {
    func lead(_ address: String, _ source: LeadSource?) throws -> Lead {
        Lead(email: try EmailAddress(address), source: source)
    }

    @Test func sourcesArePricedPerLeadAndPerConversion() throws {
        var builder = SourceAnalysis.Builder()
        let ads = LeadSource(source: "ads", medium: "cpc", campaign: "spring")
        builder.add(try lead("a@x.example", ads), score: LeadScore(fit: 20, engagement: 10), stages: ["mql"], converted: true)
        builder.add(try lead("b@x.example", ads), score: LeadScore(fit: 0, engagement: 2), stages: [], converted: false)
        builder.add(try lead("c@x.example", LeadSource(source: "ads", medium: "social")), score: LeadScore(fit: 10), stages: ["mql"], converted: false)
        builder.add(try lead("d@x.example", LeadSource(source: "webinar")), score: LeadScore(fit: 5), stages: [], converted: true)
        builder.add(try lead("e@x.example", nil), score: .zero, stages: [], converted: false)
        let costs = [SourceCost(source: "ads", amount: 300, month: "2030-01"), SourceCost(source: "ads", amount: 99, month: "2029-12"),
                     SourceCost(source: "webinar", amount: 40), SourceCost(source: "print", amount: 10, month: "2030-01")]
        let analysis = builder.finish(costs: costs, months: "2030-01"..."2030-01")
        #expect(analysis.rows.map { $0.source?.source ?? "-" } == ["ads", "-", "webinar", "print"], "most leads first, then by name")
        let row = analysis.rows[0]
        #expect(row.leads == 3 && row.conversions == 1 && row.stages == ["mql": 2])
        #expect(row.conversionRate == 1.0 / 3 && row.averageScore == 14 && row.averageFit == 10)
        #expect(row.spend == 300, "December's spend is outside January")
        #expect(row.costPerLead == 100 && row.costPerConversion == 300)
        #expect(row.breakdown.map { $0.source?.medium } == ["cpc", "social"] && row.breakdown.map(\.leads) == [2, 1])
        #expect(analysis.rows[2].costPerLead == 40 && analysis.rows[2].costPerConversion == 40)
        #expect(analysis.rows[3].leads == 0 && analysis.rows[3].spend == 10 && analysis.rows[3].costPerLead == nil)
        #expect(analysis.rows[1].spend == 0, "with costs, a source without any spent nothing")
        #expect(builder.finish(costs: nil, months: nil).rows.allSatisfy { $0.spend == nil })
    }

    @Test func aCostsFileIsReadWithEveryBadRowAnError() throws {
        #expect(try SourceCost.parse("amount,source,month\n12.5,ads,2030-01\n3,webinar,\n")
            == [SourceCost(source: "ads", amount: 12.5, month: "2030-01"), SourceCost(source: "webinar", amount: 3)])
        #expect(throws: SourceCost.Problem(line: 2, reason: "month '2030-13' is not like 2030-01")) { try SourceCost.parse("source,amount,month\nads,1,2030-13\n") }
        #expect(throws: SourceCost.Problem(line: 3, reason: "amount '-4' is not a number of 0 or more")) { try SourceCost.parse("source,amount\nads,1\nads,-4\n") }
        #expect(throws: SourceCost.Problem(line: 1, reason: "the header needs 'source' and 'amount' columns (found: src, cost)")) {
            try SourceCost.parse("src,cost\n")
        }
    }
}
