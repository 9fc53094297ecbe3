extension EnrollmentSnapshot {
    /// The snapshot with each renamed step's history under its new id as well: what the
    /// lead got, opened and clicked as `renamed_from` counts for the step, and conditions
    /// naming either id see it. So a rename never resends a step.
    public func followingRenames(in campaign: Campaign) -> EnrollmentSnapshot {
        var snapshot = self
        for step in campaign.steps {
            guard let old = step.renamedFrom else { continue }
            if snapshot.steps[step.id] == nil, let state = steps[old] {
                snapshot.steps[step.id] = state
                if let retry = retryAt[old] { snapshot.retryAt[step.id] = retry }
            }
            for keyPath in [\EnrollmentSnapshot.opened, \EnrollmentSnapshot.clicked] {
                if snapshot[keyPath: keyPath].contains(old) { snapshot[keyPath: keyPath].insert(step.id) }
                if snapshot[keyPath: keyPath].contains(step.id) { snapshot[keyPath: keyPath].insert(old) }
            }
        }
        return snapshot
    }

    /// The step id under which this enrolment's message of `step` is stored: its former
    /// id when the message was sent (or deferred) before the rename.
    public func storedID(of step: Step) -> String {
        if steps[step.id] == nil, let old = step.renamedFrom, steps[old] != nil { return old }
        return step.id
    }
}
