package lineage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kiln-data/kiln/internal/version"
)

// EventsFile is where OpenLineage keeps its events by default, relative to
// the lake root.
const EventsFile = "_lineage/openlineage/events.ndjson"

// OpenLineageConfig configures an OpenLineage emitter.
type OpenLineageConfig struct {
	// Lake is the lake root. Datasets are named by their kiln name in the
	// lake's namespace, and events are appended to <Lake>/EventsFile unless
	// EventsFile is set.
	Lake string
	// EventsFile is the NDJSON file every event is appended to. It is
	// always written: it keeps the events when an HTTP endpoint is down.
	EventsFile string
	// Namespace is the job namespace (default "kiln").
	Namespace string
	// DatasetNamespace is the namespace of the lake's datasets (default
	// the lake's file:// URI).
	DatasetNamespace string
	// HTTP also posts every event to HTTP.URL when it is set (see
	// HTTPConfig).
	HTTP HTTPConfig
	// Transports are more destinations for the events.
	Transports []Transport
	// Producer is the producer URI (default kiln's repository at its
	// version).
	Producer string
	// Logger receives transport failures (default slog.Default()).
	Logger *slog.Logger
}

// OpenLineage is a Listener that emits OpenLineage RunEvents: for every
// pipeline run (job <pipeline>) and every node partition that starts in it
// (job <pipeline>.<node>), one START and then exactly one of COMPLETE, FAIL
// or ABORT (ABORT when the run is cancelled). Node runs carry a parent facet
// naming the pipeline run; their run ids are UUIDs derived from the
// pipeline run id, the node and the partition (version 5), so they are
// stable across re-emission.
//
// Facets: nominalTime from the partition; processing_engine and a "kiln"
// run facet with the build provenance, status and fingerprint;
// errorMessage on FAIL; jobType. Inputs and outputs carry schema,
// dataSource, version (the content hash; for a lookback window, a hash of
// the partitions read) and a partition subset facet; outputs add
// outputStatistics (rows, bytes, files) when committed, columnLineage when
// the transform declares it, and dataQualityAssertions from the checks.
//
// Emitting never fails or slows a data run: every event is appended to the
// events file first, and transport errors are logged. Attach it with
// kiln.WithListener and Close it when the program is done.
type OpenLineage struct {
	cfg        OpenLineageConfig
	log        *slog.Logger
	transports []Transport

	mu      sync.Mutex
	runs    map[string]*olRunState // by pipeline run id
	schemas map[string][]Field     // dataset schemas seen, for inputs
}

type olRunState struct {
	started bool
	open    map[string]*NodeRun // started node runs by OpenLineage run id
}

// NewOpenLineage returns an emitter. It needs cfg.Lake or cfg.EventsFile.
func NewOpenLineage(cfg OpenLineageConfig) (*OpenLineage, error) {
	if cfg.Lake == "" && cfg.EventsFile == "" {
		return nil, errors.New("lineage: OpenLineage needs a lake or an events file")
	}
	if cfg.EventsFile == "" {
		cfg.EventsFile = filepath.Join(cfg.Lake, filepath.FromSlash(EventsFile))
	}
	if cfg.Namespace == "" {
		cfg.Namespace = defaultNamespace
	}
	if cfg.DatasetNamespace == "" {
		lake := cfg.Lake
		if lake == "" {
			lake = "."
		}
		cfg.DatasetNamespace = fileURI(lake)
	}
	if cfg.Producer == "" {
		cfg.Producer = defaultProducer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	o := &OpenLineage{cfg: cfg, log: cfg.Logger, runs: map[string]*olRunState{}, schemas: map[string][]Field{}}
	o.transports = append(o.transports, NewFileTransport(cfg.EventsFile))
	if cfg.HTTP.URL != "" {
		if cfg.HTTP.Logger == nil {
			cfg.HTTP.Logger = cfg.Logger
		}
		h, err := NewHTTPTransport(cfg.HTTP)
		if err != nil {
			return nil, err
		}
		o.transports = append(o.transports, h)
	}
	o.transports = append(o.transports, cfg.Transports...)
	return o, nil
}

// EventsFile returns the path of the NDJSON file the events are appended to.
func (o *OpenLineage) EventsFile() string { return o.cfg.EventsFile }

// Close flushes and closes the transports, waiting for queued HTTP events
// until ctx is done.
func (o *OpenLineage) Close(ctx context.Context) error {
	var errs []error
	for _, t := range o.transports {
		errs = append(errs, t.Close(ctx))
	}
	return errors.Join(errs...)
}

// RunStarted implements Listener: the pipeline run's START.
func (o *OpenLineage) RunStarted(run *RunRecord) {
	o.mu.Lock()
	st := o.state(run.RunID)
	st.started = true
	o.mu.Unlock()
	o.emit(o.pipelineEvent(EventStart, run, run.Started))
}

// NodeStarted implements Listener: the node run's START.
func (o *OpenLineage) NodeStarted(run *RunRecord, node *NodeRun) {
	id := nodeRunID(run.RunID, node)
	o.mu.Lock()
	o.state(run.RunID).open[id] = node
	if len(node.Schema) > 0 {
		o.schemas[node.Node] = node.Schema
	}
	o.mu.Unlock()
	o.emit(o.nodeEvent(EventStart, run, node, node.Started))
}

// NodeFinished implements Listener: the node run's COMPLETE, FAIL (failed)
// or ABORT (cancelled). Node partitions that never started (skipped because
// an input failed, or absent) have no events.
func (o *OpenLineage) NodeFinished(run *RunRecord, node *NodeRun) {
	id := nodeRunID(run.RunID, node)
	o.mu.Lock()
	st := o.state(run.RunID)
	_, open := st.open[id]
	delete(st.open, id)
	o.mu.Unlock()
	if !open {
		return
	}
	typ := EventComplete
	switch node.Status {
	case "failed":
		typ = EventFail
	case "skipped":
		typ = EventAbort
	}
	end := node.Started.Add(time.Duration(node.DurationMS * float64(time.Millisecond)))
	o.emit(o.nodeEvent(typ, run, node, end))
}

// RunFinished implements Listener: ABORT for node runs still open, then the
// pipeline run's COMPLETE, FAIL or ABORT.
func (o *OpenLineage) RunFinished(run *RunRecord) {
	o.mu.Lock()
	st := o.state(run.RunID)
	delete(o.runs, run.RunID)
	open := make([]*NodeRun, 0, len(st.open))
	for _, n := range st.open {
		open = append(open, n)
	}
	o.mu.Unlock()
	slices.SortFunc(open, func(a, b *NodeRun) int { return a.Started.Compare(b.Started) })
	for _, n := range open {
		aborted := *n
		aborted.Status, aborted.Error = "skipped", "the run ended before the node finished"
		o.emit(o.nodeEvent(EventAbort, run, &aborted, run.Finished))
	}
	if !st.started {
		o.emit(o.pipelineEvent(EventStart, run, run.Started))
	}
	typ := EventComplete
	switch run.Status {
	case RunFailed:
		typ = EventFail
	case RunCancelled:
		typ = EventAbort
	}
	o.emit(o.pipelineEvent(typ, run, run.Finished))
}

func (o *OpenLineage) state(runID string) *olRunState {
	st := o.runs[runID]
	if st == nil {
		st = &olRunState{open: map[string]*NodeRun{}}
		o.runs[runID] = st
	}
	return st
}

func (o *OpenLineage) emit(ev *RunEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		o.log.Error("openlineage: encode event", "job", ev.Job.Name, "event", ev.EventType, "err", err)
		return
	}
	for _, t := range o.transports {
		if err := t.Emit(context.Background(), b); err != nil {
			o.log.Warn("openlineage: transport failed; the event is in the events file",
				"transport", fmt.Sprintf("%T", t), "job", ev.Job.Name, "event", ev.EventType, "run_id", ev.Run.RunID, "err", err)
		}
	}
}

// olRunID returns a pipeline run id as a UUID (kiln's are already UUIDs).
func olRunID(runID string) uuid.UUID {
	if u, err := uuid.Parse(runID); err == nil {
		return u
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("kiln-run:"+runID))
}

// nodeRunID is the OpenLineage run id of a node partition in a pipeline run.
func nodeRunID(runID string, n *NodeRun) string {
	return uuid.NewSHA1(olRunID(runID), []byte(n.Node+"\x00"+n.Partition)).String()
}

func (o *OpenLineage) base(url string) baseFacet {
	return baseFacet{Producer: o.cfg.Producer, SchemaURL: url}
}

func eventTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t.UTC()
}

func (o *OpenLineage) newEvent(typ string, at time.Time, runID, job, jobType string) *RunEvent {
	return &RunEvent{
		EventType: typ, EventTime: eventTime(at), Producer: o.cfg.Producer, SchemaURL: OpenLineageSchemaURL,
		Run: EventRun{RunID: runID, Facets: map[string]any{
			"processing_engine": engineFacet{baseFacet: o.base(urlEngine), Version: version.Version, Name: "kiln", AdapterVersion: version.Version},
		}},
		Job: EventJob{Namespace: o.cfg.Namespace, Name: job, Facets: map[string]any{
			"jobType": jobTypeFacet{baseFacet: o.base(urlJobType), ProcessingType: "BATCH", Integration: "KILN", JobType: jobType},
		}},
		Inputs: []InputDataset{}, Outputs: []OutputDataset{},
	}
}

func (o *OpenLineage) nominal(ev *RunEvent, partitions ...string) {
	for _, p := range partitions {
		if start, end, ok := partitionWindow(p); ok {
			ev.Run.Facets["nominalTime"] = nominalTimeFacet{baseFacet: o.base(urlNominalTime), Start: start, End: end}
			return
		}
	}
}

func (o *OpenLineage) errorFacet(ev *RunEvent, msg string) {
	if msg != "" {
		ev.Run.Facets["errorMessage"] = errorMessageFacet{baseFacet: o.base(urlErrorMessage), Message: msg, Language: programmingLangGo}
	}
}

func (o *OpenLineage) pipelineEvent(typ string, run *RunRecord, at time.Time) *RunEvent {
	ev := o.newEvent(typ, at, olRunID(run.RunID).String(), run.Pipeline, "DAG")
	o.nominal(ev, run.Partition)
	b := run.Build
	k := kilnRunFacet{baseFacet: o.base(urlKilnRunFacet), Pipeline: run.Pipeline, Partition: run.Partition, Build: &b}
	if typ != EventStart {
		k.Status = run.Status
		if typ != EventComplete {
			o.errorFacet(ev, run.Error)
		}
	}
	ev.Run.Facets["kiln"] = k
	return ev
}

func (o *OpenLineage) nodeEvent(typ string, run *RunRecord, n *NodeRun, at time.Time) *RunEvent {
	ev := o.newEvent(typ, at, nodeRunID(run.RunID, n), run.Pipeline+"."+n.Node, "TASK")
	o.nominal(ev, n.Partition, run.Partition)
	parent := parentRef{}
	parent.Run.RunID = olRunID(run.RunID).String()
	parent.Job.Namespace, parent.Job.Name = o.cfg.Namespace, run.Pipeline
	root := parent
	ev.Run.Facets["parent"] = parentFacet{baseFacet: o.base(urlParent), parentRef: parent, Root: &root}
	k := kilnRunFacet{baseFacet: o.base(urlKilnRunFacet), Pipeline: run.Pipeline, Partition: n.Partition, Node: n.Node}
	if typ != EventStart {
		k.Status = n.Status
		if !n.Fingerprint.IsZero() {
			k.Fingerprint = n.Fingerprint.String()
		}
		if typ != EventComplete {
			o.errorFacet(ev, n.Error)
		}
	}
	ev.Run.Facets["kiln"] = k
	ev.Inputs = o.inputs(n)
	ev.Outputs = []OutputDataset{o.output(typ, n)}
	return ev
}

func (o *OpenLineage) schemaFacet(fields []Field) schemaFacet {
	f := schemaFacet{baseFacet: o.base(urlSchema), Fields: make([]schemaField, len(fields))}
	for i, x := range fields {
		f.Fields[i] = schemaField{Name: x.Name, Type: x.Type, Ordinal: i + 1}
	}
	return f
}

func (o *OpenLineage) datasetFacets(dataset string) map[string]any {
	facets := map[string]any{
		"dataSource": dataSourceFacet{baseFacet: o.base(urlDataSource), Name: o.cfg.DatasetNamespace, URI: o.datasetURI(dataset)},
	}
	o.mu.Lock()
	fields, ok := o.schemas[dataset]
	o.mu.Unlock()
	if ok {
		facets["schema"] = o.schemaFacet(fields)
	}
	return facets
}

func (o *OpenLineage) datasetURI(dataset string) string {
	lake := o.cfg.Lake
	if lake == "" {
		lake = "."
	}
	return fileURI(DatasetDir(lake, dataset))
}

// inputs groups a node's input partitions by dataset, in first-read order.
func (o *OpenLineage) inputs(n *NodeRun) []InputDataset {
	var order []string
	by := map[string][]Input{}
	for _, in := range n.Inputs {
		if _, ok := by[in.Dataset]; !ok {
			order = append(order, in.Dataset)
		}
		by[in.Dataset] = append(by[in.Dataset], in)
	}
	out := make([]InputDataset, 0, len(order))
	for _, d := range order {
		ins := by[d]
		parts := make([]string, len(ins))
		for i, in := range ins {
			parts[i] = in.Partition
		}
		facets := o.datasetFacets(d)
		facets["version"] = versionFacet{baseFacet: o.base(urlVersion), DatasetVersion: inputVersion(ins)}
		out = append(out, InputDataset{Namespace: o.cfg.DatasetNamespace, Name: d, Facets: facets,
			InputFacets: map[string]any{"subset": inputSubsetFacet{baseFacet: o.base(urlInputSubset), InputCondition: subset(parts)}}})
	}
	return out
}

func (o *OpenLineage) output(typ string, n *NodeRun) OutputDataset {
	facets := map[string]any{
		"dataSource": dataSourceFacet{baseFacet: o.base(urlDataSource), Name: o.cfg.DatasetNamespace, URI: o.datasetURI(n.Node)},
	}
	if len(n.Schema) > 0 {
		facets["schema"] = o.schemaFacet(n.Schema)
	}
	out := OutputDataset{Namespace: o.cfg.DatasetNamespace, Name: n.Node, Facets: facets,
		OutputFacets: map[string]any{"subset": outputSubsetFacet{baseFacet: o.base(urlOutputSubset), OutputCondition: subset([]string{n.Partition})}}}
	if len(n.ColumnLineage) > 0 {
		facets["columnLineage"] = o.columnLineage(n.ColumnLineage)
	}
	if typ == EventStart {
		return out
	}
	if len(n.Checks) > 0 {
		f := assertionsFacet{baseFacet: o.base(urlAssertions)}
		for _, c := range n.Checks {
			f.Assertions = append(f.Assertions, assertionOf(c))
		}
		facets["dataQualityAssertions"] = f
	}
	switch n.Status {
	case "computed", "cached", "unchanged":
		facets["version"] = versionFacet{baseFacet: o.base(urlVersion), DatasetVersion: n.ContentHash.String()}
	}
	if n.Status == "computed" {
		out.OutputFacets["outputStatistics"] = outputStatsFacet{baseFacet: o.base(urlOutputStats), RowCount: n.Rows, Size: n.Bytes, FileCount: len(n.Files)}
	}
	return out
}

func (o *OpenLineage) columnLineage(cls []ColumnLineage) columnLineageFacet {
	f := columnLineageFacet{baseFacet: o.base(urlColumnLineage), Fields: map[string]columnFields{}}
	for _, cl := range cls {
		cf := columnFields{InputFields: []inputField{}}
		for _, in := range cl.Inputs {
			kind := in.Kind
			if kind == "" {
				kind = "DIRECT"
			}
			cf.InputFields = append(cf.InputFields, inputField{Namespace: o.cfg.DatasetNamespace, Name: in.Dataset, Field: in.Column,
				Transformations: []transformation{{Type: kind, Subtype: in.Subtype}}})
		}
		f.Fields[cl.Column] = cf
	}
	return f
}
