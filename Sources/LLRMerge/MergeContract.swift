import LLRCore
import LLRDedupe
import LLRMeasures
import LLRValidation

/// Everything the nightly merge reads from `Pipelines/`, loaded and
/// cross-checked in one place: the contract, the linkage settings and the
/// merge settings.
public struct MergeContract: Sendable {
    public var pipelines: Pipelines
    public var linkage: LinkageSettings
    public var settings: MergeSettings
    public var measures: MeasureCatalogue

    public init(pipelines: Pipelines, linkage: LinkageSettings, settings: MergeSettings, measures: MeasureCatalogue) {
        self.pipelines = pipelines; self.linkage = linkage; self.settings = settings; self.measures = measures
    }

    public static func load(from directory: String) throws(PipelineError) -> MergeContract {
        let pipelines = try Pipelines.load(from: directory)
        let settings = try MergeSettings.load(directory: directory)
        try settings.check(against: pipelines)
        return MergeContract(pipelines: pipelines, linkage: try LinkageSettings.load(contract: pipelines), settings: settings,
                             measures: try MeasureCatalogue.load(contract: pipelines))
    }
}
