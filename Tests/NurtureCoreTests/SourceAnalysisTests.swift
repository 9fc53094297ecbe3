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
        builder.add(
            try lead("a@x.example", ads), score: LeadScore(fit: 20, engagement: 10), stages: ["mql"], converted: true)
        builder.add(try lead("b@x.example", ads), score: LeadScore(fit: 0, engagement: 2), stages: [], converted: false)
        builder.add(
            try lead("c@x.example", LeadSource(source: "ads", medium: "social")), score: LeadScore(fit: 10),
            stages: ["mql"], converted: false)
        builder.add(
            try lead("d@x.example", LeadSource(source: "webinar")), score: LeadScore(fit: 5), stages: [],
            converted: true)
        builder.add(try lead("e@x.example", nil), score: .zero, stages: [], converted: false)
        let costs = [
            SourceCost(source: "ads", amount: 300, month: "2030-01"),
            SourceCost(source: "ads", amount: 99, month: "2029-12"),
            SourceCost(source: "webinar", amount: 40), SourceCost(source: "print", amount: 10, month: "2030-01"),
        ]
        let analysis = builder.finish(
            costs: costs, from: LocalDate(year: 2030, month: 1, day: 1),
            through: LocalDate(year: 2030, month: 1, day: 31))
        #expect(
            analysis.rows.map { $0.source?.source ?? "-" } == ["ads", "-", "webinar", "print"],
            "most leads first, then by name")
        let row = analysis.rows[0]
        #expect(row.leads == 3 && row.conversions == 1 && row.stages == ["mql": 2])
        #expect(row.conversionRate == 1.0 / 3 && row.averageScore == 14 && row.averageFit == 10)
        #expect(row.spend == 300, "December's spend is outside January")
        #expect(row.costPerLead == 100 && row.costPerConversion == 300)
        #expect(row.breakdown.map { $0.source?.medium } == ["cpc", "social"] && row.breakdown.map(\.leads) == [2, 1])
        #expect(analysis.rows[2].costPerLead == 40 && analysis.rows[2].costPerConversion == 40)
        #expect(analysis.rows[3].leads == 0 && analysis.rows[3].spend == 10 && analysis.rows[3].costPerLead == nil)
        #expect(
            analysis.rows[1].spend == nil, "issue 36.9: a source without a cost row has no known spend ('-'), not 0")
        #expect(builder.finish(costs: nil).rows.allSatisfy { $0.spend == nil })
    }

    /// Issue 36.9: a month's spend is charged for the days of it the period covers.
    @Test func aMonthsSpendIsProratedByTheDaysOfThePeriod() throws {
        let january = SourceCost(source: "ads", amount: 3100, month: "2030-01")
        func day(_ text: String) -> LocalDate? { LocalDate(parsing: text) }
        #expect(january.amount(from: day("2030-01-10"), through: day("2030-01-10")) == 100, "one day of 31")
        #expect(january.amount(from: day("2030-01-25"), through: day("2030-02-10")) == 700, "seven days of it")
        #expect(january.amount(from: day("2029-12-01"), through: day("2030-03-01")) == 3100)
        #expect(january.amount(from: day("2030-02-01"), through: nil) == 0)
        #expect(january.amount(from: nil, through: day("2030-01-02")) == 200)
        #expect(january.amount(from: nil, through: nil) == 3100, "no period: all of it")
        #expect(
            SourceCost(source: "print", amount: 50).amount(from: day("2030-01-10"), through: day("2030-01-10")) == 50,
            "no month: not prorated")
        let february = SourceCost(source: "ads", amount: 2800, month: "2030-02")
        var builder = SourceAnalysis.Builder()
        builder.add(try lead("a@x.example", LeadSource(source: "ads")), score: .zero, stages: [], converted: false)
        let analysis = builder.finish(costs: [january, february], from: day("2030-01-31"), through: day("2030-02-01"))
        #expect(analysis.rows.first?.spend == 200, "a day of each month")
    }

    @Test func aCostsFileIsReadWithEveryBadRowAnError() throws {
        #expect(
            try SourceCost.parse("amount,source,month\n12.5,ads,2030-01\n3,webinar,\n")
                == [
                    SourceCost(source: "ads", amount: 12.5, month: "2030-01"), SourceCost(source: "webinar", amount: 3),
                ])
        #expect(throws: SourceCost.Problem(line: 2, reason: "month '2030-13' is not like 2030-01")) {
            try SourceCost.parse("source,amount,month\nads,1,2030-13\n")
        }
        #expect(throws: SourceCost.Problem(line: 3, reason: "amount '-4' is not a number of 0 or more")) {
            try SourceCost.parse("source,amount\nads,1\nads,-4\n")
        }
        #expect(
            try SourceCost.parse("source,amount\nads,\"1,200\"\nprint,1 200.50\n").map(\.amount) == [1200, 1200.5],
            "thousands separators, as fit rules read them")
        #expect(
            throws: SourceCost.Problem(
                line: 1, reason: "the header needs 'source' and 'amount' columns (found: src, cost)")
        ) {
            try SourceCost.parse("src,cost\n")
        }
    }
}
