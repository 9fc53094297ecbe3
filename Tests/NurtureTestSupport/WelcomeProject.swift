import Foundation

/// The small project the SMTP end-to-end tests send from: one campaign `welcome` with a
/// step `hello` for leads tagged `trial`, and `leads` of them imported (lead0@example.com …)
/// into the default store, or the one `environment` names (NURTURE_DB).
public enum WelcomeProject {
    public static func make(
        _ name: String, leads: Int, connections: Int, timeout: Int = 10, environment: [String: String] = [:]
    ) throws -> TemporaryDirectory {
        let project = try TemporaryDirectory(name)
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            id: welcome
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Hello {{first_name}}", template: hello }
            """)
        try project.write("nurture.yml", "smtp: { timeout: \(timeout), max_connections: \(connections) }\n")
        var csv = "email,first_name,tags\n"
        for index in 0..<leads { csv += "lead\(index)@example.com,Lead\(index),trial\n" }
        try project.write("leads.csv", csv)
        let imported = try NurtureBinary.run(
            ["leads", "import", "leads.csv"], in: project.url, environment: environment)
        guard imported.status == 0 else { throw Failed(description: "leads import: \(imported.stderr)") }
        return project
    }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }
}

/// Another process holding a SQLite store's write lock, as a long transaction would.
public enum SQLiteLockHolder {
    /// Takes the write lock of the store at `path`, returns once it holds it, and keeps
    /// it `seconds`; wait for the returned process to know it let go.
    public static func hold(_ path: String, seconds: Int) throws -> Process {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            print("held", flush=True)
            time.sleep(\(seconds))
            c.execute("ROLLBACK")
            """, path,
        ]
        let pipe = Pipe()
        holder.standardOutput = pipe
        try holder.run()
        _ = pipe.fileHandleForReading.availableData  // "held": the write lock is taken
        return holder
    }
}
