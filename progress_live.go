package kiln

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// maxLiveNodes bounds the nodes the live display lists.
const maxLiveNodes = 40

var spinner = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

// ANSI colors of the live display.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiBold   = "\x1b[1m"
)

// clear erases the live frame on screen. Callers hold p.mu.
func (p *Progress) clear() {
	if !p.live || p.drawn == 0 {
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[%dA\x1b[J", p.drawn)
	p.drawn = 0
}

// draw writes the live frame. Callers hold p.mu and have cleared the
// previous one.
func (p *Progress) draw() {
	if !p.live || p.closed {
		return
	}
	lines := p.frame()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\x1b[K\n")
	}
	io.WriteString(p.w, b.String())
	p.drawn = len(lines)
}

func (p *Progress) color(code, s string) string {
	if p.opts.NoColor || s == "" {
		return s
	}
	return code + s + ansiReset
}

// frame renders the live display: a header, a bar for a backfill, and one
// line per node.
func (p *Progress) frame() []string {
	st := &p.st
	width := max(p.opts.Width-1, 20)
	elapsed := time.Duration(0)
	if !st.started.IsZero() {
		elapsed = p.now().Sub(st.started)
	}
	total := max(st.expect, len(st.runs))
	var lines []string
	if total <= 1 {
		part := ""
		for _, id := range st.runOrder {
			part = st.runs[id].partition
		}
		done := 0
		for _, name := range st.order {
			if n := st.nodes[name]; n.total > 0 && n.running == 0 {
				done++
			}
		}
		head := fmt.Sprintf("%s · run %s · %d/%d nodes done · %s", st.pipeline, part, done, len(st.order), humanDuration(elapsed))
		lines = append(lines, p.color(ansiBold, cut(head, width)))
	} else {
		head := fmt.Sprintf("%s · backfill %d partitions · %d done", st.pipeline, total, st.done)
		if st.failed > 0 {
			head += fmt.Sprintf(", %d failed", st.failed)
		}
		head += " · " + humanDuration(elapsed)
		if eta, ok := p.eta(); ok {
			head += " · ETA " + humanDuration(eta.Round(time.Second))
		}
		lines = append(lines, p.color(ansiBold, cut(head, width)))
		lines = append(lines, "  "+p.bar(st.done, total, min(40, width-10)))
	}
	shown := st.order
	if len(shown) > maxLiveNodes {
		shown = shown[:maxLiveNodes]
	}
	// Cells per node, aligned in columns: name, partitions done, state,
	// rows, rows/s, busy time (right-aligned), last error.
	rows := make([][]string, len(shown))
	widths := make([]int, 7)
	for i, name := range shown {
		rows[i] = p.nodeCells(st.nodes[name], total)
		for j, c := range rows[i] {
			widths[j] = max(widths[j], utf8.RuneCountInString(c))
		}
	}
	widths[0] = min(widths[0], 36)
	for i, name := range shown {
		n := st.nodes[name]
		glyph, code := p.glyph(n, total)
		var b strings.Builder
		for j, c := range rows[i] {
			if widths[j] == 0 {
				continue
			}
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", max(widths[j]-utf8.RuneCountInString(c), 0))
			switch {
			case j == 0:
				b.WriteString(clip(c, widths[0]) + pad)
			case j >= 3 && j <= 5:
				b.WriteString(pad + c)
			case j == 6:
				b.WriteString(c)
			default:
				b.WriteString(c + pad)
			}
		}
		lines = append(lines, "  "+p.color(code, string(glyph))+" "+cut(strings.TrimRight(b.String(), " "), width-4))
	}
	if len(st.order) > len(shown) {
		lines = append(lines, fmt.Sprintf("  … and %d more nodes", len(st.order)-len(shown)))
	}
	return lines
}

// bar draws done/total as a bar with a percentage.
func (p *Progress) bar(done, total, w int) string {
	if total <= 0 || w <= 0 {
		return ""
	}
	fill := min(done*w/total, w)
	return p.color(ansiGreen, strings.Repeat("█", fill)) + p.color(ansiDim, strings.Repeat("░", w-fill)) +
		fmt.Sprintf(" %d%% (%d/%d)", done*100/total, done, total)
}

// glyph returns a node's state mark and its color.
func (p *Progress) glyph(n *nodeProgress, total int) (rune, string) {
	switch {
	case n.counts[string(StatusFailed)] > 0:
		return '✗', ansiRed
	case n.running > 0:
		return spinner[p.tick%len(spinner)], ansiYellow
	case n.total == 0:
		return '·', ansiDim
	case total > 1 && n.requested < total:
		return '◦', ansiYellow
	case n.counts[string(StatusCached)] == n.total:
		return '✓', ansiBlue
	}
	return '✓', ansiGreen
}

// nodeCells describes a node's state: name, partitions done of the
// requested ones (backfills), its status (or counts of statuses over
// partitions, and running time), rows, rows/s, busy time and last error.
func (p *Progress) nodeCells(n *nodeProgress, total int) []string {
	cells := make([]string, 7)
	cells[0] = n.name
	if total > 1 {
		cells[1] = fmt.Sprintf("%d/%d", n.requested, total)
	}
	switch {
	case n.total == 0 && n.running == 0:
		cells[2] = "waiting"
	case n.total == 1 && n.running == 0:
		for s := range n.counts {
			cells[2] = s
		}
	default:
		var cs []string
		for _, s := range []Status{StatusComputed, StatusUnchanged, StatusCached, StatusAbsent, StatusFailed, StatusSkipped} {
			if c := n.counts[string(s)]; c > 0 {
				cs = append(cs, fmt.Sprintf("%d %s", c, s))
			}
		}
		if n.running > 0 {
			cs = append(cs, "running "+humanDuration(p.now().Sub(n.since).Round(100*time.Millisecond)))
		}
		cells[2] = strings.Join(cs, " · ")
	}
	if n.rows > 0 || n.busy > 0 {
		cells[3] = humanCount(n.rows) + " rows"
		if n.busy > 0 {
			cells[4], cells[5] = humanRate(float64(n.rows)/n.busy.Seconds()), humanDuration(n.busy)
		}
	}
	if n.lastErr != "" {
		cells[6], _, _ = strings.Cut(n.lastErr, "\n")
	}
	return cells
}

// cut shortens s to w runes.
func cut(s string, w int) string {
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	return clip(s, w)
}
