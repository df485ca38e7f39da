import Foundation
import GRDB

/// Tokens in the embedded SQLite database (`hub_tokens`), so a restarted process reuses them.
public final class SQLiteTokenStore: TokenStore {
    private let database: HubDatabase

    public init(database: HubDatabase) {
        self.database = database
    }

    public func load(_ key: TokenKey) async throws -> SealedToken? {
        try await database.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT ciphertext, issued_at, expires_at FROM hub_tokens WHERE key = ?", arguments: [key.storageKey]).map { row in
                SealedToken(
                    ciphertext: row["ciphertext"],
                    issuedAt: Date(timeIntervalSince1970: row["issued_at"]),
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"])
                )
            }
        }
    }

    public func save(_ token: SealedToken, for key: TokenKey) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO hub_tokens (key, ciphertext, issued_at, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET ciphertext = excluded.ciphertext, issued_at = excluded.issued_at,
                        expires_at = excluded.expires_at, updated_at = excluded.updated_at
                    """,
                arguments: [key.storageKey, token.ciphertext, token.issuedAt.timeIntervalSince1970, token.expiresAt.timeIntervalSince1970, Date().timeIntervalSince1970]
            )
        }
    }

    public func remove(_ key: TokenKey, ifMatching token: SealedToken?) async throws {
        try await database.writer.write { db in
            if let token {
                try db.execute(sql: "DELETE FROM hub_tokens WHERE key = ? AND ciphertext = ?", arguments: [key.storageKey, token.ciphertext])
            } else {
                try db.execute(sql: "DELETE FROM hub_tokens WHERE key = ?", arguments: [key.storageKey])
            }
        }
    }
}
