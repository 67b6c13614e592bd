import Crypto
import _CryptoExtras
import Foundation

/// A password or token stored only as a salted, slow hash:
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (salt and hash in base64).
/// PBKDF2 with SHA-256 from swift-crypto: slow enough that a stolen
/// accounts file does not give the secrets back cheaply.
public struct SecretHash: Sendable, Equatable {
    public static let defaultRounds = 210_000
    let rounds: Int
    let salt: [UInt8]
    let hash: [UInt8]

    /// Hashes `secret` under a fresh random salt.
    public static func make(_ secret: String, rounds: Int = defaultRounds) throws -> SecretHash {
        let salt = randomBytes(16)
        return SecretHash(rounds: rounds, salt: salt, hash: try derive(secret, salt: salt, rounds: rounds))
    }

    static func derive(_ secret: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(secret.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }

    /// True when `secret` is the one hashed; compared in constant time.
    public func matches(_ secret: String) -> Bool {
        guard let candidate = try? SecretHash.derive(secret, salt: salt, rounds: rounds), candidate.count == hash.count else { return false }
        var difference: UInt8 = 0
        for i in hash.indices { difference |= hash[i] ^ candidate[i] }
        return difference == 0
    }

    public var encoded: String { "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())" }

    public init?(encoded: String) {
        let parts = encoded.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= 1,
              let salt = Data(base64Encoded: parts[2]), let hash = Data(base64Encoded: parts[3]), !hash.isEmpty else { return nil }
        self.init(rounds: rounds, salt: Array(salt), hash: Array(hash))
    }

    init(rounds: Int, salt: [UInt8], hash: [UInt8]) { self.rounds = rounds; self.salt = salt; self.hash = hash }
}

/// `n` bytes from the system's secure generator.
func randomBytes(_ n: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
}

/// Random bytes as URL-safe text: session ids, CSRF tokens, API tokens.
func randomToken(_ bytes: Int = 32) -> String {
    Data(randomBytes(bytes)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
