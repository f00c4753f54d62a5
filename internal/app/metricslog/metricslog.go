// Package metricslog is the local metrics log's file (envvars.MetricsLog):
// the EMF lines of the in-process platform (make dev, the tests), rotated
// by lumberjack. Package app imports it, which plugs it into core; a
// deployed function does not (in Lambda its lines go to stdout, and the
// import guard keeps lumberjack out of the functions).
package metricslog

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/issuetracker/issuetracker/internal/app/core"
)

func init() { core.RegisterMetricsLog(Open) }

// Local metrics logs rotate: a line per request filled 89 MB under load.
// CloudWatch Logs keeps Lambda's; locally the newest maxMB megabytes and
// Backups older files are kept (lumberjack: a well-kept rotating writer,
// rather than our own).
const Backups = 2

// Open returns the rotating writer of path, or nil (with a warning) when
// its folder cannot be made.
func Open(path string, maxMB int) io.Writer {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		slog.Warn("metrics log unavailable; metrics are dropped", "path", path, "err", err)
		return nil
	}
	return &lumberjack.Logger{Filename: path, MaxSize: maxMB, MaxBackups: Backups}
}
