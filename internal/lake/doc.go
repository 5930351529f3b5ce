// Package lake implements kiln's partition commit protocol on a local file
// system, and the small amount of directory layout around it.
//
// A committed partition is a directory holding data files and, last,
// _kiln/manifest.json. Commit builds the new partition in a staging directory
// (on the same file system, outside the partition directory), writes the
// manifest last, and then swaps the staging directory with the partition
// directory in one atomic step (renameat2 RENAME_EXCHANGE on Linux). Where the
// exchange is not available it moves the old directory aside first and
// restores it on the next commit or read if the process died in between.
//
// Guarantees: a reader that opens <partition>/_kiln/manifest.json sees either
// the previous committed partition or the new one, never a mix; a commit that
// fails or is cancelled at any point leaves the previous partition in place;
// staging leftovers of a killed commit are removed by the next commit of the
// same partition. Commits of the same partition are serialized with an
// advisory file lock (flock on Unix), so concurrent writers are safe, and the
// last to commit wins.
package lake
