import ArgumentParser

/// The `brokerhub` command-line tool.
@main
struct BrokerHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokerhub",
        abstract: "One gateway for KIS and Kiwoom: shared token, strict rate budget, lossless realtime pipeline.",
        subcommands: [
            DemoCommand.self,
            MockBrokerCommand.self,
            ServeCommand.self,
            CollectCommand.self,
            ControlCommand.self,
            ArchiveCommand.self,
            HistoryCommand.self,
            VerifyCommand.self,
            BackfillCommand.self,
            RecoverCommand.self,
            AlertsCommand.self,
            SnapshotCommand.self,
            LedgerCommand.self,
            DeadLettersCommand.self,
            StatusCommand.self,
            TokensCommand.self,
            NormalizeCommand.self,
            ParseFramesCommand.self,
            BenchCommand.self,
        ]
    )
}
