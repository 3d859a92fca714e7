/// The planner's cost-based choices, in the order it makes them: which
/// producer clause comes next, and whether a pattern joins by a hash
/// table or by index lookups.
///
/// A ``PreparedQuery`` keeps the choices of its first plan; later runs
/// replay them, skipping the cost search. Everything else the planner
/// does follows from the query and the variables bound, so a replay
/// builds the same plan. A replayed choice that does not fit (rules given
/// as an input changed the clauses) ends the replay: from there on the
/// planner chooses by cost again.
final class PlanChoices {
    private let replaying: [Int]
    private var position = 0
    /// Whether a replay stopped fitting the query.
    private(set) var diverged = false
    /// The choices this plan made (replayed or chosen).
    private(set) var made: [Int] = []
    /// Set once the query's plan is built: a sub-plan made again while the
    /// query runs (a materialized subquery, per run) chooses by cost and
    /// is not recorded, since how often it happens depends on the data.
    private var sealed = false

    init(replaying: [Int] = []) {
        self.replaying = replaying
    }

    /// The next replayed choice, if there is one and `fits` accepts it;
    /// nil when the planner must choose (and then ``record(_:)`` it).
    func replayed(fits: (Int) throws -> Bool) rethrows -> Int? {
        guard !sealed, !diverged, !replaying.isEmpty else { return nil }
        guard position < replaying.count, try fits(replaying[position]) else {
            diverged = true
            return nil
        }
        position += 1
        made.append(replaying[position - 1])
        return replaying[position - 1]
    }

    func record(_ choice: Int) {
        if !sealed { made.append(choice) }
    }

    /// Ends recording and replaying: the query's plan is complete.
    func seal() {
        sealed = true
    }

    /// Whether this plan replayed every choice it was given and no other.
    var replayedWhole: Bool { !replaying.isEmpty && !diverged && position == replaying.count }
}
