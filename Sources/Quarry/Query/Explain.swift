/// EXPLAIN: the logical plan (the clauses with what each needs, binds and
/// owns, and the rewrite chosen for it), then the operator tree, one
/// operator per line, with the planner's estimate and, for an analyzed
/// run, actual rows and peak engine bytes.
enum Explain {
    static func text(logical: String, _ root: Operator, analyzed: Bool) -> String {
        guard !logical.isEmpty else { return text(root, analyzed: analyzed) }
        return "logical plan:\n" + logical + "\nphysical plan:\n" + text(root, analyzed: analyzed)
    }

    static func text(_ root: Operator, analyzed: Bool) -> String {
        var lines: [String] = []
        func walk(_ op: Operator, _ depth: Int) {
            var line = String(repeating: "  ", count: depth) + (depth > 0 ? "-> " : "") + op.name
            if !op.detail.isEmpty { line += " " + op.detail }
            line += "  (est. rows \(op.estimatedRows.estimateText)"
            if analyzed { line += ", actual rows \(op.actualRows), peak bytes \(op.peakBytes)" }
            line += ")"
            lines.append(line)
            for input in op.inputs { walk(input, depth + 1) }
        }
        walk(root, 0)
        return lines.joined(separator: "\n")
    }
}
