package sink_test

import (
	"fmt"

	"github.com/kiln-data/kiln/sink"
)

// A sink exporting every committed partition to S3 (or any S3-compatible
// store at a custom endpoint); source.Parquet reads the same URL back.
func ExampleParquet_s3() {
	s := sink.Parquet("s3://exports/gold/user_daily?region=eu-west-1&endpoint=http://127.0.0.1:9000&use_path_style=true")
	fmt.Println(s.Spec().Name, s.Spec().Config)
	// Output:
	// sink.parquet {s3://exports/gold/user_daily}
}
