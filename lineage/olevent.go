package lineage

import (
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-data/kiln/internal/digest"
	"github.com/kiln-data/kiln/internal/version"
)

// OpenLineage event types (RunEvent.EventType). Every run gets one START
// and then exactly one of COMPLETE, FAIL or ABORT.
const (
	EventStart    = "START"
	EventComplete = "COMPLETE"
	EventFail     = "FAIL"
	EventAbort    = "ABORT"
)

// OpenLineageSchemaURL is the JSON Schema of the events kiln emits.
const OpenLineageSchemaURL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

// Facet schema URLs, one per standard facet kiln emits.
const (
	facetBase         = "https://openlineage.io/spec/facets/"
	urlSchema         = facetBase + "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	urlDataSource     = facetBase + "1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet"
	urlVersion        = facetBase + "1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	urlOutputStats    = facetBase + "1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
	urlColumnLineage  = facetBase + "1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
	urlAssertions     = facetBase + "1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet"
	urlInputSubset    = facetBase + "1-0-0/BaseSubsetDatasetFacet.json#/$defs/InputSubsetInputDatasetFacet"
	urlOutputSubset   = facetBase + "1-0-0/BaseSubsetDatasetFacet.json#/$defs/OutputSubsetOutputDatasetFacet"
	urlParent         = facetBase + "1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet"
	urlNominalTime    = facetBase + "1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet"
	urlErrorMessage   = facetBase + "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
	urlEngine         = facetBase + "1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet"
	urlJobType        = facetBase + "2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	urlKilnRunFacet   = "https://github.com/kiln-data/kiln/blob/main/lineage/testdata/openlineage/KilnRunFacet.json#/$defs/KilnRunFacet"
	defaultProducer   = "https://github.com/kiln-data/kiln/tree/v" + version.Version
	defaultNamespace  = "kiln"
	programmingLangGo = "Go"
)

// RunEvent is an OpenLineage RunEvent (spec 2-0-2). Facets are JSON objects
// keyed by facet name; kiln fills the standard ones (see OpenLineage).
type RunEvent struct {
	// EventType is EventStart, EventComplete, EventFail or EventAbort.
	EventType string `json:"eventType"`
	// EventTime is when the transition happened.
	EventTime time.Time `json:"eventTime"`
	// Producer identifies kiln (a URI).
	Producer string `json:"producer"`
	// SchemaURL is OpenLineageSchemaURL.
	SchemaURL string `json:"schemaURL"`
	// Run is the run the event is about.
	Run EventRun `json:"run"`
	// Job is the job that ran.
	Job EventJob `json:"job"`
	// Inputs are the datasets read.
	Inputs []InputDataset `json:"inputs"`
	// Outputs are the datasets written.
	Outputs []OutputDataset `json:"outputs"`
}

// EventRun is the run of a RunEvent.
type EventRun struct {
	// RunID is a UUID.
	RunID string `json:"runId"`
	// Facets are the run facets.
	Facets map[string]any `json:"facets,omitempty"`
}

// EventJob is the job of a RunEvent.
type EventJob struct {
	// Namespace is the job namespace.
	Namespace string `json:"namespace"`
	// Name is the job name.
	Name string `json:"name"`
	// Facets are the job facets.
	Facets map[string]any `json:"facets,omitempty"`
}

// InputDataset is a dataset a run read.
type InputDataset struct {
	// Namespace is the dataset namespace.
	Namespace string `json:"namespace"`
	// Name is the dataset name.
	Name string `json:"name"`
	// Facets are the dataset facets.
	Facets map[string]any `json:"facets,omitempty"`
	// InputFacets are facets about this read.
	InputFacets map[string]any `json:"inputFacets,omitempty"`
}

// OutputDataset is a dataset a run wrote.
type OutputDataset struct {
	// Namespace is the dataset namespace.
	Namespace string `json:"namespace"`
	// Name is the dataset name.
	Name string `json:"name"`
	// Facets are the dataset facets.
	Facets map[string]any `json:"facets,omitempty"`
	// OutputFacets are facets about this write.
	OutputFacets map[string]any `json:"outputFacets,omitempty"`
}

// baseFacet is the part every facet has.
type baseFacet struct {
	Producer  string `json:"_producer"`
	SchemaURL string `json:"_schemaURL"`
}

type schemaField struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Ordinal int    `json:"ordinal_position"`
}

type schemaFacet struct {
	baseFacet
	Fields []schemaField `json:"fields"`
}

type dataSourceFacet struct {
	baseFacet
	Name string `json:"name"`
	URI  string `json:"uri"`
}

type versionFacet struct {
	baseFacet
	DatasetVersion string `json:"datasetVersion"`
}

type outputStatsFacet struct {
	baseFacet
	RowCount  int64 `json:"rowCount"`
	Size      int64 `json:"size"`
	FileCount int   `json:"fileCount"`
}

type transformation struct {
	Type    string `json:"type"`
	Subtype string `json:"subtype,omitempty"`
}

type inputField struct {
	Namespace       string           `json:"namespace"`
	Name            string           `json:"name"`
	Field           string           `json:"field"`
	Transformations []transformation `json:"transformations,omitempty"`
}

type columnFields struct {
	InputFields []inputField `json:"inputFields"`
}

type columnLineageFacet struct {
	baseFacet
	Fields map[string]columnFields `json:"fields"`
}

type assertion struct {
	Assertion   string         `json:"assertion"`
	Success     bool           `json:"success"`
	Column      string         `json:"column,omitempty"`
	Severity    string         `json:"severity,omitempty"`
	Name        string         `json:"name,omitempty"`
	Description string         `json:"description,omitempty"`
	Expected    string         `json:"expected,omitempty"`
	Actual      string         `json:"actual,omitempty"`
	Params      map[string]any `json:"params,omitempty"`
}

type assertionsFacet struct {
	baseFacet
	Assertions []assertion `json:"assertions"`
}

type subsetPartition struct {
	Identifier string            `json:"identifier"`
	Dimensions map[string]string `json:"dimensions"`
}

type subsetCondition struct {
	Type       string            `json:"type"`
	Partitions []subsetPartition `json:"partitions"`
}

type inputSubsetFacet struct {
	baseFacet
	InputCondition subsetCondition `json:"inputCondition"`
}

type outputSubsetFacet struct {
	baseFacet
	OutputCondition subsetCondition `json:"outputCondition"`
}

type parentRef struct {
	Run struct {
		RunID string `json:"runId"`
	} `json:"run"`
	Job struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"job"`
}

type parentFacet struct {
	baseFacet
	parentRef
	Root *parentRef `json:"root,omitempty"`
}

type nominalTimeFacet struct {
	baseFacet
	Start time.Time `json:"nominalStartTime"`
	End   time.Time `json:"nominalEndTime"`
}

type errorMessageFacet struct {
	baseFacet
	Message  string `json:"message"`
	Language string `json:"programmingLanguage"`
}

type engineFacet struct {
	baseFacet
	Version        string `json:"version"`
	Name           string `json:"name"`
	AdapterVersion string `json:"openlineageAdapterVersion"`
}

type jobTypeFacet struct {
	baseFacet
	ProcessingType string `json:"processingType"`
	Integration    string `json:"integration"`
	JobType        string `json:"jobType"`
}

// kilnRunFacet is kiln's own run facet: what OpenLineage has no facet for.
type kilnRunFacet struct {
	baseFacet
	Pipeline    string `json:"pipeline"`
	Partition   string `json:"partition"`
	Node        string `json:"node,omitempty"`
	Status      string `json:"status,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Build       *Build `json:"build,omitempty"`
}

// subset returns the partition subset condition of partition paths.
func subset(parts []string) subsetCondition {
	c := subsetCondition{Type: "partition"}
	for _, p := range parts {
		sp := subsetPartition{Identifier: p, Dimensions: map[string]string{}}
		for _, d := range partitionDims(p) {
			sp.Dimensions[d[0]] = d[1]
		}
		c.Partitions = append(c.Partitions, sp)
	}
	return c
}

// inputVersion is the version of what a node read of one dataset: the
// content hash of the one partition, or for several (a lookback window) a
// BLAKE3 over their partitions and content hashes in read order.
func inputVersion(ins []Input) string {
	if len(ins) == 1 {
		return ins[0].ContentHash.String()
	}
	b := digest.NewBuilder("kiln.openlineage.input_version.v1")
	for _, in := range ins {
		b.String("partition", in.Partition).Sum("content", in.ContentHash)
	}
	return b.Digest().String()
}

// fileURI returns a file:// URI for a local path.
func fileURI(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letters
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// assertionOf converts a check result to an OpenLineage assertion.
func assertionOf(c CheckResult) assertion {
	a := assertion{Assertion: c.Check, Success: c.Success, Column: c.Column, Severity: string(c.Severity),
		Name: c.Check, Expected: c.Expected, Description: c.Message}
	if a.Severity == "" {
		a.Severity = string(SeverityError)
	}
	if c.Column != "" {
		a.Name = c.Check + "(" + c.Column + ")"
	} else if len(c.Columns) > 0 {
		a.Name = c.Check + "(" + strings.Join(c.Columns, ",") + ")"
	}
	if c.Observed != nil {
		a.Actual = fmt.Sprint(c.Observed)
	} else {
		a.Actual = fmt.Sprintf("%d unexpected of %d", c.UnexpectedCount, c.ElementCount)
	}
	a.Params = map[string]any{
		"element_count":      c.ElementCount,
		"unexpected_count":   c.UnexpectedCount,
		"unexpected_percent": finite(c.UnexpectedPercent),
		"missing_count":      c.MissingCount,
	}
	if len(c.Columns) > 0 {
		a.Params["columns"] = c.Columns
	}
	if c.Quarantined > 0 {
		a.Params["quarantined"] = c.Quarantined
	}
	return a
}

// finite replaces NaN and infinities, which JSON cannot carry, with 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
