import Yams

/// A problem in `Pipelines/`, located by file and line.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String
    public init(file: String, line: Int, _ message: String) { self.file = file; self.line = line; self.message = message }
    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads one YAML mapping strictly: each key read is remembered, and
/// `finish()` turns any key nobody asked for into an error, so a typo in a
/// pipeline file (`requried: true`) never passes silently.
public struct StrictMap {
    public let file: String
    public let line: Int
    private let entries: [(key: String, keyLine: Int, value: Node)]
    private var used: Set<String> = []

    public init(_ node: Node, file: String, what: String) throws(PipelineError) {
        self.file = file
        line = node.mark?.line ?? 0
        guard case .mapping(let m) = node else {
            throw PipelineError(file: file, line: line, "\(what) must be a mapping of keys to values")
        }
        var seen: Set<String> = []
        var out: [(String, Int, Node)] = []
        for (k, v) in m {
            guard let key = k.string else { throw PipelineError(file: file, line: k.mark?.line ?? line, "keys must be text") }
            if !seen.insert(key).inserted { throw PipelineError(file: file, line: k.mark?.line ?? line, "key '\(key)' appears twice") }
            out.append((key, k.mark?.line ?? line, v))
        }
        entries = out
    }

    public var keys: [String] { entries.map(\.key) }

    public mutating func node(_ key: String) -> Node? {
        guard let e = entries.first(where: { $0.key == key }) else { return nil }
        used.insert(key)
        return e.value
    }

    public func lineOf(_ key: String) -> Int { entries.first(where: { $0.key == key })?.keyLine ?? line }

    public func error(_ key: String, _ message: String) -> PipelineError { PipelineError(file: file, line: lineOf(key), message) }

    public mutating func string(_ key: String) throws(PipelineError) -> String? {
        guard let n = node(key) else { return nil }
        guard case .scalar(let s) = n else { throw error(key, "'\(key)' must be a single value") }
        return s.string
    }

    public mutating func requiredString(_ key: String) throws(PipelineError) -> String {
        guard let s = try string(key) else { throw PipelineError(file: file, line: line, "'\(key)' is required here") }
        return s
    }

    public mutating func bool(_ key: String) throws(PipelineError) -> Bool? {
        guard let n = node(key) else { return nil }
        guard case .scalar(let scalar) = n, let b = yamlBool(scalar) else { throw error(key, "'\(key)' must be true or false") }
        return b
    }

    public mutating func int(_ key: String) throws(PipelineError) -> Int? {
        guard let n = node(key) else { return nil }
        guard let v = n.int else { throw error(key, "'\(key)' must be a whole number") }
        return v
    }

    /// A whole number from `range` (`fallback` when the key is absent); one
    /// outside it is an error on the key's line, `why` ending the message.
    public mutating func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>, _ why: String = "") throws(PipelineError) -> Int {
        try int(key, default: fallback, range.contains, "from \(range.lowerBound) to \(range.upperBound)\(why)")
    }

    /// A whole number at `range`'s bound or above (`fallback` when absent).
    public mutating func int(_ key: String, default fallback: Int, in range: PartialRangeFrom<Int>) throws(PipelineError) -> Int {
        try int(key, default: fallback, range.contains, "\(range.lowerBound) or above")
    }

    private mutating func int(_ key: String, default fallback: Int, _ allowed: (Int) -> Bool, _ bound: String) throws(PipelineError) -> Int {
        let v = try int(key) ?? fallback
        guard allowed(v) else { throw error(key, "\(key) (\(v)) must be \(bound)") }
        return v
    }

    public mutating func double(_ key: String) throws(PipelineError) -> Double? {
        guard let n = node(key) else { return nil }
        guard let v = n.float ?? n.int.map(Double.init) else { throw error(key, "'\(key)' must be a number") }
        return v
    }

    /// A mapping of names to whole numbers, in file order.
    public mutating func counts(_ key: String) throws(PipelineError) -> [(String, Int)]? {
        guard var m = try map(key) else { return nil }
        var out: [(String, Int)] = []
        for k in m.keys {
            guard let v = try m.int(k) else { continue }
            out.append((k, v))
        }
        try m.finish()
        return out
    }

    public mutating func strings(_ key: String) throws(PipelineError) -> [String]? {
        guard let n = node(key) else { return nil }
        if case .scalar(let s) = n { return [s.string] }
        guard case .sequence(let seq) = n else { throw error(key, "'\(key)' must be a list") }
        var out: [String] = []
        for item in seq {
            guard case .scalar(let s) = item else { throw PipelineError(file: file, line: item.mark?.line ?? line, "items of '\(key)' must be single values") }
            out.append(s.string)
        }
        return out
    }

    public mutating func list(_ key: String) throws(PipelineError) -> [Node]? {
        guard let n = node(key) else { return nil }
        guard case .sequence(let seq) = n else { throw error(key, "'\(key)' must be a list") }
        return Array(seq)
    }

    public mutating func map(_ key: String) throws(PipelineError) -> StrictMap? {
        guard let n = node(key) else { return nil }
        return try StrictMap(n, file: file, what: "'\(key)'")
    }

    /// Errors on the first key that was never read.
    public func finish(allowed hint: [String] = []) throws(PipelineError) {
        for e in entries where !used.contains(e.key) {
            let known = hint.isEmpty ? "" : " (known keys: \(hint.joined(separator: ", ")))"
            throw PipelineError(file: file, line: e.keyLine, "unknown key '\(e.key)'\(known)")
        }
    }

    /// Reads a YAML file into its root node.
    public static func loadRoot(path: String, displayName: String) throws(PipelineError) -> Node {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PipelineError(file: displayName, line: 0, "cannot read: \(error.localizedDescription)")
        }
        do {
            // The basic resolver tags every scalar as text: the default one
            // runs up to seven regular expressions on each (a third of the
            // time a small validation took). Numbers and booleans are read
            // from the text where a key asks for them.
            guard let root = try Yams.compose(yaml: text, .basic) else { throw PipelineError(file: displayName, line: 1, "the file is empty") }
            return root
        } catch let e as PipelineError {
            throw e
        } catch let YamlError.scanner(_, problem, mark, _) {
            throw PipelineError(file: displayName, line: mark.line, "YAML: \(problem)")
        } catch let YamlError.parser(_, problem, mark, _) {
            throw PipelineError(file: displayName, line: mark.line, "YAML: \(problem)")
        } catch {
            throw PipelineError(file: displayName, line: 0, "YAML: \(error)")
        }
    }
}

/// YAML 1.1's booleans, from an unquoted scalar (`"true"` in quotes is text).
func yamlBool(_ scalar: Node.Scalar) -> Bool? {
    guard scalar.style == .any || scalar.style == .plain else { return nil }
    switch scalar.string {
    case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
    case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
    default: return nil
    }
}

import Foundation
