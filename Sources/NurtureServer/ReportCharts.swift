import Foundation
import NurtureCore

/// The report page's charts: inline SVG, drawn on the server, no scripts. Horizontal
/// positions are percentages of the chart's width and everything vertical is in pixels,
/// so a chart fills a phone or a desktop column with its text at the same size.
enum ReportCharts {
    struct Series {
        var name: String
        var color: String
    }

    /// A bar's value and what it is of.
    struct Bar {
        var series: Series
        var value: Int
    }

    /// A labelled group of bars: a step in the funnel, a period over time.
    struct Group {
        var label: String
        var bars: [Bar]
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value) }

    /// Round numbers for an axis from 0 to at least `largest`: 1, 2 or 5 times a power of ten apart.
    static func ticks(upTo largest: Int, count: Int = 4) -> [Int] {
        let top = max(1, largest)
        let rough = Double(top) / Double(count)
        let power = pow(10, floor(log10(rough)))
        let step = max(1, Int([1.0, 2.0, 5.0, 10.0].map { $0 * power }.first { $0 >= rough } ?? 10 * power))
        let last = ((top + step - 1) / step) * step
        return Array(stride(from: 0, through: last, by: step))
    }

    /// The value axis of a chart: round ticks from 0 past its largest bar, and the value
    /// its full length stands for (the last tick).
    static func axis(_ groups: [Group]) -> (ticks: [Int], scale: Double) {
        let ticks = ticks(upTo: groups.flatMap(\.bars).map(\.value).max() ?? 0)
        return (ticks, Double(ticks.last ?? 1))
    }

    /// Thousands as `1.2k` on an axis, where room is short.
    static func short(_ value: Int) -> String {
        value >= 10_000
            ? "\(value / 1000)k" : value >= 1000 ? String(format: "%.1fk", Double(value) / 1000) : String(value)
    }

    /// The funnel: per group, one horizontal bar per series with its value at its end; an
    /// axis of round numbers below with its gridlines and title.
    static func funnel(_ groups: [Group], label: String, axisTitle: String) -> String {
        let barHeight = 14
        let barGap = 3
        let labelHeight = 20
        let groupGap = 10
        let axisHeight = 36
        // Bars end at 84% at most: the rest holds the largest bar's value.
        let plot = 84.0
        let (ticks, scale) = axis(groups)
        var y = 4
        var body = ""
        for group in groups {
            body +=
                "<text class=\"group\" x=\"0\" y=\"\(y + 14)\" font-size=\"13\" font-weight=\"600\" fill=\"#1f2933\">\(Page.escape(group.label))</text>"
            y += labelHeight
            for bar in group.bars {
                let width = Double(bar.value) / scale * plot
                body +=
                    "<rect x=\"0\" y=\"\(y)\" width=\"\(percent(width))\" height=\"\(barHeight)\" fill=\"\(bar.series.color)\">"
                body += "<title>\(Page.escape(group.label)), \(bar.series.name): \(bar.value)</title></rect>"
                body +=
                    "<text class=\"value\" x=\"\(percent(width))\" dx=\"4\" y=\"\(y + barHeight - 3)\" font-size=\"11\" fill=\"#3e4c59\">\(bar.value)</text>"
                y += barHeight + barGap
            }
            y += groupGap
        }
        let plotBottom = y
        var grid = ""
        for tick in ticks {
            let x = percent(Double(tick) / scale * plot)
            let anchor = tick == 0 ? "start" : "middle"
            grid += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(plotBottom)\" stroke=\"#e4e7eb\"/>"
            grid +=
                "<text class=\"tick\" x=\"\(x)\" y=\"\(plotBottom + 14)\" text-anchor=\"\(anchor)\" font-size=\"11\" fill=\"#52606d\">\(short(tick))</text>"
        }
        grid += "<line x1=\"0\" y1=\"\(plotBottom)\" x2=\"\(percent(plot))\" y2=\"\(plotBottom)\" stroke=\"#9aa5b1\"/>"
        grid +=
            "<text class=\"axis-title\" x=\"\(percent(plot / 2))\" y=\"\(plotBottom + 30)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#52606d\">\(Page.escape(axisTitle))</text>"
        let height = plotBottom + axisHeight
        return
            "<svg class=\"chart funnel\" role=\"img\" aria-label=\"\(Page.escape(label))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" height=\"\(height)\">"
            + grid + body + "</svg>"
    }

    /// Over time: per group (a period) one column per series, a value axis of round
    /// numbers at the left with gridlines, the period under each group (every other one
    /// when there are many), and the first series' value above its column.
    static func columns(_ groups: [Group], label: String) -> String {
        let plotTop = 16
        let plotHeight = 150
        let left = 9.0
        let right = 100.0
        let (ticks, scale) = axis(groups)
        var svg = ""
        for tick in ticks {
            let y = plotTop + plotHeight - Int((Double(tick) / scale * Double(plotHeight)).rounded())
            svg +=
                "<line x1=\"\(percent(left))\" y1=\"\(y)\" x2=\"100%\" y2=\"\(y)\" stroke=\"\(tick == 0 ? "#9aa5b1" : "#e4e7eb")\"/>"
            svg +=
                "<text class=\"tick\" x=\"\(percent(left))\" dx=\"-4\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"11\" fill=\"#52606d\">\(short(tick))</text>"
        }
        let slot = (right - left) / Double(max(1, groups.count))
        let every = groups.count > 8 ? 2 : 1
        for (index, group) in groups.enumerated() {
            let start = left + slot * Double(index)
            let barWidth = slot * 0.8 / Double(max(1, group.bars.count))
            for (offset, bar) in group.bars.enumerated() {
                let height = Int((Double(bar.value) / scale * Double(plotHeight)).rounded())
                let x = start + slot * 0.1 + barWidth * Double(offset)
                svg +=
                    "<rect x=\"\(percent(x))\" y=\"\(plotTop + plotHeight - height)\" width=\"\(percent(barWidth * 0.9))\" height=\"\(height)\" fill=\"\(bar.series.color)\">"
                svg += "<title>\(Page.escape(group.label)), \(bar.series.name): \(bar.value)</title></rect>"
                if offset == 0, groups.count <= 12 {
                    svg +=
                        "<text class=\"value\" x=\"\(percent(x + barWidth * 0.45))\" y=\"\(plotTop + plotHeight - height - 3)\" text-anchor=\"middle\" font-size=\"10\" fill=\"#3e4c59\">\(short(bar.value))</text>"
                }
            }
            if index % every == 0 {
                svg +=
                    "<text class=\"period\" x=\"\(percent(start + slot / 2))\" y=\"\(plotTop + plotHeight + 16)\" text-anchor=\"middle\" font-size=\"11\" fill=\"#52606d\">\(Page.escape(group.label))</text>"
            }
        }
        return
            "<svg class=\"chart columns\" role=\"img\" aria-label=\"\(Page.escape(label))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" height=\"\(plotTop + plotHeight + 26)\">"
            + svg + "</svg>"
    }

    /// The legend, in HTML so it wraps to the width it has.
    static func legend(_ series: [Series]) -> String {
        "<ul class=\"legend\">"
            + series.map { "<li><i style=\"background:\($0.color)\"></i>\(Page.escape($0.name))</li>" }.joined()
            + "</ul>"
    }
}
