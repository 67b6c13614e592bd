import Crypto
import LLRCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct KeyProblem: Error, CustomStringConvertible {
    public var description: String
}

/// Keyed pseudonyms: HMAC-SHA256 of a record's own key under a secret the
/// dataset never holds, shown as 24 hex digits (96 bits). Without the key no
/// one can go from an id back to a source record, or forward to test a guess.
public struct Pseudonymiser: Sendable {
    private let keyed: KeyedHMAC
    public let isDemo: Bool

    /// The published key of `--demo-key`: for the sample data and tests only.
    public static let demoKey = "llr-returns demo key: synthetic data only, never use with real returns"
    public static let environmentVariable = "LLR_PSEUDONYM_KEY"

    public init(key: [UInt8], isDemo: Bool = false) {
        keyed = KeyedHMAC(key: key)
        self.isDemo = isDemo
    }

    /// The key from `--key-file`, else `environmentKey` (the value of
    /// `LLR_PSEUDONYM_KEY`), else the demo key
    /// when asked for; otherwise the run is refused with what to do.
    public static func resolve(keyFile: String?, demo: Bool, environmentKey: String?) throws(KeyProblem) -> Pseudonymiser {
        if let keyFile {
            guard var bytes = readSmallFile(keyFile) else {
                throw KeyProblem(description: "cannot read the key file \(keyFile): \(String(cString: strerror(errno)))")
            }
            while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 { bytes.removeLast() }
            guard bytes.count >= 16 else { throw KeyProblem(description: "the key file \(keyFile) holds \(bytes.count) bytes; use at least 16 random bytes (e.g. openssl rand -hex 32 > \(keyFile))") }
            return Pseudonymiser(key: bytes)
        }
        if let env = environmentKey, !env.isEmpty {
            guard env.utf8.count >= 16 else { throw KeyProblem(description: "\(environmentVariable) is \(env.utf8.count) characters; use at least 16 (e.g. export \(environmentVariable)=$(openssl rand -hex 32))") }
            return Pseudonymiser(key: Array(env.utf8))
        }
        if demo { return Pseudonymiser(key: Array(demoKey.utf8), isDemo: true) }
        throw KeyProblem(description: "no pseudonym key: set \(environmentVariable) or pass --key-file FILE (kept outside the dataset, e.g. created with openssl rand -hex 32); for synthetic sample data only, --demo-key")
    }

    /// 24 lowercase hex digits of HMAC(key, domain ‖ 0 ‖ bytes).
    public func id<C: Collection>(_ domain: StaticString, _ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(Pseudonymiser.idLength)
        if bytes.withContiguousStorageIfAvailable({ appendId(domain, UnsafeRawBufferPointer($0), to: &out) }) == nil {
            Array(bytes).withUnsafeBytes { appendId(domain, $0, to: &out) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static let idLength = 24

    /// The id of `first` (‖ `|` ‖ `second`, when given) appended to `out` as
    /// its 24 hex digits: the same id as `id` of the joined bytes, with no
    /// String or joined array made (a million event ids a night).
    public func appendId(_ domain: StaticString, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer? = nil,
                         to out: inout [UInt8]) {
        var inner = keyed.inner
        domain.withUTF8Buffer { inner.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        zeroByte.withUnsafeBytes { inner.update(bufferPointer: $0) }
        inner.update(bufferPointer: first)
        if let second {
            separatorByte.withUnsafeBytes { inner.update(bufferPointer: $0) }
            inner.update(bufferPointer: second)
        }
        var outer = keyed.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        outer.finalize().withUnsafeBytes { appendHex(UnsafeRawBufferPointer(rebasing: $0.prefix(Pseudonymiser.idLength / 2)), to: &out) }
    }
}

private let separatorByte: [UInt8] = [0x7C]
private let zeroByte: [UInt8] = [0]

/// HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once:
/// each id copies the two SHA-256 states and hashes only its own bytes
/// through the buffer-pointer API (swift-crypto's HMAC goes through
/// DataProtocol, a third of the cost of an id). Tested equal to HMAC<SHA256>.
final class KeyedHMAC: @unchecked Sendable {
    let inner: SHA256
    let outer: SHA256

    init(key: [UInt8]) {
        var block = key.count > 64 ? Array(SHA256.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var i = SHA256(), o = SHA256()
        i.update(data: block.map { $0 ^ 0x36 })
        o.update(data: block.map { $0 ^ 0x5C })
        inner = i
        outer = o
    }
}
