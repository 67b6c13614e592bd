import HTTPTypes
import Hummingbird

/// Each request's context: who is calling, once the portal knows.
public struct PortalContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set for a valid API token or a live session.
    public var account: Account?
    /// The browser session's id, when the caller came with one.
    public var sessionID: String?
    /// Bodies stream to disk, counted against the portal's own cap; none is collected whole.
    public var maxUploadSize: Int { 64 * 1024 }

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
