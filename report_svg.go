package kiln

import (
	"cmp"
	"fmt"
	"html"
	"slices"
	"strings"
)

// DAG picture geometry, in pixels.
const (
	svgBoxW  = 210
	svgBoxH  = 46
	svgGapX  = 64
	svgGapY  = 18
	svgPad   = 14
	svgChars = 27 // characters of a name that fit in a box
)

// layout places the nodes in columns by topological level (the longest
// path from a source) and orders each column to keep edges short: a few
// sweeps that sort nodes by the mean row of their neighbours. It returns
// each node's column and row, and the columns.
func (d *dag) layout() (level, row []int, cols [][]int) {
	n := len(d.nodes)
	level = make([]int, n)
	for range n { // relax; a cycle in inconsistent records stops after n rounds
		changed := false
		for _, e := range d.edges {
			if level[e.to] < level[e.from]+1 && level[e.from]+1 < n {
				level[e.to], changed = level[e.from]+1, true
			}
		}
		if !changed {
			break
		}
	}
	depth := 0
	for _, l := range level {
		depth = max(depth, l+1)
	}
	cols = make([][]int, depth)
	for i := range d.nodes {
		cols[level[i]] = append(cols[level[i]], i)
	}
	row = make([]int, n)
	place := func() {
		for _, c := range cols {
			for r, i := range c {
				row[i] = r
			}
		}
	}
	place()
	bary := func(i int, up bool) float64 {
		sum, k := 0.0, 0
		for _, e := range d.edges {
			switch {
			case up && e.to == i:
				sum, k = sum+float64(row[e.from]), k+1
			case !up && e.from == i:
				sum, k = sum+float64(row[e.to]), k+1
			}
		}
		if k == 0 {
			return float64(row[i])
		}
		return sum / float64(k)
	}
	for range 2 {
		for l := 1; l < depth; l++ {
			sortColumn(cols[l], func(i int) float64 { return bary(i, true) })
			place()
		}
		for l := depth - 2; l >= 0; l-- {
			sortColumn(cols[l], func(i int) float64 { return bary(i, false) })
			place()
		}
	}
	return level, row, cols
}

// sortColumn orders a column by key, ties by node index (declaration
// order), so the picture is deterministic.
func sortColumn(c []int, key func(int) float64) {
	keys := make(map[int]float64, len(c))
	for _, i := range c {
		keys[i] = key(i)
	}
	slices.SortStableFunc(c, func(a, b int) int {
		if k := cmp.Compare(keys[a], keys[b]); k != 0 {
			return k
		}
		return cmp.Compare(a, b)
	})
}

// svg draws the DAG as an inline SVG: boxes coloured by status (by kind
// for a plan), edges as curves, lookback edges dashed and labelled.
func (d *dag) svg() string {
	if len(d.nodes) == 0 {
		return ""
	}
	level, row, cols := d.layout()
	rows := 0
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	width := 2*svgPad + len(cols)*svgBoxW + (len(cols)-1)*svgGapX
	height := 2*svgPad + rows*svgBoxH + (rows-1)*svgGapY
	pos := func(i int) (x, y int) {
		c := cols[level[i]]
		off := (rows - len(c)) * (svgBoxH + svgGapY) / 2
		return svgPad + level[i]*(svgBoxW+svgGapX), svgPad + off + row[i]*(svgBoxH+svgGapY)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s DAG">`,
		width, height, width, height, html.EscapeString(d.title))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#868e96"/></marker></defs>`)
	for _, e := range d.edges {
		x1, y1 := pos(e.from)
		x2, y2 := pos(e.to)
		x1, y1, y2 = x1+svgBoxW, y1+svgBoxH/2, y2+svgBoxH/2
		x2 -= 2
		dx := (x2 - x1) / 2
		dash := ""
		if e.dashed {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&b, `<path d="M%d,%d C%d,%d %d,%d %d,%d" fill="none" stroke="#868e96" stroke-width="1.4"%s marker-end="url(#arrow)"/>`,
			x1, y1, x1+dx, y1, x2-dx, y2, x2, y2, dash)
		if e.label != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="edge-label" text-anchor="middle">%s</text>`, (x1+x2)/2, (y1+y2)/2-4, html.EscapeString(e.label))
		}
	}
	for i, n := range d.nodes {
		x, y := pos(i)
		fill, stroke := n.colors()
		title := n.name
		if n.op != "" {
			title += "\n" + n.kind + ": " + n.op
		}
		if n.detail != "" {
			title += "\n" + n.detail
		}
		fmt.Fprintf(&b, `<g class="node"><title>%s</title>`, html.EscapeString(title))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="7" fill="%s" stroke="%s" stroke-width="1.5"/>`, x, y, svgBoxW, svgBoxH, fill, stroke)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="5" height="%d" rx="2" fill="%s"/>`, x+1, y+1, svgBoxH-2, stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="node-name">%s</text>`, x+14, y+19, html.EscapeString(clip(n.name, svgChars)))
		sub := n.detail
		if sub == "" {
			sub = n.kind + ": " + n.op
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="node-detail">%s</text>`, x+14, y+36, html.EscapeString(clip(sub, svgChars+4)))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// clip shortens s to n characters with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Sparkline geometry, in pixels.
const (
	sparkW = 240
	sparkH = 38
)

// sparkBars draws row counts as bars, the run's partition highlighted.
func sparkBars(h DatasetHistory) string {
	n := len(h.Partitions)
	if n == 0 {
		return ""
	}
	var hi int64
	for _, p := range h.Partitions {
		hi = max(hi, p.Rows)
	}
	slot := float64(sparkW) / float64(ReportHistory)
	bw := max(slot-2, 1)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="row counts of %s">`,
		sparkW, sparkH, sparkW, sparkH, html.EscapeString(h.Dataset))
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#dee2e6"/>`, sparkH-1, sparkW, sparkH-1)
	for i, p := range h.Partitions {
		bh := 1.0
		if hi > 0 {
			bh = max(float64(p.Rows)/float64(hi)*float64(sparkH-4), 1)
		}
		x := float64(ReportHistory-n+i) * slot
		fill := "#a5b4c8"
		if p.Current {
			fill = "#1c7ed6"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s rows</title></rect>`,
			x+1, float64(sparkH-1)-bh, bw, bh, fill, html.EscapeString(p.Partition), humanCount(p.Rows))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// sparkLag draws the freshness lag at commit as a line with dots; unknown
// lags leave gaps.
func sparkLag(h DatasetHistory) string {
	n := len(h.Partitions)
	if n == 0 {
		return ""
	}
	hi := 0.0
	for _, p := range h.Partitions {
		if p.HasLag {
			hi = max(hi, p.Lag.Seconds())
		}
	}
	slot := float64(sparkW) / float64(ReportHistory)
	y := func(p PartitionPoint) float64 {
		if hi <= 0 {
			return sparkH - 4
		}
		return float64(sparkH-4) - max(p.Lag.Seconds(), 0)/hi*float64(sparkH-8)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="freshness lag of %s">`,
		sparkW, sparkH, sparkW, sparkH, html.EscapeString(h.Dataset))
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#dee2e6"/>`, sparkH-1, sparkW, sparkH-1)
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#f08c00" stroke-width="1.5"/>`, strings.Join(seg, " "))
		}
		seg = seg[:0]
	}
	for i, p := range h.Partitions {
		if !p.HasLag {
			flush()
			continue
		}
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", float64(ReportHistory-n+i)*slot+slot/2, y(p)))
	}
	flush()
	for i, p := range h.Partitions {
		if !p.HasLag {
			continue
		}
		r, fill := 2.0, "#f08c00"
		if p.Current {
			r, fill = 3.2, "#d9480f"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s: committed %s after the partition ended</title></circle>`,
			float64(ReportHistory-n+i)*slot+slot/2, y(p), r, fill, html.EscapeString(p.Partition), humanDuration(p.Lag))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
