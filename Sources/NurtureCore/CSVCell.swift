import Foundation

/// One cell of a CSV that people will open in a spreadsheet.
public enum CSVCell {
    /// Quoted when needed (RFC 4180); text a spreadsheet would run as a formula (starting
    /// with = + - @, a tab or a CR) gets a leading apostrophe, numbers excepted.
    public static func escape(_ value: String) -> String {
        var cell = value
        if let first = cell.first, "=+-@\t\r".contains(first), Double(cell) == nil { cell = "'" + cell }
        if cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            cell = "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return cell
    }
}
