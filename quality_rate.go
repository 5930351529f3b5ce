package kiln

// QualityChecks returns how many check results of the run passed and how
// many there are, over every node partition of the run. A computed node
// counts the checks evaluated in this run (including those of a node that
// an error-severity check halted); a cached or unchanged node counts the
// results stored with its commit, because they are the quality of the data
// the run delivers. Nodes that failed before their checks ran, were
// skipped, or had no partition count nothing. A result passes when its
// Success is true (a check that passed thanks to Mostly passes); failed
// warn and quarantine checks count as not passed.
func (r *Result) QualityChecks() (passed, total int) {
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			total++
			if c.Success {
				passed++
			}
		}
	}
	return passed, total
}

// QualityPassRate returns the run's data_quality_pass_rate: passed checks
// divided by all checks, counted as QualityChecks does. It is 1 when the run
// has no check results.
func (r *Result) QualityPassRate() float64 {
	return passRate(r.QualityChecks())
}

// QualityPassRate returns the pass rate over every partition run of a
// backfill (see Result.QualityChecks); 1 when there are no check results.
func (b *BackfillResult) QualityPassRate() float64 {
	var p, t int
	for _, r := range b.Runs {
		rp, rt := r.QualityChecks()
		p, t = p+rp, t+rt
	}
	return passRate(p, t)
}

func passRate(passed, total int) float64 {
	if total == 0 {
		return 1
	}
	return float64(passed) / float64(total)
}
