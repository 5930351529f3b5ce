package kiln_test

import (
	"github.com/kiln-data/kiln"
	"github.com/kiln-data/kiln/sink"
)

func sinkParquet(dir string) kiln.Sink { return sink.Parquet(dir) }
