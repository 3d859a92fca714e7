extension Database {
    /// Runs a prepared query to the end: every row, with the run's figures
    /// (and its plan, when ``QueryOptions/explain`` asks).
    public func query(_ query: PreparedQuery, _ inputs: [QueryInput] = [],
                      options: QueryOptions = QueryOptions()) throws(QuarryError) -> QueryResult {
        let start = ContinuousClock.now
        let run = query.run(on: self, inputs: inputs, options: options, start: start)
        return try QuarryError.mapping {
            try options.observation.observe(text: query.text, position: query.observedPosition, since: start) {
                let execution = try run.open()
                query.keep(run)
                return try execution.result()
            }
        }
    }

    /// Parses and runs `text` to the end: ``query(_:_:options:)`` of a
    /// query prepared for one run.
    public func query(_ text: String, _ inputs: [QueryInput],
                      options: QueryOptions = QueryOptions()) throws(QuarryError) -> QueryResult {
        try query(try PreparedQuery(text), inputs, options: options)
    }

    /// Starts a prepared query and hands back its rows one at a time (see
    /// ``QueryCursor``). Binding the inputs and planning happen here, so
    /// their errors are thrown here; the rows are computed as they are pulled.
    public func cursor(_ query: PreparedQuery, _ inputs: [QueryInput] = [],
                       options: QueryOptions = QueryOptions()) throws(QuarryError) -> QueryCursor {
        let start = ContinuousClock.now
        let run = query.run(on: self, inputs: inputs, options: options, start: start)
        do {
            let execution = try run.open()
            query.keep(run)
            return QueryCursor(execution: execution, prepared: query)
        } catch {
            let e = QuarryError(error)
            options.observation.record(.failure(e), took: ContinuousClock.now - start, text: query.text,
                                       position: query.observedPosition)
            throw e
        }
    }

    /// The rows of a prepared query as an `AsyncSequence` (see ``QueryRows``).
    public func rows(_ query: PreparedQuery, _ inputs: [QueryInput] = [],
                     options: QueryOptions = QueryOptions()) -> QueryRows {
        QueryRows(database: self, query: query, inputs: inputs, options: options)
    }

    /// Every row of a prepared query, decoded into `type` (see
    /// ``Row``'s `decode(_:)`).
    public func fetch<T: Decodable>(_ type: T.Type, _ query: PreparedQuery, _ inputs: [QueryInput] = [],
                                    options: QueryOptions = QueryOptions()) throws(QuarryError) -> [T] {
        let cursor = try self.cursor(query, inputs, options: options)
        var out: [T] = []
        while let row = try cursor.next() { out.append(try row.decode(type)) }
        return out
    }
}
