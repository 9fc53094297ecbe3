/// One record of a CSV file, named by the line it starts on (the header is line 1).
public struct CSVRecord: Sendable, Hashable {
    public var line: Int
    public var fields: [String]
    /// Set when the record could not be read as written (bad quoting, invalid UTF-8).
    public var problem: String?

    public init(line: Int, fields: [String], problem: String? = nil) {
        self.line = line
        self.fields = fields
        self.problem = problem
    }
}

/// A streaming RFC 4180 parser: bytes go in as they are read, records come out as they
/// complete, so a file of any size is read in the memory of one record.
///
/// Accepts CRLF or LF line ends, quoted fields with `""` escapes and embedded line
/// breaks, and a UTF-8 byte-order mark. Blank lines are skipped. A record with a field
/// over `maxFieldBytes`, more than `maxFields` fields or more than `maxRecordBytes` in
/// all is emitted with a problem (and cut short), so one hostile row costs bounded memory.
public struct CSVParser: Sendable {
    public static let maxFieldBytes = 64 * 1024
    public static let maxFields = 1_000
    public static let maxRecordBytes = 1024 * 1024

    private var fields: [String] = []
    private var field: [UInt8] = []
    private var inQuotes = false
    /// The current field was quoted and its closing quote has been seen.
    private var afterClosingQuote = false
    private var fieldStarted = false
    private var problem: String?
    private var line = 1
    private var recordLine = 1
    /// Where the quoted field being read opened.
    private var quoteLine = 1
    private var recordBytes = 0
    private var atFileStart = true
    private var pendingCR = false
    private let separator: UInt8

    public init(separator: UInt8 = UInt8(ascii: ",")) {
        self.separator = separator
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, emit: (CSVRecord) throws -> Void) rethrows {
        let fed: Void? = try bytes.withContiguousStorageIfAvailable { buffer in try feed(buffer, emit: emit) }
        if fed == nil {
            for byte in bytes { try feed(byte, emit: emit) }
        }
    }

    /// Bytes in memory: a run of bytes that only extends the current field (text up to the
    /// next separator, quote or line break; inside quotes, up to the next quote) is added
    /// in one go. Byte by byte, the checks in `consume` cost more than the parse itself.
    private mutating func feed(_ buffer: UnsafeBufferPointer<UInt8>, emit: (CSVRecord) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\"")
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        var index = 0
        while index < buffer.count {
            // The byte-order mark is only ever at the start of the header's first field.
            let pastMark = line > 1 || !fields.isEmpty
            var end = index
            if pastMark, !pendingCR, !afterClosingQuote, !inQuotes {
                while end < buffer.count, buffer[end] != separator, buffer[end] != quote, buffer[end] != cr,
                    buffer[end] != lf
                { end += 1 }
                if end > index { fieldStarted = true }
            } else if pastMark, !pendingCR, inQuotes {
                while end < buffer.count, buffer[end] != quote {
                    if buffer[end] == lf { line += 1 }
                    end += 1
                }
            }
            if end > index {
                append(UnsafeBufferPointer(rebasing: buffer[index..<end]))
                index = end
            } else {
                try feed(buffer[index], emit: emit)
                index += 1
            }
        }
    }

    private mutating func feed(_ byte: UInt8, emit: (CSVRecord) throws -> Void) rethrows {
        if atFileStart {
            atFileStart = false
            if byte == 0xEF {
                field.append(byte)
                fieldStarted = true
                return
            }
        }
        if field.count == 1, field[0] == 0xEF, !inQuotes, fields.isEmpty, line == 1, byte == 0xBB {
            field.append(byte)
            return
        }
        if field.count == 2, field[0] == 0xEF, field[1] == 0xBB, fields.isEmpty, line == 1, byte == 0xBF {
            field.removeAll()
            fieldStarted = false
            return
        }
        try consume(byte, emit: emit)
    }

    /// Ends the input: emits the last record when the file does not end in a line break.
    public mutating func finish(emit: (CSVRecord) throws -> Void) rethrows {
        if inQuotes {
            problem =
                "the quote opened on line \(quoteLine) is never closed, so the rest of the file was read as one field; close it with \""
            inQuotes = false
        }
        if fieldStarted || !fields.isEmpty { try endRecord(emit: emit) }
    }

    private mutating func consume(_ byte: UInt8, emit: (CSVRecord) throws -> Void) rethrows {
        let quote = UInt8(ascii: "\"")
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        if pendingCR {
            pendingCR = false
            if byte == lf { return }  // the LF of a CRLF already ended the record
        }
        if inQuotes {
            if byte == quote {
                inQuotes = false
                afterClosingQuote = true
            } else {
                if byte == lf { line += 1 }
                append(byte)
            }
            return
        }
        switch byte {
        case quote:
            if afterClosingQuote {
                // `""` inside a quoted field: a literal quote, and still inside.
                field.append(quote)
                inQuotes = true
                afterClosingQuote = false
            } else if !fieldStarted {
                inQuotes = true
                fieldStarted = true
                quoteLine = line
            } else {
                problem =
                    problem
                    ?? "a quote appears in the middle of an unquoted field (quote the whole field and double inner quotes)"
                append(byte)
            }
        case separator:
            endField()
        case lf, cr:
            if byte == cr { pendingCR = true }
            try endRecord(emit: emit)
            line += 1
            recordLine = line
        default:
            if afterClosingQuote {
                problem = problem ?? "text follows the closing quote of a field"
            }
            fieldStarted = true
            append(byte)
        }
    }

    /// Adds bytes to the field as `append(_: UInt8)` adds each, in one copy when no limit
    /// is reached.
    private mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        guard field.count + run.count <= Self.maxFieldBytes, recordBytes + run.count <= Self.maxRecordBytes else {
            for byte in run { append(byte) }
            return
        }
        recordBytes += run.count
        field.append(contentsOf: run)
    }

    /// Adds a byte to the field unless a limit is reached; past it, bytes are dropped and
    /// the record carries the problem.
    private mutating func append(_ byte: UInt8) {
        recordBytes += 1
        if field.count >= Self.maxFieldBytes {
            problem = problem ?? "field \(fields.count + 1) is longer than \(Self.maxFieldBytes) bytes"
        } else if recordBytes > Self.maxRecordBytes {
            problem = problem ?? "the row is longer than \(Self.maxRecordBytes) bytes"
        } else {
            field.append(byte)
        }
    }

    private mutating func endField() {
        if fields.count >= Self.maxFields {
            problem = problem ?? "the row has more than \(Self.maxFields) columns"
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
            afterClosingQuote = false
            return
        }
        if let text = Self.text(field) {
            fields.append(text)
        } else {
            problem = problem ?? "field \(fields.count + 1) is not valid UTF-8 text (save the file as UTF-8)"
            fields.append(String(decoding: field, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
        fieldStarted = false
        afterClosingQuote = false
    }

    /// The field as text, or nil when it is not valid UTF-8. `String(validating:as:)` is
    /// generic and looked its metadata up on every call (a twentieth of an import); ASCII,
    /// which most fields are, needs no validating.
    private static func text(_ bytes: [UInt8]) -> String? {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    private mutating func endRecord(emit: (CSVRecord) throws -> Void) rethrows {
        let blank = fields.isEmpty && !fieldStarted && field.isEmpty && !afterClosingQuote
        if !blank {
            endField()
            try emit(CSVRecord(line: recordLine, fields: fields, problem: problem))
        }
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        problem = nil
        fieldStarted = false
        afterClosingQuote = false
    }
}
