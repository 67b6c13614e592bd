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
