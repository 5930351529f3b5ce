package expr

import (
	"fmt"
	"strings"
)

// Node is one node of an expression tree, as plain data: its JSON form is
// what goes into a transform's config and so into the fingerprint. Build
// trees with the constructors of package transform; Compile checks them.
type Node struct {
	// Op is the operation: "col", "lit", or one of the operators listed in
	// ops.
	Op string `json:"op"`
	// Name is the column name of a "col" node.
	Name string `json:"name,omitempty"`
	// Type is the type of a "lit" node or the target type of a "cast" node
	// (see TypeName).
	Type string `json:"type,omitempty"`
	// Value is the text of a "lit" value (see LitText); nil for null.
	Value *string `json:"value,omitempty"`
	// Param is the parameter of string and time operators: the substring,
	// prefix, suffix, pattern, truncation unit or time zone.
	Param string `json:"param,omitempty"`
	// Args are the operands.
	Args []*Node `json:"args,omitempty"`
}

// opInfo describes an operator: its arity (-1 for variadic) and whether it
// takes a Param.
type opInfo struct {
	arity    int
	param    bool
	infix    string // SQL-like infix spelling for binary operators
	function string // function spelling otherwise
}

var ops = map[string]opInfo{
	"add": {arity: 2, infix: "+"},
	"sub": {arity: 2, infix: "-"},
	"mul": {arity: 2, infix: "*"},
	"div": {arity: 2, infix: "/"},
	"neg": {arity: 1, function: "-"},

	"eq": {arity: 2, infix: "="},
	"ne": {arity: 2, infix: "<>"},
	"lt": {arity: 2, infix: "<"},
	"le": {arity: 2, infix: "<="},
	"gt": {arity: 2, infix: ">"},
	"ge": {arity: 2, infix: ">="},

	"and":         {arity: 2, infix: "AND"},
	"or":          {arity: 2, infix: "OR"},
	"not":         {arity: 1, function: "NOT "},
	"is_null":     {arity: 1, function: "is_null"},
	"is_not_null": {arity: 1, function: "is_not_null"},
	"is_nan":      {arity: 1, function: "isnan"},
	"coalesce":    {arity: -1, function: "coalesce"},
	"case":        {arity: -1, function: "case"},

	"lower":        {arity: 1, function: "lower"},
	"upper":        {arity: 1, function: "upper"},
	"trim":         {arity: 1, function: "trim"},
	"contains":     {arity: 1, param: true, function: "contains"},
	"has_prefix":   {arity: 1, param: true, function: "starts_with"},
	"has_suffix":   {arity: 1, param: true, function: "ends_with"},
	"regexp_match": {arity: 1, param: true, function: "regexp_matches"},

	"year":        {arity: 1, function: "year"},
	"month":       {arity: 1, function: "month"},
	"day":         {arity: 1, function: "day"},
	"hour":        {arity: 1, function: "hour"},
	"minute":      {arity: 1, function: "minute"},
	"second":      {arity: 1, function: "second"},
	"day_of_week": {arity: 1, function: "isodow"},
	"is_weekend":  {arity: 1, function: "is_weekend"},
	"date_trunc":  {arity: 1, param: true, function: "date_trunc"},
	"date":        {arity: 1, function: "date"},
	"at_zone":     {arity: 1, param: true, function: "at_zone"},

	"cast": {arity: 1, function: "cast"},
}

// check validates the shape of n (known operator, arity, params), not
// types: that is Compile's job.
func (n *Node) check() error {
	if n == nil {
		return fmt.Errorf("nil expression")
	}
	switch n.Op {
	case "col":
		if n.Name == "" {
			return fmt.Errorf("column reference without a name")
		}
		return nil
	case "lit":
		if _, err := ParseType(n.Type); err != nil {
			return fmt.Errorf("literal: %w", err)
		}
		return nil
	}
	info, ok := ops[n.Op]
	if !ok {
		return fmt.Errorf("unknown operator %q", n.Op)
	}
	switch {
	case info.arity >= 0 && len(n.Args) != info.arity:
		return fmt.Errorf("%s takes %d operand(s), got %d", n.Op, info.arity, len(n.Args))
	case info.arity < 0 && len(n.Args) == 0:
		return fmt.Errorf("%s needs at least one operand", n.Op)
	case n.Op == "case" && len(n.Args) < 2:
		return fmt.Errorf("case needs at least one WHEN condition and value")
	case n.Op == "cast" && n.Type == "":
		return fmt.Errorf("cast without a target type")
	}
	for _, a := range n.Args {
		if err := a.check(); err != nil {
			return err
		}
	}
	return nil
}

// String renders n in a SQL-like notation for messages and docs, e.g.
// (amount * 2) > 10 or lower(event_type) = 'view'.
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *Node) write(b *strings.Builder) {
	if n == nil {
		b.WriteString("<nil>")
		return
	}
	switch n.Op {
	case "col":
		b.WriteString(quoteIdent(n.Name))
		return
	case "lit":
		writeLit(b, n)
		return
	case "case":
		b.WriteString("CASE")
		i := 0
		for ; i+1 < len(n.Args); i += 2 {
			b.WriteString(" WHEN ")
			n.Args[i].write(b)
			b.WriteString(" THEN ")
			n.Args[i+1].write(b)
		}
		if i < len(n.Args) {
			b.WriteString(" ELSE ")
			n.Args[i].write(b)
		}
		b.WriteString(" END")
		return
	case "cast":
		b.WriteString("cast(")
		writeArg(b, n, 0)
		b.WriteString(" AS " + n.Type + ")")
		return
	case "is_null", "is_not_null":
		b.WriteString("(")
		writeArg(b, n, 0)
		if n.Op == "is_null" {
			b.WriteString(" IS NULL)")
		} else {
			b.WriteString(" IS NOT NULL)")
		}
		return
	case "date_trunc":
		b.WriteString("date_trunc(" + quoteString(n.Param) + ", ")
		writeArg(b, n, 0)
		b.WriteString(")")
		return
	}
	info, ok := ops[n.Op]
	if !ok {
		fmt.Fprintf(b, "%s(", n.Op)
		for i := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeArg(b, n, i)
		}
		b.WriteString(")")
		return
	}
	if info.infix != "" && len(n.Args) == 2 {
		b.WriteString("(")
		writeArg(b, n, 0)
		b.WriteString(" " + info.infix + " ")
		writeArg(b, n, 1)
		b.WriteString(")")
		return
	}
	if n.Op == "neg" || n.Op == "not" {
		b.WriteString(info.function)
		writeArg(b, n, 0)
		return
	}
	b.WriteString(info.function + "(")
	for i := range n.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		writeArg(b, n, i)
	}
	if info.param {
		b.WriteString(", " + quoteString(n.Param))
	}
	b.WriteString(")")
}

func writeArg(b *strings.Builder, n *Node, i int) {
	if i < len(n.Args) {
		n.Args[i].write(b)
	} else {
		b.WriteString("<missing>")
	}
}

func writeLit(b *strings.Builder, n *Node) {
	if n.Value == nil {
		b.WriteString("NULL")
		return
	}
	v := *n.Value
	switch {
	case n.Type == "utf8":
		b.WriteString(quoteString(v))
	case n.Type == "date32":
		b.WriteString("DATE " + quoteString(v))
	case strings.HasPrefix(n.Type, "timestamp"):
		b.WriteString("TIMESTAMP " + quoteString(v))
	case n.Type == "float64" || n.Type == "float32":
		if !strings.ContainsAny(v, ".eEIN") {
			v += ".0" // keep float literals recognizable: 2 -> 2.0
		}
		b.WriteString(v)
	default:
		b.WriteString(v)
	}
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
	}
	if s == "" {
		return `""`
	}
	return s
}

// Columns returns the distinct column names n refers to, in first-use order
// (depth first, left to right).
func (n *Node) Columns() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Node)
	walk = func(x *Node) {
		if x == nil {
			return
		}
		if x.Op == "col" && !seen[x.Name] {
			seen[x.Name] = true
			out = append(out, x.Name)
		}
		for _, a := range x.Args {
			walk(a)
		}
	}
	walk(n)
	return out
}
