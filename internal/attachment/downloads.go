package attachment

// What every download answers with, wherever it is served from (the
// CloudFront distribution in AWS, constructs/filestore; the local
// gateway's /files, internal/devstack): the headers S3 cannot add.
const (
	// DownloadCSP keeps a downloaded file from running anything, should a
	// browser render it: no script, no plugin, a sandbox.
	DownloadCSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
	// DownloadCacheControl: no copy outlives the signed URL.
	DownloadCacheControl = "private, no-store"
)

// JobSweepUploads is the attachments function's scheduled job (every 15
// minutes in AWS, stacks.UploadSweepRule; make dev runs it too): it
// releases the uploads of every active tenant never confirmed in time.
const JobSweepUploads = "sweep-uploads"

// DownloadQuery are S3's response overrides a download URL sets and the
// download origin forwards (nothing else): S3 answers with them as the
// response's Cache-Control, Content-Disposition and Content-Type.
var DownloadQuery = []string{"response-cache-control", "response-content-disposition", "response-content-type"}
