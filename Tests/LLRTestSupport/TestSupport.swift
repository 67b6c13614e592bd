import Foundation
import LLRCore

/// What every test target shares: where the package is, the contract in
/// its `Pipelines/`, and fresh scratch folders.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

public let contract: Pipelines = try! Pipelines.load(from: packageRoot + "/Pipelines")

/// A new empty folder under the system's temporary folder.
public func tempDir() -> String {
    let dir = NSTemporaryDirectory() + "llr-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
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
