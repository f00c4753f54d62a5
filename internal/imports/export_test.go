package imports

// SetBeforeCommit makes the service run f before each progress commit (an
// error stops the run there, as a crash would).
func SetBeforeCommit(s *Service, f func(rowsDone int) error) { s.beforeCommit = f }

// SetBatch sets the rows between two progress commits.
func SetBatch(s *Service, n int) { s.batch = n }

// SetParallel sets the slices of a batch written at once.
func SetParallel(s *Service, n int) { s.parallel = n }
