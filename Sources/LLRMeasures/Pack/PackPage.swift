import LLRCore

extension BoardPack {
    /// Every quarter's LLR value as a small line; a withheld or empty value is a gap.
    func sparkline(_ m: MeasureDefinition) -> String {
        let values = quarters.map { q -> Double? in
            guard let (f, hidden) = figure(m.code, q, total), !hidden else { return nil }
            return f.value
        }
        let known = values.compactMap { $0 }
        guard known.count > 1, let lo = known.min(), let hi = known.max() else { return "" }
        let w = 120.0, h = 28.0, step = w / Double(max(values.count - 1, 1))
        func y(_ v: Double) -> Double { hi == lo ? h / 2 : h - 3 - (v - lo) / (hi - lo) * (h - 6) }
        var path = "", pen = false
        for (i, v) in values.enumerated() {
            guard let v else { pen = false; continue }
            path += "\(pen ? "L" : "M")\(decimalText(Double(i) * step, places: 1)) \(decimalText(y(v), places: 1)) "
            pen = true
        }
        let label = zip(quarters, values).map { "\($0.0.description): \($0.1.map { decimalText($0, places: 1) } ?? "not shown")" }.joined(separator: "; ")
        return "<svg class=\"spark\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(esc(label))\">"
            + "<title>\(esc(label))</title><path d=\"\(path)\" fill=\"none\" stroke=\"#0b0c0c\" stroke-width=\"1.5\"/></svg>"
    }

    func page(body: String, latest: FinancialQuarter?) -> String {
        let title = "LLR Safeguarding Children Partnership: the board's measures" + (latest.map { ", \($0.description)" } ?? "")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;color:#0b0c0c;line-height:1.35}
        h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:2px solid #1d70b8;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin-bottom:.2rem}
        table{border-collapse:collapse;width:100%}th,td{border:1px solid #b1b4b6;padding:.3rem .45rem;text-align:left;vertical-align:top;font-size:.85rem}
        thead th{background:#f3f2f1}tbody th{font-weight:400;width:30%}.code{font-family:monospace;font-size:.78rem;color:#505a5f}
        td.num{text-align:right;font-variant-numeric:tabular-nums}.parts,.areas,.note,.meta{color:#505a5f;font-size:.78rem}
        .revised{font-size:.78rem;font-style:italic}.dir.better{color:#00703c}.dir.worse{color:#d4351c}.dir.neutral{color:#505a5f}
        .rag{font-weight:700;text-align:center}.rag-red{background:#f6d7d2;border-left:6px solid #d4351c}
        .rag-amber{background:#fff2d3;border-left:6px double #b58800}.rag-green{background:#cce2d8;border-left:6px dotted #00703c}
        tr.said td{background:#f8f8f8;font-size:.8rem}tr.said p{margin:.15rem 0}.gap{border-left:4px solid #d4351c;padding-left:.4rem}.action{color:#0b0c0c}
        @page{size:A4;margin:14mm}
        @media print{body{margin:0;max-width:none;font-size:10pt}section.priority{break-before:page}tr{break-inside:avoid}tr.said{break-before:avoid}h2{break-after:avoid}}
        </style></head><body>
        <h1>\(esc(title))</h1>
        <p class="meta">Each measure is defined once in Pipelines/measures.yaml and computed every night from the linked returns of every partner; \
        \(suppression == nil ? "this pack holds every figure (restricted to the business unit and the board)" : "small counts (and what is made from them) are shown as \(marker)"). \
        RAG: green on target, amber within tolerance or improving, red otherwise; targets marked PLACEHOLDER are not yet the board's.</p>
        \(body)</body></html>

        """
    }
}
