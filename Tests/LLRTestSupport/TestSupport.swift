import Foundation
import LLRCore
import LLRValidation

/// What every test target shares: where the package is, the contract in
/// its `Pipelines/`, and fresh scratch folders.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

public let contract: Pipelines = try! Pipelines.load(from: packageRoot + "/Pipelines")

/// Every scratch folder a test run makes lives under one folder of its own,
/// removed when the test process exits, so runs do not pile up in `/tmp`
/// (a hundred and fifty folders a run, some holding merged datasets).
/// A run that crashes leaves its folder for the developer to look at.
private let scratchRoot: String = {
    let root = NSTemporaryDirectory() + "llr-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return root
}()

/// A new empty folder under the test run's scratch folder.
public func tempDir() -> String {
    let dir = scratchRoot + "/" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A copy of the project's Pipelines/ with `edit` applied to one file.
public func editedPipelines(_ file: String, _ edit: (String) -> String) throws -> String {
    let dir = tempDir() + "/Pipelines"
    try FileManager.default.copyItem(atPath: packageRoot + "/Pipelines", toPath: dir)
    let path = dir + "/" + file
    try edit(try String(contentsOfFile: path, encoding: .utf8)).write(toFile: path, atomically: true, encoding: .utf8)
    return dir
}

/// The text of a `.csv.gz` (or plain) file, read through the project's own stream.
public func gunzip(_ path: String) throws -> String {
    let s = try ReturnByteStream(path: path)
    var out: [UInt8] = []
    let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: 65536)
    defer { buf.deallocate() }
    while true {
        let n = try s.read(into: buf, capacity: 65536)
        if n == 0 { break }
        out.append(contentsOf: UnsafeBufferPointer(start: buf, count: n))
    }
    return String(decoding: out, as: UTF8.self)
}

/// What a run of one of the built command-line tools did.
public struct ToolRun: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
    /// Both streams, for checks that do not care which one a line went to.
    public var text: String { out + err }
}

/// Runs `.build/debug/<tool>` with `args` (`make test` builds the
/// executables before the tests), reading both streams to their ends.
public func runTool(_ tool: String, _ args: [String], input: String? = nil) throws -> ToolRun {
    try runProgram(packageRoot + "/.build/debug/" + tool, args, input: input)
}

/// Runs any program, as `runTool` does; `input` is its standard input.
public func runProgram(_ path: String, _ args: [String], input: String? = nil) throws -> ToolRun {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let stdin = Pipe()
    p.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try p.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
    }
    // stderr is drained on its own thread, so a tool that writes a lot to it cannot block on a full pipe.
    let errText = Locked<Data>(Data())
    let drained = DispatchGroup()
    DispatchQueue.global().async(group: drained) { errText.value = err.fileHandleForReading.readDataToEndOfFile() }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    p.waitUntilExit()
    return ToolRun(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: errText.value, as: UTF8.self))
}

/// Tests name finding codes as the contract writes them ("type-error"); a
/// name that is not a code stops the test at once.
extension FindingCode: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral, ExpressibleByExtendedGraphemeClusterLiteral {
    public init(stringLiteral value: String) {
        guard let code = FindingCode(rawValue: value) else { preconditionFailure("'\(value)' is not a finding code") }
        self = code
    }
}
