import Foundation
import NurtureCore

/// A data table of the report page. Every cell carries its column's name, so on a narrow
/// screen each row becomes a card of "name value" lines instead of scrolling sideways.
struct ReportTable {
    struct Column {
        var title: String
        /// The heading of a wide table (the full title shows on hover and in the cards).
        var heading: String
        /// Numbers align right.
        var numeric: Bool
        /// Long values (URLs) may break anywhere rather than widen the table.
        var wraps: Bool

        init(_ title: String, heading: String? = nil, numeric: Bool = true, wraps: Bool = false) {
            self.title = title
            self.heading = heading ?? title
            self.numeric = numeric
            self.wraps = wraps
        }

        var classes: String {
            let names = (numeric ? ["n"] : []) + (wraps ? ["wrap"] : [])
            return names.isEmpty ? "" : " class=\"\(names.joined(separator: " "))\""
        }
    }

    var className: String
    var columns: [Column]
    /// Cells as text, escaped here.
    var rows: [[String]]
    /// Rows drawn as a sub-row of the one before (a breakdown).
    var indented: Set<Int> = []

    var html: String {
        var out = "<table class=\"data \(className)\"><thead><tr>"
        out += columns.map { column in
            let title = column.heading == column.title ? "" : " title=\"\(Page.escape(column.title))\""
            return "<th\(column.classes) scope=\"col\"\(title)>\(Page.escape(column.heading))</th>"
        }.joined()
        out += "</tr></thead><tbody>"
        for (index, row) in rows.enumerated() {
            out += indented.contains(index) ? "<tr class=\"sub\">" : "<tr>"
            for (column, cell) in zip(columns, row) {
                out += "<td\(column.classes) data-label=\"\(Page.escape(column.title))\">\(Page.escape(cell))</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    static func pValue(_ p: Double?) -> String { p.map(VariantReport.pValueText) ?? "-" }

    /// The page's styles for charts, legends and tables: cards below 50rem, and below
    /// 75rem for tables with as many columns as the per-step one (class `wide`).
    static let style = """
        body{max-width:75rem}h1,h2,h3,p,summary{overflow-wrap:anywhere}
        section{margin:0 0 2.5rem}h2{margin:2rem 0 .5rem}h3{margin:1.5rem 0 .4rem;font-size:1.05rem}
        .chart{display:block;max-width:44rem;overflow:visible}
        .legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.4rem 0 1rem;font-size:.9rem}
        .legend li{display:flex;align-items:center;gap:.35rem}.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px}
        nav.periods a,nav.periods strong{margin-right:.6rem}
        table.data{border-collapse:collapse;width:100%;font-size:.85rem;font-variant-numeric:tabular-nums}
        table.data th{vertical-align:bottom}table.data .n{text-align:right}table.data tr.sub td:first-child{padding-left:1.4rem}
        table.data th,table.data td{padding:.2rem .45rem;white-space:nowrap}table.data td.wrap{white-space:normal;overflow-wrap:anywhere}
        details summary{cursor:pointer;margin:.5rem 0}
        """ + cards("table.data", below: "50rem") + cards("table.wide", below: "75rem")

    /// Below `width`, each row of the tables `selector` picks is a card of "column value"
    /// lines, side by side where there is room: no sideways scrolling on a phone.
    static func cards(_ selector: String, below width: String) -> String {
        """
        @media (max-width:\(width)){
        \(selector) thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        \(selector),\(selector) tr,\(selector) td{display:block;width:auto}
        \(selector) tbody{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.6rem}
        \(selector) tr{border:1px solid #e4e7eb;border-radius:4px;padding:.3rem .6rem}
        \(selector) td{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.1rem 0;text-align:right;white-space:normal;overflow-wrap:anywhere}
        \(selector) td::before{content:attr(data-label);font-weight:600;color:#52606d;text-align:left;flex:none}
        \(selector) td:first-child{font-weight:600}\(selector) tr.sub td:first-child{padding-left:0}
        }
        """
    }
}
