import LLRCore

/// Small charts drawn as inline SVG, so the run report is one file that
/// opens in any browser with no script and no network.
enum SVGChart {
    static let palette = ["#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#28a197", "#912b88", "#85994b", "#6f72af", "#b58840"]

    static func number(_ v: Double) -> String { decimalText(v, places: 1) }

    /// One bar per item, longest first as given; the value label at the bar's end.
    static func horizontalBars(_ items: [(label: String, value: Double, text: String)], color: String = "#1d70b8", width: Int = 640) -> String {
        guard !items.isEmpty else { return "<p class=\"meta\">Nothing to show.</p>" }
        let rowHeight = 24, labelWidth = 220, top = 8
        let height = top * 2 + rowHeight * items.count
        let maxValue = max(items.map(\.value).max() ?? 1, 1e-9)
        let plot = Double(width - labelWidth - 170)
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        for (i, item) in items.enumerated() {
            let y = top + i * rowHeight
            let w = max(item.value > 0 ? 1 : 0, plot * item.value / maxValue)
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 16)\" text-anchor=\"end\">\(htmlEscaped(item.label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(number(w))\" height=\"\(rowHeight - 8)\" fill=\"\(color)\"><title>\(htmlEscaped(item.label)): \(htmlEscaped(item.text))</title></rect>"
            svg += "<text x=\"\(number(Double(labelWidth) + w + 6))\" y=\"\(y + 16)\">\(htmlEscaped(item.text))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Groups of vertical bars: one group per category, one bar per series.
    static func groupedBars(categories: [String], series: [(name: String, values: [Double])], width: Int = 900, height: Int = 300) -> String {
        guard !categories.isEmpty, !series.isEmpty else { return "<p class=\"meta\">Nothing to show.</p>" }
        let left = 60, bottom = 60, top = 30
        let plotH = Double(height - bottom - top), plotW = Double(width - left - 10)
        let maxValue = niceCeiling(series.flatMap(\.values).max() ?? 1)
        let groupW = plotW / Double(categories.count)
        let barW = max(2, (groupW * 0.8) / Double(series.count))
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        svg += axis(left: left, top: top, plotW: plotW, plotH: plotH, maxValue: maxValue)
        for (c, category) in categories.enumerated() {
            let gx = Double(left) + groupW * Double(c) + groupW * 0.1
            for (s, serie) in series.enumerated() {
                let v = c < serie.values.count ? serie.values[c] : 0
                let h = plotH * v / maxValue
                svg += "<rect x=\"\(number(gx + barW * Double(s)))\" y=\"\(number(Double(top) + plotH - h))\" width=\"\(number(barW - 1))\" height=\"\(number(h))\" fill=\"\(palette[s % palette.count])\"><title>\(htmlEscaped(category)) \(htmlEscaped(serie.name)): \(Int(v))</title></rect>"
            }
            svg += "<text x=\"\(number(gx + groupW * 0.4))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(htmlEscaped(category))</text>\n"
        }
        svg += legend(series.map(\.name), x: left, y: height - 22)
        return svg + "</svg>"
    }

    /// Lines over ordered x labels; a missing value (or one not finite) breaks the line.
    static func lines(xLabels: [String], series: [(name: String, values: [Double?])], width: Int = 900, height: Int = 300) -> String {
        guard !xLabels.isEmpty, !series.isEmpty else { return "<p class=\"meta\">Nothing to show.</p>" }
        let left = 60, bottom = 60, top = 30
        let plotH = Double(height - bottom - top), plotW = Double(width - left - 70)
        let maxValue = niceCeiling(series.flatMap { $0.values.compactMap { $0 }.filter(\.isFinite) }.max() ?? 1)
        let step = xLabels.count > 1 ? plotW / Double(xLabels.count - 1) : 0
        func x(_ i: Int) -> Double { Double(left) + (xLabels.count > 1 ? step * Double(i) : plotW / 2) }
        func y(_ v: Double) -> Double { Double(top) + plotH - plotH * v / maxValue }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        svg += axis(left: left, top: top, plotW: plotW, plotH: plotH, maxValue: maxValue)
        for (i, label) in xLabels.enumerated() {
            svg += "<text x=\"\(number(x(i)))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(htmlEscaped(label))</text>"
        }
        for (s, serie) in series.enumerated() {
            let color = palette[s % palette.count]
            var path = "", pen = false
            for (i, v) in serie.values.enumerated() {
                guard let v, v.isFinite else { pen = false; continue }
                path += (pen ? " L" : " M") + "\(number(x(i))) \(number(y(v)))"
                pen = true
                svg += "<circle cx=\"\(number(x(i)))\" cy=\"\(number(y(v)))\" r=\"3.5\" fill=\"\(color)\"><title>\(htmlEscaped(serie.name)) \(htmlEscaped(xLabels[i])): \(number(v))</title></circle>"
            }
            if !path.isEmpty { svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\"/>\n" }
        }
        svg += legend(series.map(\.name), x: left, y: height - 22)
        return svg + "</svg>"
    }

    private static func axis(left: Int, top: Int, plotW: Double, plotH: Double, maxValue: Double) -> String {
        // 5 steps for a top of 1 or 5 × 10^k, 4 for 2 × 10^k: round numbers on every line.
        let steps = ticks(maxValue)
        var svg = ""
        for k in 0...steps {
            let v = maxValue * Double(k) / Double(steps)
            let y = Double(top) + plotH - plotH * Double(k) / Double(steps)
            svg += "<line x1=\"\(left)\" x2=\"\(number(Double(left) + plotW))\" y1=\"\(number(y))\" y2=\"\(number(y))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(number(y + 4))\" text-anchor=\"end\">\(compact(v))</text>\n"
        }
        return svg
    }

    static func ticks(_ top: Double) -> Int {
        var m = top
        while m >= 10 { m /= 10 }
        while m < 1 { m *= 10 }
        return abs(m - 2) < 1e-9 ? 4 : 5
    }

    private static func legend(_ names: [String], x: Int, y: Int) -> String {
        var svg = "", at = x
        for (i, name) in names.enumerated() {
            svg += "<rect x=\"\(at)\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"/>"
            svg += "<text x=\"\(at + 16)\" y=\"\(y)\">\(htmlEscaped(name))</text>"
            at += 28 + name.count * 7
        }
        return svg + "\n"
    }

    /// 1, 2 or 5 times a power of ten, at or above `v`.
    static func niceCeiling(_ v: Double) -> Double {
        // Not finite: no power of ten reaches it (the loop below would not end).
        guard v > 0, v.isFinite else { return 1 }
        var p = 1.0
        while p * 10 <= v { p *= 10 }
        while p > v { p /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where m * p >= v { return m * p }
        return 10 * p
    }

    static func compact(_ v: Double) -> String {
        func short(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : decimalText(x, places: 1) }
        if v >= 1_000_000 { return short(v / 1_000_000) + "M" }
        if v >= 1_000 { return short(v / 1_000) + "K" }
        return short(v)
    }
}
