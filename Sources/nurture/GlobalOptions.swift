import ArgumentParser

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The settings file; its folder is the project folder.", valueName: "file"))
    var config: String = "nurture.yml"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store: a SQLite file path (default nurture.sqlite), or postgres://… (env NURTURE_DB).",
            valueName: "path|url"))
    var db: String?
}
